import type { JobInfo, ProjectInfo } from './schemas';

/** Pushed from main to the renderer (IPC 'stsr:event' / WebSocket /events). */
export type ApiEvent =
  | { type: 'job'; job: JobInfo }
  | { type: 'project'; project: ProjectInfo | null }
  | { type: 'samples-changed' }
  | { type: 'clusterings-changed'; sampleId: number }
  | { type: 'layers-changed'; sampleId: number }
  | { type: 'runs-changed'; sampleId: number };

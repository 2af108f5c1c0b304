import type { ApiEvent } from '../../../preload/contract';
import type { ProgressFn } from './progress';

/** What a task module receives; it runs in a worker thread with its own DB connection if it needs one. */
export interface TaskContext {
  projectDir: string;
  jobId: number;
  signal: AbortSignal;
  progress: ProgressFn;
}

/** Every task module exports `run`; the result is small JSON stored on the job row. */
export type TaskRun<P, R> = (params: P, ctx: TaskContext) => Promise<R>;

export interface TaskDefinition<P = unknown> {
  kind: string;
  /** absolute path (or file URL) of the module exporting `run` */
  module: string;
  title(params: P): string;
  /** heavy tasks count against the concurrency limit; light ones always start */
  heavy: boolean;
  /** what changed when a job of this kind is done: the service pushes these events then */
  announces?(params: P): ApiEvent[];
}

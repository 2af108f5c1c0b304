/** What long-running engine work reports; the jobs module adds the ETA and persists it. */
export interface ProgressUpdate {
  /** 0..1 of the whole task. */
  fraction: number;
  message?: string;
  /** Free-form figures (loss, tiles/s, step) a UI can plot. */
  metrics?: Record<string, number>;
}

export type ProgressFn = (update: ProgressUpdate) => void;

export const noProgress: ProgressFn = () => {};

/** Maps a sub-task's 0..1 progress into [from, to] of its parent. */
export function subProgress(parent: ProgressFn, from: number, to: number): ProgressFn {
  return (u) => parent({ ...u, fraction: from + (to - from) * Math.min(1, Math.max(0, u.fraction)) });
}

import type { JobRow } from '../engine/store/repos/jobs';

/** One stderr line per update: "[#####.....]  52%  ETA 12 s  message". */
export function progressLine(job: Pick<JobRow, 'fraction' | 'etaSeconds' | 'message'>): string {
  const width = 24;
  const filled = Math.round(Math.min(1, Math.max(0, job.fraction)) * width);
  const eta = job.etaSeconds === null ? '' : `  ETA ${Math.ceil(job.etaSeconds)} s`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(job.fraction * 100)).padStart(3)}%${eta}  ${job.message}`;
}

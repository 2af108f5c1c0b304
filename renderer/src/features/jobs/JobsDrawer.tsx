import type { JobInfo } from '../../../../preload/contract';
import { api, projectFileUrl } from '../../api';
import { useToasts } from '../../components/toasts';
import { formatEta } from '../../lib/format';

const ACTIVE = new Set(['queued', 'running']);

/** The project file a finished job produced (exports), if any. */
function fileOf(j: JobInfo): string | null {
  const r = j.result as { relPath?: unknown } | null;
  return r && typeof r.relPath === 'string' ? r.relPath : null;
}
const RESUMABLE = new Set(['interrupted', 'failed', 'cancelled']);

/** Every job of the project with its progress, ETA and what can be done with it. */
export function JobsDrawer({ jobs, onClose }: { jobs: JobInfo[]; onClose: () => void }) {
  const toasts = useToasts();
  const act = (p: Promise<unknown>) => p.catch((e: unknown) => toasts.error(e));
  return (
    <aside className="drawer" aria-label="Jobs">
      <header className="drawer-head">
        <h2>Jobs</h2>
        <button onClick={onClose} aria-label="Close jobs" title="Close (J)">
          ×
        </button>
      </header>
      {jobs.length === 0 && (
        <p className="muted">No jobs yet. Imports, feature extraction and training appear here.</p>
      )}
      <ul className="job-list">
        {jobs.map((j) => (
          <li key={j.id} className={`job job-${j.state}`} data-testid={`job-${j.id}`}>
            <div className="job-title">
              <span>{j.title}</span>
              <span className={`badge badge-${j.state}`}>{j.state}</span>
            </div>
            <progress max={1} value={j.fraction} aria-label={`${j.title} progress`} />
            <div className="job-meta">
              <span>{Math.round(j.fraction * 100)}%</span>
              {j.state === 'running' && j.etaSeconds !== null && (
                <span>about {formatEta(j.etaSeconds)} left</span>
              )}
              <span className="job-message">{j.error ? j.error.message : j.message}</span>
            </div>
            {j.error?.hint && <div className="job-hint">{j.error.hint}</div>}
            {j.state === 'done' && fileOf(j) && (
              <a className="job-file" href={projectFileUrl(fileOf(j)!)} download>
                Download {fileOf(j)!.split('/').pop()}
              </a>
            )}
            <div className="job-actions">
              {ACTIVE.has(j.state) && (
                <button onClick={() => void act(api['jobs.cancel']({ jobId: j.id }))}>Cancel</button>
              )}
              {RESUMABLE.has(j.state) && (
                <button onClick={() => void act(api['jobs.resume']({ jobId: j.id }))}>Resume</button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </aside>
  );
}

import { useEffect, useState, type FormEvent } from 'react';
import type { CohortInfo, RecentCohort } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';

/**
 * The project picker's cohort card: open a cohort index that the cohort workflow wrote
 * (docs/cohort.md), recent ones one click away. A cohort opens read-only.
 */
export function CohortOpener({ onOpened }: { onOpened: (c: CohortInfo) => void }) {
  const toasts = useToasts();
  const [recent, setRecent] = useState<RecentCohort[]>([]);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api['cohort.recent']({}).then(setRecent, (e: unknown) => toasts.error(e));
  }, [toasts]);

  const open = async (p: string) => {
    setBusy(true);
    try {
      onOpened(await api['cohort.open']({ path: p }));
    } catch (e) {
      toasts.error(e);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void open(path);
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Open cohort">
      <h2>Open cohort</h2>
      <p className="muted small">
        The results of a cohort run (workflow/, docs/cohort.md): its <code>cohort/index.json</code> or the
        results folder. Read-only; each sample&apos;s project opens from it.
      </p>
      <label>
        Index or results folder
        <input name="cohort-path" value={path} onChange={(e) => setPath(e.target.value)} required />
      </label>
      <button type="submit" disabled={busy}>
        Open cohort
      </button>
      {recent.length > 0 && (
        <>
          <h3>Recent cohorts</h3>
          <ul className="recent">
            {recent.map((r) => (
              <li key={r.file}>
                <button type="button" className="link" onClick={() => void open(r.file)}>
                  {r.name}
                </button>
                <span className="muted small">{r.file}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </form>
  );
}

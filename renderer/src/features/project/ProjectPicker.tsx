import { useEffect, useState, type FormEvent } from 'react';
import type { CohortInfo, ProjectInfo, RecentProject } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import { CohortOpener } from '../cohort/CohortOpener';

/** First screen: create a project folder or open one (recent ones one click away), or a cohort. */
export function ProjectPicker({
  onOpened,
  onCohortOpened,
}: {
  onOpened: (p: ProjectInfo) => void;
  onCohortOpened: (c: CohortInfo) => void;
}) {
  const toasts = useToasts();
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [createDir, setCreateDir] = useState('');
  const [createName, setCreateName] = useState('');
  const [openDir, setOpenDir] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api['project.recent']({}).then(setRecent, (e: unknown) => toasts.error(e));
  }, [toasts]);

  const run = async (p: Promise<ProjectInfo>) => {
    setBusy(true);
    try {
      onOpened(await p);
    } catch (e) {
      toasts.error(e);
    } finally {
      setBusy(false);
    }
  };
  const submitCreate = (e: FormEvent) => {
    e.preventDefault();
    void run(api['project.create']({ dir: createDir, ...(createName.trim() ? { name: createName } : {}) }));
  };
  const submitOpen = (e: FormEvent) => {
    e.preventDefault();
    void run(api['project.open']({ dir: openDir }));
  };

  return (
    <main className="picker">
      <h1>STSR Studio</h1>
      <p className="muted">Super-resolved spatial transcriptomics over the H&amp;E slide.</p>
      <div className="picker-grid">
        <form className="card" onSubmit={submitCreate} aria-label="Create project">
          <h2>New project</h2>
          <label>
            Folder
            <input
              name="create-dir"
              value={createDir}
              onChange={(e) => setCreateDir(e.target.value)}
              placeholder="/home/me/projects/her2st"
              required
            />
          </label>
          <label>
            Name (optional)
            <input name="create-name" value={createName} onChange={(e) => setCreateName(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Create project
          </button>
        </form>
        <form className="card" onSubmit={submitOpen} aria-label="Open project">
          <h2>Open project</h2>
          <label>
            Folder
            <input name="open-dir" value={openDir} onChange={(e) => setOpenDir(e.target.value)} required />
          </label>
          <button type="submit" disabled={busy}>
            Open
          </button>
          {recent.length > 0 && (
            <>
              <h3>Recent</h3>
              <ul className="recent">
                {recent.map((r) => (
                  <li key={r.dir}>
                    <button
                      type="button"
                      className="link"
                      onClick={() => void run(api['project.open']({ dir: r.dir }))}
                    >
                      {r.name}
                    </button>
                    <span className="muted small">{r.dir}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </form>
        <CohortOpener onOpened={onCohortOpened} />
      </div>
    </main>
  );
}

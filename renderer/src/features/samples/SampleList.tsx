import { useState, type FormEvent } from 'react';
import type { SampleSummary } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import { formatCount } from '../../lib/format';

/** The project's samples and the import form (a Space Ranger outs/, legacy ST folder or .h5ad). */
export function SampleList({
  samples,
  selectedId,
  onSelect,
  onImportStarted,
}: {
  samples: SampleSummary[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  onImportStarted: () => void;
}) {
  const toasts = useToasts();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [imagePath, setImagePath] = useState('');
  const [umPerPx, setUmPerPx] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const um = umPerPx.trim() ? Number(umPerPx) : undefined;
    try {
      await api['samples.import']({
        path,
        ...(name.trim() ? { name } : {}),
        ...(imagePath.trim() ? { imagePath } : {}),
        ...(um !== undefined ? { umPerPx: um } : {}),
      });
      toasts.info(`Import of ${name || path} started`);
      setPath('');
      setName('');
      setImagePath('');
      setUmPerPx('');
      onImportStarted();
    } catch (err) {
      toasts.error(err);
    }
  };
  return (
    <nav className="samples" aria-label="Samples">
      <h2>Samples</h2>
      {samples.length === 0 && <p className="muted">No samples yet. Import one below.</p>}
      <ul className="sample-list">
        {samples.map((s) => (
          <li key={s.id}>
            <button
              className={s.id === selectedId ? 'sample selected' : 'sample'}
              onClick={() => onSelect(s.id)}
            >
              <strong>{s.name}</strong>
              <span className="muted small">
                {s.platform} · {formatCount(s.spots)} spots · {formatCount(s.genes)} genes
              </span>
            </button>
          </li>
        ))}
      </ul>
      <form className="import-form" onSubmit={(e) => void submit(e)} aria-label="Import sample">
        <h3>Import sample</h3>
        <input
          name="import-path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="Folder or .h5ad file"
          required
        />
        <input
          name="import-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Name (optional)"
        />
        <button type="submit">Import</button>
      </form>
    </nav>
  );
}

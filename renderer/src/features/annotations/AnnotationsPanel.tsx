import { useCallback, useEffect, useRef, useState } from 'react';
import type { Annotation, RegionGeometry, RegionStats, RunInfo } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import { categoricalColor } from '../../lib/colormaps';
import { RegionOverlay, type Tool } from './region-overlay';
import type { Pt } from './shapes';
import { useRegionHistory } from './useRegionHistory';
import type { ViewerHandle } from '../viewer/viewer-handle';

const TOOLS: { tool: Tool; label: string; title: string }[] = [
  { tool: 'pan', label: 'Select', title: 'Pan, zoom and pick a region' },
  {
    tool: 'polygon',
    label: 'Polygon',
    title: 'Click vertices; double-click, Enter or click the first vertex to close',
  },
  { tool: 'rectangle', label: 'Rectangle', title: 'Drag a rectangle' },
  { tool: 'brush', label: 'Brush', title: 'Paint a region (radius in µm)' },
];

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const fmt = (v: number | null, digits = 3) => (v === null ? '—' : v.toFixed(digits));
const fmtP = (p: number) => (p < 1e-3 ? p.toExponential(1) : p.toFixed(3));

/**
 * Regions drawn over the slide: polygon, rectangle and brush tools, a label and colour per region,
 * rename/recolour/delete with undo/redo (Ctrl+Z, Ctrl+Shift+Z), QuPath GeoJSON import/export, and
 * the statistics of a chosen region (spots, superpixels, area, gene means, region-vs-rest genes).
 */
export function AnnotationsPanel({
  sampleId,
  viewer,
  gene,
  umPerPx,
}: {
  sampleId: number;
  viewer: ViewerHandle | null;
  gene: string | null;
  umPerPx: number;
}) {
  const toasts = useToasts();
  const [regions, setRegions] = useState<Annotation[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [tool, setTool] = useState<Tool>('pan');
  const [label, setLabel] = useState('Tumour');
  const [color, setColor] = useState(categoricalColor(0));
  const [brushUm, setBrushUm] = useState(100);
  const [runs, setRuns] = useState<RunInfo[]>([]);
  const [runId, setRunId] = useState<number | null>(null);
  const [genes, setGenes] = useState('');
  const [stats, setStats] = useState<RegionStats | null>(null);
  const [busy, setBusy] = useState(false);
  const history = useRegionHistory();
  const overlay = useRef<RegionOverlay | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const drawn = useRef<(kind: Annotation['kind'], ring: Pt[]) => void>(() => undefined);

  const reload = useCallback(
    () => api['annotations.list']({ sampleId }).then(setRegions, toasts.error),
    [sampleId, toasts],
  );
  useEffect(() => {
    void reload();
    history.clear();
    api['runs.list']({ sampleId }).then((r) => {
      const sr = r.filter((x) => x.output === 'superpixels');
      setRuns(sr);
      setRunId(sr.at(-1)?.id ?? null);
    }, toasts.error);
    // history.clear is stable
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reload, sampleId, toasts]);

  const save = useCallback(
    async (a: Omit<Annotation, 'id'> & { id?: number }) => {
      const saved = await api['annotations.save']({
        sampleId,
        ...(a.id !== undefined ? { id: a.id } : {}),
        name: a.name,
        color: a.color,
        kind: a.kind,
        geometry: a.geometry,
      });
      setRegions((rs) =>
        rs.some((r) => r.id === saved.id) ? rs.map((r) => (r.id === saved.id ? saved : r)) : [...rs, saved],
      );
      return saved;
    },
    [sampleId],
  );

  useEffect(() => {
    drawn.current = (kind, ring) => {
      const geometry: RegionGeometry = { type: 'Polygon', coordinates: [ring] };
      save({ sampleId, name: label.trim() || 'Region', color, kind, geometry }).then((a) => {
        history.record({ before: null, after: a });
        setSelected(a.id);
      }, toasts.error);
    };
  });

  useEffect(() => {
    if (!viewer) return;
    const o = new RegionOverlay(
      viewer.viewer,
      viewer.worldWidthPx,
      (kind, ring) => drawn.current(kind, ring),
      (id) => setSelected(id),
    );
    overlay.current = o;
    return () => {
      o.destroy();
      overlay.current = null;
    };
  }, [viewer]);

  useEffect(() => {
    overlay.current?.setRegions(
      regions.map((r) => ({
        id: r.id,
        name: r.name,
        color: r.color,
        geometry: r.geometry,
        selected: r.id === selected,
      })),
    );
  }, [regions, selected, viewer]);

  useEffect(() => {
    overlay.current?.setTool(tool, brushUm / umPerPx);
  }, [tool, brushUm, umPerPx, viewer]);

  const edit = async (r: Annotation, change: Partial<Annotation>) => {
    try {
      const after = await save({ ...r, ...change });
      history.record({ before: r, after });
    } catch (e) {
      toasts.error(e);
    }
  };
  const remove = async (r: Annotation) => {
    try {
      await api['annotations.delete']({ id: r.id });
      setRegions((rs) => rs.filter((x) => x.id !== r.id));
      history.record({ before: r, after: null });
      if (selected === r.id) setSelected(null);
    } catch (e) {
      toasts.error(e);
    }
  };
  /** Brings the project to `target` for a region whose current state is `current`. */
  const apply = useCallback(
    async (current: Annotation | null, target: Annotation | null) => {
      if (target === null && current) {
        await api['annotations.delete']({ id: current.id });
        setRegions((rs) => rs.filter((x) => x.id !== current.id));
      } else if (target && current === null) {
        const { id, ...rest } = target;
        const made = await save(rest);
        history.remap(id, made.id);
      } else if (target) await save(target);
    },
    [save, history],
  );
  const undo = useCallback(() => {
    const e = history.popUndo();
    if (e) apply(e.after, e.before).catch(toasts.error);
  }, [history, apply, toasts]);
  const redo = useCallback(() => {
    const e = history.popRedo();
    if (e) apply(e.before, e.after).catch(toasts.error);
  }, [history, apply, toasts]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if ((e.ctrlKey || e.metaKey) && e.key === 'y') {
        e.preventDefault();
        redo();
      } else if (e.key === 'Escape' || e.key === 'Enter') overlay.current?.key(e.key);
      else if (e.key === 'Delete' && selected !== null) {
        const r = regions.find((x) => x.id === selected);
        if (r) void remove(r);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const importFile = async (f: File) => {
    try {
      const added = await api['annotations.importGeojson']({ sampleId, text: await f.text() });
      setRegions((rs) => [...rs, ...added]);
      for (const a of added) history.record({ before: null, after: a });
      toasts.info(`Imported ${added.length} region(s)`);
    } catch (e) {
      toasts.error(e);
    }
  };
  const exportFile = async () => {
    try {
      const { text } = await api['annotations.exportGeojson']({ sampleId });
      download(`regions-${sampleId}.geojson`, text, 'application/geo+json');
    } catch (e) {
      toasts.error(e);
    }
  };

  const computeStats = async () => {
    if (selected === null) return;
    setBusy(true);
    try {
      const list = (genes.trim() || gene || '')
        .split(/[\s,;]+/)
        .map((g) => g.trim())
        .filter(Boolean);
      setStats(
        await api['regions.stats']({
          annotationId: selected,
          genes: list,
          nTop: 10,
          ...(runId !== null ? { runId } : {}),
        }),
      );
    } catch (e) {
      toasts.error(e);
    } finally {
      setBusy(false);
    }
  };
  const sel = regions.find((r) => r.id === selected) ?? null;

  return (
    <aside className="domains regions" aria-label="Regions">
      <h2>Regions</h2>
      <div className="row tools" role="toolbar" aria-label="Drawing tools">
        {TOOLS.map((t) => (
          <button key={t.tool} aria-pressed={tool === t.tool} title={t.title} onClick={() => setTool(t.tool)}>
            {t.label}
          </button>
        ))}
      </div>
      <div className="row">
        <input
          aria-label="Label for new regions"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          className="region-label"
        />
        <input
          type="color"
          aria-label="Colour for new regions"
          value={color}
          onChange={(e) => setColor(e.target.value)}
        />
        {tool === 'brush' && (
          <label className="inline small">
            µm
            <input
              type="number"
              min={5}
              max={2000}
              value={brushUm}
              aria-label="Brush radius (µm)"
              onChange={(e) => setBrushUm(Math.max(5, Number(e.target.value) || 5))}
            />
          </label>
        )}
      </div>
      <div className="row">
        <button onClick={undo} disabled={!history.canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button onClick={redo} disabled={!history.canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button onClick={() => fileInput.current?.click()} title="Import QuPath GeoJSON">
          Import GeoJSON
        </button>
        <button
          onClick={() => void exportFile()}
          disabled={regions.length === 0}
          title="Export as QuPath GeoJSON"
        >
          Export GeoJSON
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".geojson,.json,application/geo+json,application/json"
          hidden
          data-testid="geojson-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(f);
            e.target.value = '';
          }}
        />
      </div>
      <ul className="domain-list" data-testid="region-list">
        {regions.map((r) => (
          <li key={r.id} className={r.id === selected ? 'selected' : ''}>
            <input
              type="color"
              value={r.color}
              aria-label={`Colour of ${r.name}`}
              onChange={(e) => void edit(r, { color: e.target.value })}
            />
            <input
              className="domain-name"
              defaultValue={r.name}
              key={`${r.id}-${r.name}`}
              aria-label={`Label of region ${r.id}`}
              onFocus={() => setSelected(r.id)}
              onBlur={(e) =>
                e.target.value.trim() &&
                e.target.value !== r.name &&
                void edit(r, { name: e.target.value.trim() })
              }
              onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
            />
            <span className="muted small">{r.kind}</span>
            <button className="link" onClick={() => setSelected(r.id)}>
              select
            </button>
            <button className="link" aria-label={`Delete region ${r.name}`} onClick={() => void remove(r)}>
              delete
            </button>
          </li>
        ))}
      </ul>
      {sel && (
        <section className="region-stats" aria-label="Region statistics">
          <h3>Statistics of “{sel.name}”</h3>
          <div className="row">
            <input
              aria-label="Genes for region statistics"
              placeholder={gene ? `genes (default ${gene})` : 'genes, e.g. ERBB2, CD74'}
              value={genes}
              onChange={(e) => setGenes(e.target.value)}
            />
          </div>
          {runs.length > 0 && (
            <div className="row">
              <select
                aria-label="SR run for region statistics"
                value={runId ?? ''}
                onChange={(e) => setRunId(e.target.value === '' ? null : Number(e.target.value))}
              >
                <option value="">no SR run</option>
                {runs.map((r) => (
                  <option key={r.id} value={r.id}>
                    SR run #{r.id} ({r.method})
                  </option>
                ))}
              </select>
            </div>
          )}
          <button onClick={() => void computeStats()} disabled={busy}>
            {busy ? 'Computing…' : 'Compute statistics'}
          </button>
          {stats && stats.annotationId === sel.id && (
            <div data-testid="region-stats">
              <p className="small">
                <span data-testid="stat-spots">{stats.spots}</span> spots
                {stats.superpixels !== null && (
                  <>
                    {' · '}
                    <span data-testid="stat-superpixels">{stats.superpixels}</span> superpixels
                  </>
                )}
                {' · '}
                <span data-testid="stat-area">{stats.areaMm2.toFixed(3)}</span> mm²
              </p>
              {stats.genes.length > 0 && (
                <table className="markers">
                  <thead>
                    <tr>
                      <th>gene</th>
                      <th>counts</th>
                      <th>log1p</th>
                      <th>SR</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.genes.map((g) => (
                      <tr key={g.symbol} data-testid={`stat-gene-${g.symbol}`}>
                        <td>{g.symbol}</td>
                        <td data-testid="mean-counts">{fmt(g.meanCounts)}</td>
                        <td>{fmt(g.meanLog1p)}</td>
                        <td data-testid="mean-sr">{fmt(g.meanSr)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h3 className="small">Up in the region vs the rest (Wilcoxon, BH)</h3>
              <table className="markers" data-testid="region-top-genes">
                <thead>
                  <tr>
                    <th>gene</th>
                    <th>z</th>
                    <th>log2FC</th>
                    <th>p adj</th>
                    <th>in %</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.topGenes.map((g) => (
                    <tr key={g.symbol}>
                      <td>{g.symbol}</td>
                      <td>{g.score.toFixed(2)}</td>
                      <td>{g.logFoldChange.toFixed(2)}</td>
                      <td>{fmtP(g.pAdj)}</td>
                      <td>{Math.round(g.fractionIn * 100)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </aside>
  );
}

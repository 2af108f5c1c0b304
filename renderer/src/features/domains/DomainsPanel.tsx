import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ClusteringInfo, Domain, MarkerGene, RasterLayer, RunInfo } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';
import type { SpotCategories } from '../viewer/SlideViewer';
import { MarkersChart } from './MarkersChart';
import { useUndo } from './useUndo';
import { formatCount } from '../../lib/format';

function resolve(domains: Domain[], label: number): Domain | undefined {
  const by = new Map(domains.map((d) => [d.label, d]));
  let d = by.get(label);
  for (let i = 0; d && d.mergedInto !== null && i <= domains.length; i++) d = by.get(d.mergedInto);
  return d;
}

/**
 * Tissue domains of a sample: run k-means at a chosen k, rename, recolour and merge domains (undo
 * with Ctrl+Z), agreement with annotations, and each domain's marker genes.
 */
export function DomainsPanel({
  sampleId,
  defaultK,
  onCategories,
  onRaster,
  onShown,
}: {
  sampleId: number;
  defaultK: number;
  onCategories: (c: SpotCategories | null) => void;
  /** SR-level domains are a raster over the slide */
  onRaster: (layer: RasterLayer | null) => void;
  /** the clustering on screen (null when hidden), for figures and the legend */
  onShown?: (c: ClusteringInfo | null) => void;
}) {
  const toasts = useToasts();
  const [list, setList] = useState<ClusteringInfo[]>([]);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [labels, setLabels] = useState<number[] | null>(null);
  const [k, setK] = useState(defaultK);
  const [show, setShow] = useState(true);
  const [focus, setFocus] = useState<number | null>(null);
  const [markers, setMarkers] = useState<{ label: number; name: string; genes: MarkerGene[] }[]>([]);
  const { canUndo, push: pushUndo, undo: popUndo, clear: clearUndo } = useUndo<Domain[]>();
  const current = list.find((c) => c.id === selectedId) ?? null;
  const [srRuns, setSrRuns] = useState<RunInfo[]>([]);
  const [target, setTarget] = useState<number | null>(null);

  useEffect(() => {
    api['runs.list']({ sampleId }).then(
      (r) => setSrRuns(r.filter((x) => x.output === 'superpixels')),
      toasts.error,
    );
  }, [sampleId, toasts]);

  const reload = useCallback(
    (selectNewest: boolean) =>
      api['clusterings.list']({ sampleId }).then((l) => {
        setList(l);
        if (l[0]) setSelectedId((id) => (selectNewest || id === null ? l[0]!.id : id));
      }, toasts.error),
    [sampleId, toasts],
  );

  useEffect(() => {
    void reload(false);
    return api.onEvent((e) => {
      if (e.type === 'clusterings-changed' && e.sampleId === sampleId) void reload(true);
    });
  }, [reload, sampleId]);

  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    clearUndo();
    api['clusterings.labels']({ clusteringId: selectedId }).then(
      (r) => live && setLabels(r.labels),
      toasts.error,
    );
    return () => {
      live = false;
    };
  }, [selectedId, toasts, clearUndo]);

  const domainsKey = current ? JSON.stringify(current.domains) : '';
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    api['clusterings.markers']({ clusteringId: selectedId, n: 20 }).then(
      (m) => live && setMarkers(m),
      toasts.error,
    );
    return () => {
      live = false;
    };
  }, [selectedId, domainsKey, toasts]);

  const categories = useMemo<SpotCategories | null>(() => {
    if (!current || !labels || !show || current.level !== 'spot') return null;
    const shown = labels.map((l) => resolve(current.domains, l));
    return { colors: shown.map((d) => d?.color ?? '#888888'), labels: shown.map((d) => d?.name ?? '') };
  }, [current, labels, show]);
  useEffect(() => onCategories(categories), [categories, onCategories]);
  useEffect(() => onShown?.(show ? current : null), [show, current, onShown]);

  useEffect(() => {
    if (!current || current.level !== 'superpixel' || !show) {
      onRaster(null);
      return;
    }
    let on = true;
    api['layers.domains']({ clusteringId: current.id }).then((l) => on && onRaster(l), toasts.error);
    return () => {
      on = false;
    };
  }, [current, show, onRaster, toasts]);

  const save = useCallback(
    async (next: Domain[], recordUndo = true) => {
      if (!current) return;
      try {
        const updated = await api['clusterings.setDomains']({ clusteringId: current.id, domains: next });
        if (recordUndo) pushUndo(current.domains);
        setList((l) => l.map((c) => (c.id === updated.id ? updated : c)));
      } catch (e) {
        toasts.error(e);
      }
    },
    [current, toasts, pushUndo],
  );

  const doUndo = useCallback(() => {
    const prev = popUndo();
    if (prev) void save(prev, false);
  }, [save, popUndo]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if ((e.ctrlKey || e.metaKey) && e.key === 'z') {
        e.preventDefault();
        doUndo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [doUndo]);

  const run = async () => {
    try {
      await api['clusterings.run']({ sampleId, k, ...(target !== null ? { runId: target } : {}) });
      toasts.info(`Clustering with k = ${k} started`);
    } catch (e) {
      toasts.error(e);
    }
  };

  const edit = (label: number, change: Partial<Domain>) =>
    current && void save(current.domains.map((d) => (d.label === label ? { ...d, ...change } : d)));

  const visible = current?.domains.filter((d) => d.mergedInto === null) ?? [];
  const focused = markers.find((m) => m.label === focus) ?? markers[0];
  const focusedDomain = current?.domains.find((d) => d.label === focused?.label);

  return (
    <aside className="domains" aria-label="Domains">
      <h2>Tissue domains</h2>
      <div className="row">
        <label className="inline">
          k
          <input
            type="range"
            min={2}
            max={15}
            value={k}
            aria-label="Number of domains"
            onChange={(e) => setK(Number(e.target.value))}
          />
          <span className="k-value">{k}</span>
        </label>
        <button onClick={() => void run()}>Run</button>
      </div>
      {srRuns.length > 0 && (
        <div className="row">
          <select
            aria-label="Cluster what"
            value={target ?? ''}
            onChange={(e) => setTarget(e.target.value === '' ? null : Number(e.target.value))}
          >
            <option value="">spots (expression)</option>
            {srRuns.map((r) => (
              <option key={r.id} value={r.id}>
                SR run #{r.id} superpixels ({r.method})
              </option>
            ))}
          </select>
        </div>
      )}
      {list.length > 0 && (
        <div className="row">
          <select
            aria-label="Clustering"
            value={selectedId ?? ''}
            onChange={(e) => setSelectedId(Number(e.target.value))}
          >
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                #{c.id}: k = {c.k} ({c.level})
              </option>
            ))}
          </select>
          <label className="inline">
            <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} /> show
          </label>
          <button onClick={doUndo} disabled={!canUndo} title="Undo (Ctrl+Z)">
            Undo
          </button>
        </div>
      )}
      {current && Object.keys(current.agreement).length > 0 && (
        <p className="small" data-testid="agreement">
          {Object.entries(current.agreement).map(([name, a]) => (
            <span key={name}>
              ARI vs {name}: <strong>{a.ari.toFixed(3)}</strong> (NMI {a.nmi.toFixed(3)}){' '}
            </span>
          ))}
        </p>
      )}
      {current && (
        <ul className="domain-list">
          {current.domains.map((d) => (
            <li key={d.label} className={d.mergedInto !== null ? 'merged' : ''}>
              <input
                type="color"
                value={d.color}
                aria-label={`Colour of ${d.name}`}
                onChange={(e) => edit(d.label, { color: e.target.value })}
              />
              <input
                className="domain-name"
                defaultValue={d.name}
                key={`${d.label}-${d.name}`}
                aria-label={`Name of domain ${d.label + 1}`}
                onBlur={(e) =>
                  e.target.value.trim() &&
                  e.target.value !== d.name &&
                  edit(d.label, { name: e.target.value.trim() })
                }
                onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
              />
              <span className="muted small domain-count" data-testid={`domain-count-${d.label}`}>
                {formatCount(current.sizes[d.label] ?? 0)}
              </span>
              <select
                aria-label={`Merge ${d.name}`}
                value={d.mergedInto ?? ''}
                onChange={(e) =>
                  edit(d.label, { mergedInto: e.target.value === '' ? null : Number(e.target.value) })
                }
              >
                <option value="">—</option>
                {visible
                  .filter((o) => o.label !== d.label)
                  .map((o) => (
                    <option key={o.label} value={o.label}>
                      into {o.name}
                    </option>
                  ))}
              </select>
              <button className="link" onClick={() => setFocus(d.label)} disabled={d.mergedInto !== null}>
                markers
              </button>
            </li>
          ))}
        </ul>
      )}
      {focused && focusedDomain && (
        <>
          <MarkersChart
            genes={focused.genes}
            color={focusedDomain.color}
            title={`${focused.name}: top markers`}
          />
          <table className="markers">
            <thead>
              <tr>
                <th>gene</th>
                <th>t</th>
                <th>log2FC</th>
                <th>in %</th>
              </tr>
            </thead>
            <tbody>
              {focused.genes.slice(0, 10).map((g) => (
                <tr key={g.gene}>
                  <td>{g.symbol}</td>
                  <td>{g.score.toFixed(2)}</td>
                  <td>{g.logFoldChange.toFixed(2)}</td>
                  <td>{Math.round(g.fractionIn * 100)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </aside>
  );
}

import { useEffect, useState } from 'react';
import type {
  Annotation,
  ClusteringInfo,
  FigureLayerRequest,
  FigureRequest,
  MethodInput,
  RunInfo,
} from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';

type Format = MethodInput<'exports.run'>['format'];

const FORMATS: { value: Format; label: string; figure: boolean }[] = [
  { value: 'h5ad', label: 'AnnData (.h5ad)', figure: false },
  { value: 'csv', label: 'CSV', figure: false },
  { value: 'geojson', label: 'GeoJSON (QuPath)', figure: false },
  { value: 'png', label: 'Figure (PNG)', figure: true },
  { value: 'svg', label: 'Figure (SVG)', figure: true },
  { value: 'pdf', label: 'Figure (PDF)', figure: true },
];

/** What the viewer shows, for a figure "as on screen". */
export interface ScreenFigure {
  /** the visible layers bottom to top, with their colour maps, ranges and opacities */
  layers: FigureLayerRequest[];
  /** names of those layers, and of visible layers a figure cannot draw */
  names: string[];
  skipped: string[];
  slideOpacity: number;
  /** the rectangle on screen in full-resolution slide px (null before the viewer opened) */
  view: { x: number; y: number; width: number; height: number } | null;
  title: string;
  /**
   * The side-by-side view's halves (observed | SR, each titled as on screen) when the viewer shows
   * them; a string says why the view is split but cannot become a side-by-side figure.
   */
  panels?: NonNullable<FigureRequest['panels']> | string;
}

/**
 * The one export dialog ("Save as…"). Tables keep the analysis: the spots or an SR run's
 * superpixels with any number of that level's clusterings as categorical obs columns (colours in
 * uns), as the CLI's --run and --clustering. Figures draw what the viewer shows — its visible
 * layers with the same colour maps and ranges (so the colour bars read the same), the slide at its
 * opacity, the view on screen, the whole section or a drawn region (outlined) — at a chosen size
 * and DPI, as PNG, SVG or PDF. Files land in the project's exports/ folder; the Jobs panel links
 * to them.
 */
export function ExportDialog({
  sampleId,
  screen,
  onClose,
}: {
  sampleId: number;
  screen: ScreenFigure;
  onClose: () => void;
}) {
  const toasts = useToasts();
  const panels = typeof screen.panels === 'object' ? screen.panels : null;
  // opened from the split view, the dialog offers its figure first
  const [format, setFormat] = useState<Format>(panels ? 'png' : 'h5ad');
  const [sideBySide, setSideBySide] = useState(panels !== null);
  const [runs, setRuns] = useState<RunInfo[]>([]);
  const [clusterings, setClusterings] = useState<ClusteringInfo[]>([]);
  const [regions, setRegions] = useState<Annotation[]>([]);
  const [runId, setRunId] = useState<number | null>(null);
  const [chosen, setChosen] = useState<number[]>([]);
  const [area, setArea] = useState<string>(screen.view ? 'view' : 'all');
  // two panels side by side want a wider page
  const [width, setWidth] = useState(panels ? 2400 : 1800);
  const [height, setHeight] = useState(1200);
  const [dpi, setDpi] = useState(300);
  const [title, setTitle] = useState(screen.title);

  useEffect(() => {
    api['runs.list']({ sampleId }).then(
      (r) => setRuns(r.filter((x) => x.output === 'superpixels')),
      toasts.error,
    );
    api['clusterings.list']({ sampleId }).then(setClusterings, toasts.error);
    api['annotations.list']({ sampleId }).then(setRegions, toasts.error);
  }, [sampleId, toasts]);

  const figure = FORMATS.find((f) => f.value === format)!.figure;
  const srRun = format === 'h5ad' || format === 'csv' ? runId : null;
  // a table takes the clusterings of what it exports: the spots, or that run's superpixels
  const offered = clusterings.filter((c) => c.runId === srRun);
  const picked = chosen.filter((id) => offered.some((c) => c.id === id));

  const region = (): FigureRequest['region'] => {
    if (area === 'view' && screen.view) return { kind: 'view', ...screen.view };
    if (area.startsWith('region-')) return { kind: 'annotation', annotationId: Number(area.slice(7)) };
    return undefined;
  };

  const start = async () => {
    try {
      const r = region();
      const split = sideBySide && panels;
      if (figure && !split && screen.layers.length === 0 && !r)
        throw new Error('Show a layer first: the figure draws the visible layers.');
      const fig: FigureRequest = {
        width,
        height,
        dpi,
        ...(title.trim() ? { title: title.trim() } : {}),
        ...(r ? { region: r } : {}),
        slideOpacity: screen.slideOpacity,
        ...(split ? { layers: [], panels } : { layers: screen.layers }),
      };
      const res = await api['exports.run']({
        sampleId,
        format,
        ...(figure ? { figure: fig } : {}),
        ...(!figure && picked.length ? { clusteringIds: picked } : {}),
        ...(srRun !== null ? { runId: srRun } : {}),
      });
      toasts.info(`Exporting to ${res.path}`);
      onClose();
    } catch (e) {
      toasts.error(e);
    }
  };

  const num = (v: string, set: (n: number) => void) => {
    const n = Math.round(Number(v));
    if (Number.isFinite(n)) set(n);
  };

  return (
    <div className="modal-backdrop" onClick={onClose}>
      <form
        className="modal export-dialog"
        aria-label="Export"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <h2>Export</h2>
        <label>
          Format
          <select
            aria-label="Export format"
            value={format}
            onChange={(e) => setFormat(e.target.value as Format)}
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        {!figure && (
          <>
            {(format === 'h5ad' || format === 'csv') && (
              <label>
                Observations
                <select
                  aria-label="Export spots or an SR run"
                  value={runId ?? ''}
                  onChange={(e) => setRunId(e.target.value === '' ? null : Number(e.target.value))}
                >
                  <option value="">measured spots</option>
                  {runs.map((r) => (
                    <option key={r.id} value={r.id}>
                      SR run #{r.id} ({r.label}, {r.genes.length} genes)
                    </option>
                  ))}
                </select>
              </label>
            )}
            <fieldset className="export-clusterings">
              <legend>Domains (obs columns)</legend>
              {offered.length === 0 && (
                <p className="muted small">No clustering of these observations yet.</p>
              )}
              {offered.map((c) => (
                <label key={c.id} className="check">
                  <input
                    type="checkbox"
                    aria-label={`Include clustering #${c.id}`}
                    checked={picked.includes(c.id)}
                    onChange={(e) =>
                      setChosen((l) => (e.target.checked ? [...l, c.id] : l.filter((x) => x !== c.id)))
                    }
                  />
                  #{c.id}: k = {c.k} ({c.level})
                </label>
              ))}
              {picked.length > 1 && (
                <p className="muted small">
                  Columns {picked.map((id) => `domain_${id}`).join(', ')}; one clustering is `domain`.
                </p>
              )}
            </fieldset>
          </>
        )}
        {figure && (
          <>
            <label>
              Area
              <select aria-label="Figure area" value={area} onChange={(e) => setArea(e.target.value)}>
                {screen.view && <option value="view">the view on screen</option>}
                <option value="all">the whole section</option>
                {regions.map((r) => (
                  <option key={r.id} value={`region-${r.id}`}>
                    region “{r.name}” (#{r.id})
                  </option>
                ))}
              </select>
            </label>
            <div className="row">
              <label>
                Width (px)
                <input
                  aria-label="Figure width"
                  type="number"
                  min={100}
                  max={20000}
                  value={width}
                  onChange={(e) => num(e.target.value, setWidth)}
                />
              </label>
              <label>
                Height (px)
                <input
                  aria-label="Figure height"
                  type="number"
                  min={100}
                  max={20000}
                  value={height}
                  onChange={(e) => num(e.target.value, setHeight)}
                />
              </label>
              <label>
                DPI
                <input
                  aria-label="Figure DPI"
                  type="number"
                  min={36}
                  max={2400}
                  value={dpi}
                  onChange={(e) => num(e.target.value, setDpi)}
                />
              </label>
            </div>
            <p className="muted small">
              {((width / dpi) * 25.4).toFixed(0)} × {((height / dpi) * 25.4).toFixed(0)} mm at {dpi} DPI
            </p>
            <label>
              Title
              <input aria-label="Figure title" value={title} onChange={(e) => setTitle(e.target.value)} />
            </label>
            {screen.panels !== undefined && (
              <label className="check">
                <input
                  type="checkbox"
                  aria-label="Side-by-side figure"
                  checked={sideBySide && panels !== null}
                  disabled={panels === null}
                  onChange={(e) => setSideBySide(e.target.checked)}
                />
                Side by side, as on screen
                {panels === null && <span className="muted small"> ({screen.panels as string})</span>}
              </label>
            )}
            {sideBySide && panels ? (
              <p className="muted small" data-testid="figure-layers">
                Panels as on screen, the same region and scale, each with its colour bar:{' '}
                {panels.map((p) => p.title).join(' | ')}
                {screen.slideOpacity > 0 ? ', over the slide' : ''}.
              </p>
            ) : (
              <p className="muted small" data-testid="figure-layers">
                Layers as on screen (colour maps and ranges too):{' '}
                {screen.names.length ? screen.names.join(', ') : 'none'}
                {screen.slideOpacity > 0 ? ', over the slide' : ''}.
                {screen.skipped.length > 0 && ` Not in figures: ${screen.skipped.join(', ')}.`}
              </p>
            )}
          </>
        )}
        <div className="row">
          <button type="submit">Export</button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

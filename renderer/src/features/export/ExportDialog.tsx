import { useEffect, useState } from 'react';
import type { ClusteringInfo, RunInfo } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';

type Format = 'h5ad' | 'csv' | 'geojson' | 'png' | 'svg';

const FORMATS: { value: Format; label: string; sr: boolean }[] = [
  { value: 'h5ad', label: 'AnnData (.h5ad)', sr: true },
  { value: 'csv', label: 'CSV', sr: true },
  { value: 'geojson', label: 'GeoJSON (QuPath)', sr: false },
  { value: 'png', label: 'Figure (PNG)', sr: false },
  { value: 'svg', label: 'Figure (SVG)', sr: false },
];

/**
 * Export with the analysis kept: the spots (or an SR run's superpixels) with a chosen clustering's
 * domains as a categorical obs column (colours in uns), the same choices the CLI's --run and
 * --clustering offer. Files land in the project's exports/ folder; the Jobs panel links to them.
 */
export function ExportDialog({
  sampleId,
  gene,
  onClose,
}: {
  sampleId: number;
  gene: string | null;
  onClose: () => void;
}) {
  const toasts = useToasts();
  const [format, setFormat] = useState<Format>('h5ad');
  const [runs, setRuns] = useState<RunInfo[]>([]);
  const [clusterings, setClusterings] = useState<ClusteringInfo[]>([]);
  const [runId, setRunId] = useState<number | null>(null);
  const [clusteringId, setClusteringId] = useState<number | null>(null);

  useEffect(() => {
    api['runs.list']({ sampleId }).then(
      (r) => setRuns(r.filter((x) => x.output === 'superpixels')),
      toasts.error,
    );
    api['clusterings.list']({ sampleId }).then(setClusterings, toasts.error);
  }, [sampleId, toasts]);

  const srFormat = FORMATS.find((f) => f.value === format)!.sr;
  const level = runId !== null && srFormat ? 'superpixel' : 'spot';
  const offered = clusterings.filter((c) => c.level === level);
  const chosen = offered.some((c) => c.id === clusteringId) ? clusteringId : null;

  const start = async () => {
    if ((format === 'png' || format === 'svg') && !gene && chosen === null) {
      toasts.error(new Error('Pick a gene or a clustering first: the figure colours spots by it.'));
      return;
    }
    try {
      const r = await api['exports.run']({
        sampleId,
        format,
        ...(gene && (format === 'png' || format === 'svg') ? { gene } : {}),
        ...(chosen !== null ? { clusteringId: chosen } : {}),
        ...(runId !== null && srFormat ? { runId } : {}),
      });
      toasts.info(`Exporting to ${r.path}`);
      onClose();
    } catch (e) {
      toasts.error(e);
    }
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
            aria-label="Export dialog format"
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
        {srFormat && (
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
                  SR run #{r.id} ({r.method}, {r.genes.length} genes)
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Domains
          <select
            aria-label="Export domains of clustering"
            value={chosen ?? ''}
            onChange={(e) => setClusteringId(e.target.value === '' ? null : Number(e.target.value))}
          >
            <option value="">none</option>
            {offered.map((c) => (
              <option key={c.id} value={c.id}>
                #{c.id}: k = {c.k} ({c.level})
              </option>
            ))}
          </select>
        </label>
        {(format === 'png' || format === 'svg') && (
          <p className="muted small">{gene ? `Coloured by ${gene}` : 'Coloured by the chosen domains'}</p>
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

import { useState } from 'react';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';

type Format = 'h5ad' | 'csv' | 'geojson' | 'png' | 'svg';

/**
 * Exports the sample into the project's exports/ folder (AnnData, CSV, GeoJSON, or a figure of the
 * current gene); the finished job in the Jobs panel links to the file.
 */
export function ExportMenu({
  sampleId,
  gene,
  clusteringId,
}: {
  sampleId: number;
  gene: string | null;
  clusteringId?: number;
}) {
  const toasts = useToasts();
  const [format, setFormat] = useState<Format>('h5ad');
  const start = async () => {
    if ((format === 'png' || format === 'svg') && !gene && clusteringId === undefined) {
      toasts.error(new Error('Pick a gene (or show domains) first: the figure colours spots by it.'));
      return;
    }
    try {
      const r = await api['exports.run']({
        sampleId,
        format,
        ...(gene && (format === 'png' || format === 'svg') ? { gene } : {}),
        ...(clusteringId !== undefined ? { clusteringId } : {}),
      });
      toasts.info(`Exporting to ${r.path}`);
    } catch (e) {
      toasts.error(e);
    }
  };
  return (
    <span className="export-menu">
      <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as Format)}>
        <option value="h5ad">AnnData (.h5ad)</option>
        <option value="csv">CSV</option>
        <option value="geojson">GeoJSON (QuPath)</option>
        <option value="png">Figure (PNG)</option>
        <option value="svg">Figure (SVG)</option>
      </select>
      <button onClick={() => void start()}>Export</button>
    </span>
  );
}

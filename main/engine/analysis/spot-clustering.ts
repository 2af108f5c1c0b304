import type { CsrMatrix } from '../io/sample';
import { throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { seuratV3Hvg } from './hvg';
import { kmeans } from './kmeans';
import { csrToDense } from './matrix';
import { logNormalize, scale } from './normalise';
import { pca } from './pca';

export interface SpotClusteringOptions {
  k: number;
  seed?: number;
  /** highly variable genes (seurat_v3 on raw counts) */
  nHvg?: number;
  nPcs?: number;
  nInit?: number;
}

export interface SpotClustering {
  labels: Int32Array;
  sizes: number[];
  hvg: Uint32Array;
  /** n × nPcs PCA scores (row-major) */
  scores: Float64Array;
  nPcs: number;
  explainedVarianceRatio: Float64Array;
  inertia: number;
}

/**
 * The clustering protocol of benchmark.md (scanpy's standard path): seurat_v3 HVGs on raw
 * counts → normalise to 10⁴ → log1p → scale (clip 10) → PCA → k-means++ with restarts.
 * Labels are sorted by cluster size (0 = largest).
 */
export function clusterSpots(
  counts: CsrMatrix,
  options: SpotClusteringOptions,
  progress: ProgressFn = () => {},
  signal?: AbortSignal,
): SpotClustering {
  const seed = options.seed ?? 0;
  progress({ fraction: 0.05, message: 'Selecting highly variable genes' });
  const hvg = seuratV3Hvg(counts, { nTopGenes: Math.min(options.nHvg ?? 2000, counts.nCols) }).selected;
  throwIfAborted(signal);
  progress({ fraction: 0.35, message: 'Normalising and scaling' });
  const x = csrToDense(logNormalize(counts), { columns: hvg, dtype: 'float64' });
  const scaled = scale(x, { zeroCenter: true, maxValue: 10 }).matrix;
  throwIfAborted(signal);
  const nPcs = Math.max(1, Math.min(options.nPcs ?? 50, counts.nRows - 1, hvg.length));
  progress({ fraction: 0.5, message: `PCA (${nPcs} components)` });
  const p = pca(scaled, { nComponents: nPcs, seed });
  throwIfAborted(signal);
  progress({ fraction: 0.8, message: `k-means, k = ${options.k}` });
  const km = kmeans(
    { nRows: counts.nRows, nCols: nPcs, data: p.scores },
    { k: options.k, seed, nInit: options.nInit ?? 10 },
  );
  return {
    labels: km.labels,
    sizes: km.sizes,
    hvg,
    scores: p.scores,
    nPcs,
    explainedVarianceRatio: p.explainedVarianceRatio,
    inertia: km.inertia,
  };
}

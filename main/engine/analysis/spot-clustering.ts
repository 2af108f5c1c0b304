import type { CsrMatrix } from '../io/sample';
import { throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { seuratV3Hvg, topVarianceGenes } from './hvg';
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
  /**
   * How spots are embedded before k-means (docs/features.md, "Spot clustering default"):
   * 'scanpy' — seurat_v3 HVGs, log1p CP10k, scaled (clip 10), PCA;
   * 'lognorm' — the top-variance genes of log1p CP10k, centred but not scaled, PCA;
   * 'smoothed' — 'lognorm' with each spot's PCA scores averaged half-and-half with the mean of
   * its lattice neighbours (needs `positions`).
   */
  method?: SpotClusteringMethod;
  /** spot centres (x, y), for 'smoothed' */
  positions?: readonly { x: number; y: number }[];
}

export const SPOT_CLUSTERING_METHODS = ['scanpy', 'lognorm', 'smoothed'] as const;
export type SpotClusteringMethod = (typeof SPOT_CLUSTERING_METHODS)[number];
/** chosen by mean ARI over HER2ST A1, B1, C1, seeds 0–2 (bench/spot-clustering.ts): smoothed .265, lognorm .231, scanpy .190 */
export const DEFAULT_SPOT_CLUSTERING: SpotClusteringMethod = 'smoothed';

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
  const method = options.method ?? DEFAULT_SPOT_CLUSTERING;
  const nGenes = Math.min(options.nHvg ?? 2000, counts.nCols);
  progress({ fraction: 0.05, message: 'Selecting genes' });
  const hvg =
    method === 'scanpy'
      ? seuratV3Hvg(counts, { nTopGenes: nGenes }).selected
      : Uint32Array.from(topVarianceGenes(counts, nGenes, { targetSum: 1e4 })).sort();
  throwIfAborted(signal);
  progress({ fraction: 0.35, message: 'Normalising' });
  const x = csrToDense(logNormalize(counts), { columns: hvg, dtype: 'float64' });
  const input = method === 'scanpy' ? scale(x, { zeroCenter: true, maxValue: 10 }).matrix : x;
  throwIfAborted(signal);
  const nPcs = Math.max(1, Math.min(options.nPcs ?? 50, counts.nRows - 1, hvg.length));
  progress({ fraction: 0.5, message: `PCA (${nPcs} components)` });
  const p = pca(input, { nComponents: nPcs, seed });
  throwIfAborted(signal);
  if (method === 'smoothed') {
    if (!options.positions || options.positions.length !== counts.nRows)
      throw new Error('Smoothed spot clustering needs one position per spot.');
    p.scores = smoothOverNeighbours(p.scores, nPcs, options.positions);
  }
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

/**
 * Each row averaged half-and-half with the mean of its neighbours: spots closer than 1.5 × the
 * median nearest-neighbour distance (the lattice's first ring on ST, Visium and HD grids).
 */
export function smoothOverNeighbours(
  scores: Float64Array,
  dim: number,
  positions: readonly { x: number; y: number }[],
): Float64Array {
  const n = positions.length;
  const nn = new Float64Array(n).fill(Infinity);
  // O(n²) is fine for spot counts (≤ ~5k); a grid index would be needed for HD bins
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = Math.hypot(positions[i]!.x - positions[j]!.x, positions[i]!.y - positions[j]!.y);
      if (d < nn[i]!) nn[i] = d;
    }
  const sorted = Float64Array.from(nn).sort();
  const r = 1.5 * (sorted[Math.floor(n / 2)] ?? 0);
  const out = new Float64Array(scores.length);
  for (let i = 0; i < n; i++) {
    const acc = new Float64Array(dim);
    let k = 0;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (Math.hypot(positions[i]!.x - positions[j]!.x, positions[i]!.y - positions[j]!.y) > r) continue;
      for (let d = 0; d < dim; d++) acc[d]! += scores[j * dim + d]!;
      k++;
    }
    for (let d = 0; d < dim; d++)
      out[i * dim + d] = k ? 0.5 * scores[i * dim + d]! + (0.5 * acc[d]!) / k : scores[i * dim + d]!;
  }
  return out;
}

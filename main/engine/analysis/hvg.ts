/**
 * Highly variable gene selection.
 *
 * `seuratV3Hvg` re-implements scanpy's `pp.highly_variable_genes(flavor='seurat_v3')` for one batch
 * (the setting methods.md §1.2 and benchmark.md use: raw counts, top N):
 *   1. per-gene mean and sample variance of the raw counts; genes with variance 0 are "constant";
 *   2. LOESS (degree 2, span 0.3) of log10 variance on log10 mean over the non-constant genes;
 *      the regularised std is √(10^fit) (constant genes get fit 0, i.e. std 1);
 *   3. counts above mean + std·√N are clipped to that value (Seurat's clip.max = √N);
 *   4. the normalised variance is the variance of the clipped standardised counts,
 *      (N·m² + Σc² − 2m·Σc) / ((N−1)·std²), with m the unclipped mean, as scanpy writes it;
 *   5. genes are ranked by normalised variance, highest first, and the top N are highly variable.
 * Ties in step 5 (only possible for exactly equal normalised variances, e.g. constant genes) are
 * broken by gene index; numpy's unstable argsort may order such ties differently.
 *
 * `topVarianceGenes` is the simpler rule of the benchmark's measured reference (benchmark.md §8):
 * the N genes with the largest variance of log1p(counts normalised per spot).
 */
import type { CsrMatrix } from '../io/sample';
import { badInput } from '../errors';
import { loessFit } from './loess';
import { csrColumnStats, logNormalize } from './normalise';

export interface SeuratV3Options {
  /** how many genes to flag (scanpy's n_top_genes); default 2000 like scanpy */
  nTopGenes?: number;
  /** LOESS span (scanpy default 0.3) */
  span?: number;
  /** 'interpolate' = what skmisc (and so scanpy) does; 'direct' = exact local fits at every gene */
  surface?: 'interpolate' | 'direct';
}

export interface HvgResult {
  /** per gene, original order */
  means: Float64Array;
  variances: Float64Array;
  /** the clipped standardised variance scanpy calls variances_norm */
  variancesNorm: Float64Array;
  /** 0-based rank among all genes (0 = most variable); −1 when not in the top N (scanpy: NaN) */
  rank: Int32Array;
  highlyVariable: Uint8Array;
  /** indices of the selected genes in ORIGINAL gene order (what adata[:, adata.var.highly_variable] keeps) */
  selected: Uint32Array;
  /** indices of the selected genes by rank, most variable first */
  ranked: Uint32Array;
  warnings: string[];
}

export function seuratV3Hvg(counts: CsrMatrix, options: SeuratV3Options = {}): HvgResult {
  const N = counts.nRows;
  const G = counts.nCols;
  const nTop = Math.min(options.nTopGenes ?? 2000, G);
  if (!(nTop >= 1) || !Number.isInteger(nTop))
    throw badInput(`nTopGenes must be a positive integer, got ${options.nTopGenes}`);
  if (N < 2) throw badInput('Highly variable genes need at least 2 spots.');
  const warnings: string[] = [];
  for (let q = 0; q < counts.data.length; q++) {
    const v = counts.data[q]!;
    if (v < 0 || !Number.isInteger(v)) {
      // scanpy only warns here; the statistic is defined for any values but is meant for raw counts.
      warnings.push('seurat_v3 expects raw counts, but non-integer or negative values were found.');
      break;
    }
  }
  const { mean, variance } = csrColumnStats(counts);
  const notConst: number[] = [];
  for (let j = 0; j < G; j++) if (variance[j]! > 0) notConst.push(j);
  const estimatVar = new Float64Array(G); // log10 of the fitted variance; 0 for constant genes
  if (notConst.length > 0) {
    const x = Float64Array.from(notConst, (j) => Math.log10(mean[j]!));
    const y = Float64Array.from(notConst, (j) => Math.log10(variance[j]!));
    const fit = loessFit(x, y, {
      span: options.span ?? 0.3,
      degree: 2,
      surface: options.surface ?? 'interpolate',
    });
    notConst.forEach((j, r) => (estimatVar[j] = fit[r]!));
  }
  const regStd = new Float64Array(G);
  const clipVal = new Float64Array(G);
  const vmax = Math.sqrt(N);
  for (let j = 0; j < G; j++) {
    regStd[j] = Math.sqrt(10 ** estimatVar[j]!);
    clipVal[j] = regStd[j]! * vmax + mean[j]!;
  }
  const sumC = new Float64Array(G);
  const sumC2 = new Float64Array(G);
  for (let q = 0; q < counts.data.length; q++) {
    const j = counts.indices[q]!;
    let c: number = counts.data[q]!;
    if (c > clipVal[j]!) c = clipVal[j]!;
    sumC[j] = sumC[j]! + c;
    sumC2[j] = sumC2[j]! + c * c;
  }
  const variancesNorm = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    const m = mean[j]!;
    variancesNorm[j] = (N * m * m + sumC2[j]! - 2 * sumC[j]! * m) / ((N - 1) * regStd[j]! * regStd[j]!);
  }
  const order = Array.from({ length: G }, (_, j) => j).sort(
    (a, b) => variancesNorm[b]! - variancesNorm[a]! || a - b,
  );
  const rank = new Int32Array(G).fill(-1);
  const highlyVariable = new Uint8Array(G);
  const ranked = new Uint32Array(nTop);
  for (let r = 0; r < nTop; r++) {
    const j = order[r]!;
    rank[j] = r;
    highlyVariable[j] = 1;
    ranked[r] = j;
  }
  const selected = Uint32Array.from(ranked).sort();
  return {
    means: mean,
    variances: variance,
    variancesNorm,
    rank,
    highlyVariable,
    selected,
    ranked,
    warnings,
  };
}

/**
 * The N genes with the largest sample variance of log1p(counts scaled to targetSum per spot),
 * most variable first. targetSum defaults to 1e6 (counts per million, as "log1p CPM" says);
 * ties are broken by gene index.
 */
export function topVarianceGenes(
  counts: CsrMatrix,
  n: number,
  options: { targetSum?: number } = {},
): Uint32Array {
  const ln = logNormalize(counts, options.targetSum ?? 1e6);
  const { variance } = csrColumnStats(ln);
  const k = Math.min(n, counts.nCols);
  const order = Array.from({ length: counts.nCols }, (_, j) => j).sort(
    (a, b) => variance[b]! - variance[a]! || a - b,
  );
  return Uint32Array.from(order.slice(0, k));
}

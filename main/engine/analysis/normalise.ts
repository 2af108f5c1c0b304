/**
 * Library-size normalisation, log1p and per-gene scaling, matching scanpy's
 * `pp.normalize_total`, `pp.log1p` and `pp.scale` (spec methods.md §1.5 and §9.2: HisToSGE's targets
 * and the holdout protocol use log1p of counts normalised to 10⁴ per spot).
 * Every function returns new arrays; inputs are never modified.
 */
import type { CsrMatrix } from '../io/sample';
import { badInput } from '../errors';
import type { DenseMatrix } from './matrix';

/** Total counts per row (spot), summed in float64. */
export function rowSums(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.nRows);
  for (let i = 0; i < m.nRows; i++) {
    let s = 0;
    for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) s += m.data[q]!;
    out[i] = s;
  }
  return out;
}

/**
 * Scales every row to sum to `targetSum` (default 1e4, scanpy's usual choice; 1e6 gives CPM).
 * Rows with zero counts stay zero (scanpy adds 1 to zero totals before dividing for the same reason).
 * `targetSum: 'median'` uses the median of the non-zero row totals, scanpy's default when
 * target_sum=None.
 */
export function normalizeTotal(m: CsrMatrix, options: { targetSum?: number | 'median' } = {}): CsrMatrix {
  const totals = rowSums(m);
  const target = resolveTarget(totals, options.targetSum ?? 1e4);
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < m.nRows; i++) {
    const t = totals[i]!;
    const f = t > 0 ? target / t : 0;
    for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) data[q] = m.data[q]! * f;
  }
  return { nRows: m.nRows, nCols: m.nCols, indptr: m.indptr, indices: m.indices, data };
}

/** The same on a dense spots × genes matrix (row totals taken over the columns present). */
export function normalizeTotalDense(
  m: DenseMatrix,
  options: { targetSum?: number | 'median' } = {},
): DenseMatrix {
  const totals = new Float64Array(m.nRows);
  for (let i = 0; i < m.nRows; i++) {
    let s = 0;
    for (let j = 0; j < m.nCols; j++) s += m.data[i * m.nCols + j]!;
    totals[i] = s;
  }
  const target = resolveTarget(totals, options.targetSum ?? 1e4);
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.nRows; i++) {
    const t = totals[i]!;
    const f = t > 0 ? target / t : 0;
    for (let j = 0; j < m.nCols; j++) out[i * m.nCols + j] = m.data[i * m.nCols + j]! * f;
  }
  return { nRows: m.nRows, nCols: m.nCols, data: out };
}

function resolveTarget(totals: Float64Array, t: number | 'median'): number {
  if (t === 'median') {
    const nz = Array.from(totals)
      .filter((v) => v > 0)
      .sort((a, b) => a - b);
    if (nz.length === 0) throw badInput('Cannot normalise: every spot has zero counts.');
    const h = nz.length >> 1;
    return nz.length % 2 ? nz[h]! : (nz[h - 1]! + nz[h]!) / 2;
  }
  if (!(t > 0) || !Number.isFinite(t)) throw badInput(`targetSum must be a positive number, got ${t}`);
  return t;
}

/** Natural log1p of every stored value (zeros stay zero, so sparsity is kept). */
export function log1pCsr(m: CsrMatrix): CsrMatrix {
  const data = new Float32Array(m.data.length);
  for (let q = 0; q < data.length; q++) data[q] = Math.log1p(m.data[q]!);
  return { nRows: m.nRows, nCols: m.nCols, indptr: m.indptr, indices: m.indices, data };
}

export function log1pDense(m: DenseMatrix): DenseMatrix {
  const out =
    m.data instanceof Float32Array ? new Float32Array(m.data.length) : new Float64Array(m.data.length);
  for (let q = 0; q < out.length; q++) out[q] = Math.log1p(m.data[q]!);
  return { nRows: m.nRows, nCols: m.nCols, data: out };
}

/** log1p(normalise to targetSum), the holdout protocol's value space (benchmark.md). */
export function logNormalize(m: CsrMatrix, targetSum = 1e4): CsrMatrix {
  return log1pCsr(normalizeTotal(m, { targetSum }));
}

export interface ColumnStats {
  mean: Float64Array;
  /** sample variance (ddof = 1), as scanpy's _get_mean_var */
  variance: Float64Array;
}

/**
 * Per-column mean and sample variance of a CSR matrix, implicit zeros included. Two passes (mean
 * first, then squared deviations, zeros contributing mean²) rather than E[x²]−E[x]²: for integer
 * counts that is exact to rounding and never gives a tiny positive variance for a constant gene.
 */
export function csrColumnStats(m: CsrMatrix): ColumnStats {
  const n = m.nRows;
  const sum = new Float64Array(m.nCols);
  const nnz = new Float64Array(m.nCols);
  for (let q = 0; q < m.indices.length; q++) {
    const c = m.indices[q]!;
    sum[c] = sum[c]! + m.data[q]!;
    nnz[c] = nnz[c]! + 1;
  }
  const mean = new Float64Array(m.nCols);
  for (let j = 0; j < m.nCols; j++) mean[j] = sum[j]! / n;
  const ss = new Float64Array(m.nCols);
  for (let q = 0; q < m.indices.length; q++) {
    const c = m.indices[q]!;
    const d = m.data[q]! - mean[c]!;
    ss[c] = ss[c]! + d * d;
  }
  const variance = new Float64Array(m.nCols);
  for (let j = 0; j < m.nCols; j++) {
    const zeros = n - nnz[j]!;
    variance[j] = n > 1 ? (ss[j]! + zeros * mean[j]! * mean[j]!) / (n - 1) : 0;
  }
  return { mean, variance };
}

export function denseColumnStats(m: DenseMatrix): ColumnStats {
  const { nRows: n, nCols: p, data } = m;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] = mean[j]! + data[i * p + j]!;
  for (let j = 0; j < p; j++) mean[j] = mean[j]! / n;
  const variance = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const d = data[i * p + j]! - mean[j]!;
      variance[j] = variance[j]! + d * d;
    }
  for (let j = 0; j < p; j++) variance[j] = n > 1 ? variance[j]! / (n - 1) : 0;
  return { mean, variance };
}

export interface ScaleResult {
  matrix: DenseMatrix;
  mean: Float64Array;
  /** the divisor used per gene: sample std (ddof 1), 1 for constant genes */
  std: Float64Array;
}

/**
 * Per-gene scaling as scanpy's `pp.scale`: subtract the mean (unless zeroCenter is false), divide by
 * the sample standard deviation (constant genes divide by 1 instead of 0), then clip at maxValue.
 * Clipping follows scanpy ≥ 1.10: both tails (±maxValue) when zero-centred, only the upper tail
 * otherwise. Output is float64.
 */
export function scale(
  m: DenseMatrix,
  options: { zeroCenter?: boolean; maxValue?: number } = {},
): ScaleResult {
  const zeroCenter = options.zeroCenter ?? true;
  const maxValue = options.maxValue;
  if (maxValue !== undefined && !(maxValue > 0)) throw badInput(`maxValue must be positive, got ${maxValue}`);
  const { mean, variance } = denseColumnStats(m);
  const std = new Float64Array(m.nCols);
  for (let j = 0; j < m.nCols; j++) {
    const s = Math.sqrt(variance[j]!);
    std[j] = s > 0 ? s : 1;
  }
  const p = m.nCols;
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.nRows; i++)
    for (let j = 0; j < p; j++) {
      let v = (m.data[i * p + j]! - (zeroCenter ? mean[j]! : 0)) / std[j]!;
      if (maxValue !== undefined) {
        if (v > maxValue) v = maxValue;
        else if (zeroCenter && v < -maxValue) v = -maxValue;
      }
      out[i * p + j] = v;
    }
  return { matrix: { nRows: m.nRows, nCols: p, data: out }, mean, std };
}

/**
 * Scaling without centring keeps a CSR matrix sparse (scanpy does the same for sparse input with
 * zero_center=False): each stored value is divided by its gene's sample std and clipped above.
 */
export function scaleCsr(
  m: CsrMatrix,
  options: { maxValue?: number } = {},
): { matrix: CsrMatrix; std: Float64Array } {
  const { variance } = csrColumnStats(m);
  const std = new Float64Array(m.nCols);
  for (let j = 0; j < m.nCols; j++) {
    const s = Math.sqrt(variance[j]!);
    std[j] = s > 0 ? s : 1;
  }
  const data = new Float32Array(m.data.length);
  for (let q = 0; q < data.length; q++) {
    let v = m.data[q]! / std[m.indices[q]!]!;
    if (options.maxValue !== undefined && v > options.maxValue) v = options.maxValue;
    data[q] = v;
  }
  return { matrix: { nRows: m.nRows, nCols: m.nCols, indptr: m.indptr, indices: m.indices, data }, std };
}

/**
 * Principal component analysis of a dense observations × features matrix (spots × genes, or
 * superpixels × latent dims), centred per feature.
 *
 * - 'exact': eigendecomposition of the p×p sample covariance (or of the n×n Gram matrix when there
 *   are fewer observations than features) with the Householder + QL solver in matrix.ts.
 * - 'randomized': Halko, Martinsson & Tropp (2011) Algorithm 4.4 — a seeded Gaussian test matrix
 *   with k + oversamples columns, q power iterations re-orthonormalised every half step (so small
 *   singular values are not swamped by rounding), then an exact SVD of the small projected matrix.
 *   q defaults to sklearn's choice: 7 when k < 0.1·min(n, p), else 4.
 * - 'auto': exact when min(n, p) ≤ 2000 (the dense eigenproblem is then cheap), randomized otherwise.
 *
 * Signs follow sklearn's svd_flip(u_based_decision=False): in every component the entry of largest
 * magnitude is positive, so the output does not depend on the solver or the seed.
 * explainedVariance = s²/(n−1) and the ratio divides by the total sample variance of all features,
 * as sklearn's PCA reports them.
 */
import { badInput, throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { noProgress } from '../jobs/progress';
import type { DenseMatrix } from './matrix';
import { orthonormalizeColumns, svdJacobi, symmetricEigen } from './matrix';
import { Rng } from './random';

export interface PcaOptions {
  nComponents: number;
  method?: 'auto' | 'exact' | 'randomized';
  seed?: number;
  /** randomized only: extra random directions (sklearn default 10) */
  oversamples?: number;
  /** randomized only: power iterations */
  powerIterations?: number;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

export interface PcaResult {
  /** k×p row-major; row c is principal axis c (unit length) */
  components: Float64Array;
  /** n×k row-major projections of the centred data */
  scores: Float64Array;
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  singularValues: Float64Array;
  /** per-feature mean that was subtracted */
  mean: Float64Array;
  nComponents: number;
  method: 'exact' | 'randomized';
}

export function pca(x: DenseMatrix, options: PcaOptions): PcaResult {
  const { nRows: n, nCols: p } = x;
  const k = options.nComponents;
  if (!Number.isInteger(k) || k < 1) throw badInput(`nComponents must be a positive integer, got ${k}`);
  if (n < 2) throw badInput('PCA needs at least 2 observations.');
  if (k > Math.min(n, p)) throw badInput(`nComponents ${k} exceeds min(observations ${n}, features ${p}).`);
  const progress = options.progress ?? noProgress;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] = mean[j]! + x.data[i * p + j]!;
  for (let j = 0; j < p; j++) mean[j] = mean[j]! / n;
  let totalVar = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) totalVar += (x.data[i * p + j]! - mean[j]!) ** 2;
  totalVar /= n - 1;
  let method = options.method ?? 'auto';
  if (method === 'auto') method = Math.min(n, p) <= 2000 ? 'exact' : 'randomized';
  const { components, singular } =
    method === 'exact'
      ? exactAxes(x, mean, k, options.signal)
      : randomizedAxes(x, mean, k, options, progress);
  // svd_flip on the components: largest |entry| positive.
  for (let c = 0; c < k; c++) {
    let best = 0;
    for (let j = 1; j < p; j++)
      if (Math.abs(components[c * p + j]!) > Math.abs(components[c * p + best]!)) best = j;
    if (components[c * p + best]! < 0)
      for (let j = 0; j < p; j++) components[c * p + j] = -components[c * p + j]!;
  }
  const scores = project(x, mean, components, k);
  const explainedVariance = new Float64Array(k);
  const explainedVarianceRatio = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    explainedVariance[c] = singular[c]! ** 2 / (n - 1);
    explainedVarianceRatio[c] = totalVar > 0 ? explainedVariance[c]! / totalVar : 0;
  }
  progress({ fraction: 1 });
  return {
    components,
    scores,
    explainedVariance,
    explainedVarianceRatio,
    singularValues: singular,
    mean,
    nComponents: k,
    method,
  };
}

/** Centred data times the components: n×k scores. */
export function project(
  x: DenseMatrix,
  mean: Float64Array,
  components: Float64Array,
  k: number,
): Float64Array {
  const { nRows: n, nCols: p } = x;
  const out = new Float64Array(n * k);
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = x.data[i * p + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += row[j]! * components[c * p + j]!;
      out[i * k + c] = s;
    }
  }
  return out;
}

function exactAxes(
  x: DenseMatrix,
  mean: Float64Array,
  k: number,
  signal: AbortSignal | undefined,
): { components: Float64Array; singular: Float64Array } {
  const { nRows: n, nCols: p } = x;
  const xc = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) xc[i * p + j] = x.data[i * p + j]! - mean[j]!;
  const components = new Float64Array(k * p);
  const singular = new Float64Array(k);
  if (p <= n) {
    // Scatter matrix XcᵀXc (p×p): its eigenvalues are the squared singular values of Xc.
    const c = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const o = i * p;
      for (let a = 0; a < p; a++) {
        const va = xc[o + a]!;
        if (va === 0) continue;
        for (let b = a; b < p; b++) c[a * p + b] = c[a * p + b]! + va * xc[o + b]!;
      }
      if ((i & 63) === 0) throwIfAborted(signal);
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) c[a * p + b] = c[b * p + a]!;
    const eig = symmetricEigen(c, p);
    for (let r = 0; r < k; r++) {
      singular[r] = Math.sqrt(Math.max(0, eig.values[r]!));
      components.set(eig.vectors.subarray(r * p, (r + 1) * p), r * p);
    }
  } else {
    // Fewer observations than features: Gram matrix XcXcᵀ (n×n) = U S² Uᵀ, axes v = Xcᵀu / s.
    const g = new Float64Array(n * n);
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += xc[a * p + j]! * xc[b * p + j]!;
        g[a * n + b] = s;
        g[b * n + a] = s;
      }
    throwIfAborted(signal);
    const eig = symmetricEigen(g, n);
    for (let r = 0; r < k; r++) {
      const s = Math.sqrt(Math.max(0, eig.values[r]!));
      singular[r] = s;
      if (s === 0) continue;
      for (let i = 0; i < n; i++) {
        const u = eig.vectors[r * n + i]!;
        if (u === 0) continue;
        for (let j = 0; j < p; j++) components[r * p + j] = components[r * p + j]! + (u * xc[i * p + j]!) / s;
      }
    }
  }
  return { components, singular };
}

function randomizedAxes(
  x: DenseMatrix,
  mean: Float64Array,
  k: number,
  options: PcaOptions,
  progress: ProgressFn,
): { components: Float64Array; singular: Float64Array } {
  const { nRows: n, nCols: p } = x;
  const l = Math.min(k + (options.oversamples ?? 10), n, p);
  const q = options.powerIterations ?? (k < 0.1 * Math.min(n, p) ? 7 : 4);
  const rng = new Rng(options.seed ?? 0);
  const omega = new Float64Array(p * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  // Y = Xc Ω  (n×l),  Z = Xcᵀ Y  (p×l), with the centring applied implicitly: Xc = X − 1μᵀ.
  const mulXc = (m: Float64Array): Float64Array => {
    const out = new Float64Array(n * l);
    const muM = new Float64Array(l);
    for (let j = 0; j < p; j++) for (let c = 0; c < l; c++) muM[c] = muM[c]! + mean[j]! * m[j * l + c]!;
    for (let i = 0; i < n; i++) {
      const o = i * l;
      for (let j = 0; j < p; j++) {
        const v = x.data[i * p + j]!;
        if (v === 0) continue;
        for (let c = 0; c < l; c++) out[o + c] = out[o + c]! + v * m[j * l + c]!;
      }
      for (let c = 0; c < l; c++) out[o + c] = out[o + c]! - muM[c]!;
    }
    return out;
  };
  const mulXcT = (m: Float64Array): Float64Array => {
    const out = new Float64Array(p * l);
    const colSum = new Float64Array(l);
    for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) colSum[c] = colSum[c]! + m[i * l + c]!;
    for (let i = 0; i < n; i++) {
      const o = i * l;
      for (let j = 0; j < p; j++) {
        const v = x.data[i * p + j]!;
        if (v === 0) continue;
        for (let c = 0; c < l; c++) out[j * l + c] = out[j * l + c]! + v * m[o + c]!;
      }
    }
    for (let j = 0; j < p; j++)
      for (let c = 0; c < l; c++) out[j * l + c] = out[j * l + c]! - mean[j]! * colSum[c]!;
    return out;
  };
  let Q = mulXc(omega);
  orthonormalizeColumns(Q, n, l);
  for (let it = 0; it < q; it++) {
    throwIfAborted(options.signal);
    const Z = mulXcT(Q);
    orthonormalizeColumns(Z, p, l);
    Q = mulXc(Z);
    orthonormalizeColumns(Q, n, l);
    progress({ fraction: (0.9 * (it + 1)) / (q + 1), message: `power iteration ${it + 1}/${q}` });
  }
  // Bᵀ = Xcᵀ Q (p×l); its thin SVD Bᵀ = U S Vᵀ gives Xc ≈ (Q V) S Uᵀ, so the axes are U's columns.
  const Bt = mulXcT(Q);
  if (p >= l) {
    const svd = svdJacobi(Bt, p, l);
    const components = new Float64Array(k * p);
    for (let r = 0; r < k; r++) for (let j = 0; j < p; j++) components[r * p + j] = svd.u[j * l + r]!;
    return { components, singular: svd.s.slice(0, k) };
  }
  // p < l can only happen when l was capped by p; then B (l×p) is tall: B = U S Vᵀ, axes = V.
  const B = new Float64Array(l * p);
  for (let j = 0; j < p; j++) for (let c = 0; c < l; c++) B[c * p + j] = Bt[j * l + c]!;
  const svd = svdJacobi(B, l, p);
  const components = new Float64Array(k * p);
  for (let r = 0; r < k; r++) for (let j = 0; j < p; j++) components[r * p + j] = svd.v[j * p + r]!;
  return { components, singular: svd.s.slice(0, k) };
}

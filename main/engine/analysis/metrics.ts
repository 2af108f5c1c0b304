/**
 * Clustering agreement (ARI, NMI) and the benchmark's per-gene accuracy metrics
 * (benchmark.md "Protocol coarsen" step 4 and "Protocol holdout"; methods.md §9.1–9.2).
 *
 * Matrices are spots × genes (row-major). Per-gene metrics are computed column by column and
 * averaged over genes; PCC skips genes where truth or prediction is constant (Pearson is undefined).
 */
import { badInput } from '../errors';
import type { DenseMatrix } from './matrix';

// ───────────────────────────── clustering agreement ─────────────────────────────

export type Label = string | number | null | undefined;

/** '' / null / undefined / NaN / negative numbers mean "no label". */
export function isLabelled(l: Label): boolean {
  if (l === null || l === undefined) return false;
  if (typeof l === 'number') return Number.isFinite(l) && l >= 0;
  return l !== '';
}

interface Contingency {
  n: number;
  table: Map<string, number>;
  a: Map<string, number>;
  b: Map<string, number>;
}

function contingency(
  truth: readonly Label[],
  pred: readonly Label[],
  exclude: readonly Label[],
): Contingency {
  if (truth.length !== pred.length)
    throw badInput(`label vectors differ in length (${truth.length} vs ${pred.length})`);
  const ex = new Set(exclude.map(String));
  const table = new Map<string, number>();
  const a = new Map<string, number>();
  const b = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    // A point counts only when BOTH labellings say something about it.
    if (!isLabelled(t) || !isLabelled(p) || ex.has(String(t))) continue;
    const ts = String(t);
    const ps = String(p);
    n++;
    const key = `${ts}\u0000${ps}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    a.set(ts, (a.get(ts) ?? 0) + 1);
    b.set(ps, (b.get(ps) ?? 0) + 1);
  }
  return { n, table, a, b };
}

const comb2 = (x: number): number => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985), as sklearn's adjusted_rand_score: via the pair
 * confusion matrix, 1.0 when the two labellings agree on every pair (including the degenerate
 * cases "both one cluster" and "both all singletons"). Points unlabelled in either vector, or whose
 * truth label is in `exclude` (e.g. 'undetermined'), are dropped first.
 */
export function adjustedRandIndex(
  truth: readonly Label[],
  pred: readonly Label[],
  exclude: readonly Label[] = [],
): number {
  const { n, table, a, b } = contingency(truth, pred, exclude);
  if (n === 0) throw badInput('ARI: no point is labelled in both vectors.');
  let sumIj = 0;
  for (const v of table.values()) sumIj += v * v;
  let sumA = 0;
  for (const v of a.values()) sumA += v * v;
  let sumB = 0;
  for (const v of b.values()) sumB += v * v;
  // sklearn's pair_confusion_matrix (ordered pairs): tp = Σn²ij − n, fp/fn from the marginals.
  const tp = sumIj - n;
  const fp = sumB - sumIj; // same predicted cluster, different truth
  const fn = sumA - sumIj; // same truth, different predicted cluster
  const tn = n * n - fp - fn - sumIj;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/** Textbook ARI from the contingency table (used in tests as an independent formula). */
export function adjustedRandIndexFromTable(table: number[][]): number {
  let sumComb = 0;
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0]!.map((_, j) => table.reduce((s, r) => s + r[j]!, 0));
  for (const r of table) for (const v of r) sumComb += comb2(v);
  const n = rows.reduce((s, v) => s + v, 0);
  const sa = rows.reduce((s, v) => s + comb2(v), 0);
  const sb = cols.reduce((s, v) => s + comb2(v), 0);
  const expected = (sa * sb) / comb2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (sumComb - expected) / (max - expected);
}

/**
 * Normalised mutual information with the arithmetic mean of the entropies (sklearn's default
 * average_method='arithmetic'); natural logs. Both labellings one cluster → 1; MI = 0 otherwise → 0.
 */
export function normalizedMutualInfo(
  truth: readonly Label[],
  pred: readonly Label[],
  exclude: readonly Label[] = [],
): number {
  const { n, table, a, b } = contingency(truth, pred, exclude);
  if (n === 0) throw badInput('NMI: no point is labelled in both vectors.');
  if (a.size === 1 && b.size === 1) return 1;
  let mi = 0;
  for (const [key, nij] of table) {
    const [ts, ps] = key.split('\u0000') as [string, string];
    mi += (nij / n) * Math.log((n * nij) / (a.get(ts)! * b.get(ps)!));
  }
  if (mi <= 0) return 0;
  const h = (m: Map<string, number>): number => {
    let s = 0;
    for (const v of m.values()) s -= (v / n) * Math.log(v / n);
    return s;
  };
  const norm = (h(a) + h(b)) / 2;
  return mi / Math.max(norm, 2 ** -52);
}

// ───────────────────────────── per-gene accuracy ─────────────────────────────

export const MINMAX_EPS = 1e-12;

function checkSame(a: DenseMatrix, b: DenseMatrix): void {
  if (a.nRows !== b.nRows || a.nCols !== b.nCols)
    throw badInput(`truth is ${a.nRows}×${a.nCols} but prediction is ${b.nRows}×${b.nCols}`);
}

/** Per gene (column): (v − min) / (max − min + ε) over the rows given (ε = 1e-12, benchmark.md). */
export function minMaxPerGene(m: DenseMatrix, eps = MINMAX_EPS): DenseMatrix {
  const { nRows: n, nCols: g, data } = m;
  const out = new Float64Array(n * g);
  for (let j = 0; j < g; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[i * g + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const den = hi - lo + eps;
    for (let i = 0; i < n; i++) out[i * g + j] = (data[i * g + j]! - lo) / den;
  }
  return { nRows: n, nCols: g, data: out };
}

export function rmsePerGene(t: DenseMatrix, p: DenseMatrix): Float64Array {
  return Float64Array.from(msePerGene(t, p), Math.sqrt);
}

export function msePerGene(t: DenseMatrix, p: DenseMatrix): Float64Array {
  checkSame(t, p);
  const { nRows: n, nCols: g } = t;
  const out = new Float64Array(g);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < g; j++) out[j] = out[j]! + (p.data[i * g + j]! - t.data[i * g + j]!) ** 2;
  for (let j = 0; j < g; j++) out[j] = out[j]! / n;
  return out;
}

export function maePerGene(t: DenseMatrix, p: DenseMatrix): Float64Array {
  checkSame(t, p);
  const { nRows: n, nCols: g } = t;
  const out = new Float64Array(g);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < g; j++) out[j] = out[j]! + Math.abs(p.data[i * g + j]! - t.data[i * g + j]!);
  for (let j = 0; j < g; j++) out[j] = out[j]! / n;
  return out;
}

/** Pearson correlation per gene; NaN where either column is constant. Two-pass (centred) sums. */
export function pccPerGene(t: DenseMatrix, p: DenseMatrix): Float64Array {
  checkSame(t, p);
  const { nRows: n, nCols: g } = t;
  const out = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    let mt = 0;
    let mp = 0;
    for (let i = 0; i < n; i++) {
      mt += t.data[i * g + j]!;
      mp += p.data[i * g + j]!;
    }
    mt /= n;
    mp /= n;
    let stt = 0;
    let spp = 0;
    let stp = 0;
    for (let i = 0; i < n; i++) {
      const a = t.data[i * g + j]! - mt;
      const b = p.data[i * g + j]! - mp;
      stt += a * a;
      spp += b * b;
      stp += a * b;
    }
    out[j] = stt > 0 && spp > 0 ? stp / Math.sqrt(stt * spp) : NaN;
  }
  return out;
}

/** Mean of the finite entries (NaN when there are none). */
export function finiteMean(v: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < v.length; i++)
    if (Number.isFinite(v[i]!)) {
      s += v[i]!;
      c++;
    }
  return c > 0 ? s / c : NaN;
}

// ───────────────────────────── SSIM ─────────────────────────────

export interface SsimOptions {
  winSize?: number;
  k1?: number;
  k2?: number;
  dataRange?: number;
}

/**
 * Mean structural similarity of two H×W images exactly as scikit-image's structural_similarity with
 * its defaults: a winSize×winSize (7) uniform window, sample covariance (normalised by N/(N−1), N =
 * 49), C1 = (K1·L)², C2 = (K2·L)² with L = data_range, and the mean of the SSIM map after cropping
 * (winSize−1)/2 = 3 pixels from every border. Inside the crop every window lies fully in the image,
 * so scikit-image's reflective padding never enters the result and the windows are summed directly.
 */
export function ssim(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  height: number,
  width: number,
  options: SsimOptions = {},
): number {
  const win = options.winSize ?? 7;
  if (win < 3 || win % 2 === 0) throw badInput('SSIM window size must be odd and ≥ 3.');
  if (height < win || width < win)
    throw badInput(`SSIM needs images of at least ${win}×${win}, got ${height}×${width}.`);
  if (a.length !== height * width || b.length !== height * width)
    throw badInput('SSIM image sizes do not match.');
  const L = options.dataRange ?? 1;
  const C1 = ((options.k1 ?? 0.01) * L) ** 2;
  const C2 = ((options.k2 ?? 0.03) * L) ** 2;
  const np = win * win;
  const covNorm = np / (np - 1);
  const r = (win - 1) / 2;
  let total = 0;
  let count = 0;
  for (let i = r; i < height - r; i++)
    for (let j = r; j < width - r; j++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let di = -r; di <= r; di++)
        for (let dj = -r; dj <= r; dj++) {
          const q = (i + di) * width + (j + dj);
          const x = a[q]!;
          const y = b[q]!;
          sx += x;
          sy += y;
          sxx += x * x;
          syy += y * y;
          sxy += x * y;
        }
      const ux = sx / np;
      const uy = sy / np;
      const vx = covNorm * (sxx / np - ux * ux);
      const vy = covNorm * (syy / np - uy * uy);
      const vxy = covNorm * (sxy / np - ux * uy);
      const s = ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
      total += s;
      count++;
    }
  return total / count;
}

/**
 * Where each spot goes in the per-gene SSIM image: one pixel per lattice position, empty positions 0.
 * Square lattices use (row, col) directly. Hexagonal lattices in doubled coordinates (row + col of one
 * parity, as Visium's array_row/array_col and the MOB ST arrays) halve the column, which maps each
 * lattice position to its own pixel; hexagonal indices already in offset form are used as they are.
 */
export interface LatticeImageLayout {
  height: number;
  width: number;
  /** pixel index (row-major) per spot */
  pixel: Int32Array;
}

export function latticeImageLayout(
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  lattice: 'square' | 'hex',
): LatticeImageLayout {
  const n = rows.length;
  if (cols.length !== n) throw badInput('row and col arrays differ in length');
  if (n === 0) throw badInput('No spots to place on the lattice.');
  let halve = false;
  if (lattice === 'hex') {
    const par = (((rows[0]! + cols[0]!) % 2) + 2) % 2;
    halve = true;
    for (let i = 0; i < n; i++) if ((((rows[i]! + cols[i]!) % 2) + 2) % 2 !== par) halve = false;
  }
  let r0 = Infinity;
  let c0 = Infinity;
  for (let i = 0; i < n; i++) {
    r0 = Math.min(r0, rows[i]!);
    c0 = Math.min(c0, halve ? Math.floor(cols[i]! / 2) : cols[i]!);
  }
  const rr = Int32Array.from({ length: n }, (_, i) => rows[i]! - r0);
  const cc = Int32Array.from({ length: n }, (_, i) => (halve ? Math.floor(cols[i]! / 2) : cols[i]!) - c0);
  let height = 0;
  let width = 0;
  for (let i = 0; i < n; i++) {
    height = Math.max(height, rr[i]! + 1);
    width = Math.max(width, cc[i]! + 1);
  }
  const pixel = Int32Array.from({ length: n }, (_, i) => rr[i]! * width + cc[i]!);
  const seen = new Set<number>();
  for (const p of pixel) {
    if (seen.has(p))
      throw badInput('Two spots share one lattice position; the array indices are not a lattice.');
    seen.add(p);
  }
  return { height, width, pixel };
}

/** SSIM per gene of spots × genes matrices placed on the lattice image (values assumed in [0, 1]). */
export function ssimPerGene(
  t: DenseMatrix,
  p: DenseMatrix,
  layout: LatticeImageLayout,
  options: SsimOptions = {},
): Float64Array {
  checkSame(t, p);
  const { nRows: n, nCols: g } = t;
  if (layout.pixel.length !== n) throw badInput('The lattice layout does not match the number of spots.');
  const size = layout.height * layout.width;
  const out = new Float64Array(g);
  const A = new Float64Array(size);
  const B = new Float64Array(size);
  for (let j = 0; j < g; j++) {
    A.fill(0);
    B.fill(0);
    for (let i = 0; i < n; i++) {
      A[layout.pixel[i]!] = t.data[i * g + j]!;
      B[layout.pixel[i]!] = p.data[i * g + j]!;
    }
    out[j] = ssim(A, B, layout.height, layout.width, options);
  }
  return out;
}

// ───────────────────────────── protocol scores ─────────────────────────────

export interface BenchScores {
  rmse: number;
  ssim: number;
  pcc: number;
  mae: number;
  mse: number;
  /** genes that entered the PCC mean */
  pccGenes: number;
}

/**
 * Protocol `coarsen` (benchmark.md step 4): per-gene min-max of truth and prediction over the
 * evaluated spots, then RMSE, SSIM (lattice image), PCC (non-constant genes), MAE and MSE, each
 * averaged over genes.
 */
export function scoreCoarsen(truth: DenseMatrix, pred: DenseMatrix, layout: LatticeImageLayout): BenchScores {
  checkSame(truth, pred);
  const t = minMaxPerGene(truth);
  const p = minMaxPerGene(pred);
  const pcc = pccPerGene(t, p);
  return {
    rmse: finiteMean(rmsePerGene(t, p)),
    ssim: finiteMean(ssimPerGene(t, p, layout)),
    pcc: finiteMean(pcc),
    mae: finiteMean(maePerGene(t, p)),
    mse: finiteMean(msePerGene(t, p)),
    pccGenes: Array.from(pcc).filter(Number.isFinite).length,
  };
}

/**
 * Protocol `holdout`: PCC, MSE and MAE on the values as given (log1p of counts normalised to 10⁴,
 * hidden spots only), RMSE and SSIM after per-gene min-max.
 */
export function scoreHoldout(truth: DenseMatrix, pred: DenseMatrix, layout: LatticeImageLayout): BenchScores {
  checkSame(truth, pred);
  const t = minMaxPerGene(truth);
  const p = minMaxPerGene(pred);
  const pcc = pccPerGene(truth, pred);
  return {
    rmse: finiteMean(rmsePerGene(t, p)),
    ssim: finiteMean(ssimPerGene(t, p, layout)),
    pcc: finiteMean(pcc),
    mae: finiteMean(maePerGene(truth, pred)),
    mse: finiteMean(msePerGene(truth, pred)),
    pccGenes: Array.from(pcc).filter(Number.isFinite).length,
  };
}

/**
 * One-predictor LOESS (Cleveland, Grosse & Shyu) exactly as the netlib `dloess` code that
 * scikit-misc wraps and scanpy's seurat_v3 HVG selection calls (`skmisc.loess.loess(x, y, span,
 * degree=2)`, family gaussian, so no robustness iterations).
 *
 * The local fit (ehg127): at a point q take the nf = floor(n·span) nearest x values, radius² ρ =
 * (nf-th smallest squared distance)·max(1, span), tricube weights (1 − (|x−q|/√ρ)³)³ (so the nf-th
 * point itself weighs 0), and a weighted least-squares polynomial in (x − q) of the given degree,
 * solved through an SVD with columns equilibrated and singular values below 100·ε·σ₁ dropped (a
 * pseudo-inverse, as dloess does). Its intercept is the fitted value, its linear term the slope.
 *
 * surface 'interpolate' (skmisc's default, what scanpy gets): a k-d tree over x (ehg126/ehg124:
 * bounding box widened by 0.5 % each side, cells split at the median with ties kept together, a cell
 * is a leaf once it holds ≤ floor(n·span·cell) points, cell = 0.2), the local fit evaluated only at
 * the cell vertices (value and slope), and every fitted value read off by cubic Hermite interpolation
 * inside its leaf cell (ehg128). 'direct' evaluates the local fit at every x instead (exact LOESS,
 * O(n²)); the two differ by the interpolation error, typically < 1e-3 of the spread of y, which can
 * swap genes whose normalised variances are that close but leaves the ranking otherwise unchanged.
 */
import { badInput } from '../errors';
import { svdJacobi } from './matrix';

export interface LoessOptions {
  span: number;
  /** 0, 1 or 2 (scanpy uses 2) */
  degree?: 0 | 1 | 2;
  surface?: 'interpolate' | 'direct';
  /** k-d tree cell size as a fraction of the span (skmisc default 0.2) */
  cell?: number;
}

/** Fitted values of y on x at the data points. */
export function loessFit(x: Float64Array, y: Float64Array, options: LoessOptions): Float64Array {
  const n = x.length;
  if (y.length !== n) throw badInput(`loess: x has ${n} values, y has ${y.length}`);
  const span = options.span;
  const degree = options.degree ?? 2;
  if (!(span > 0)) throw badInput(`loess: span must be positive, got ${span}`);
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) throw badInput('loess: x and y must be finite');
  const nf = Math.min(n, Math.floor(n * span));
  const k = degree + 1;
  // dloess refuses (ehg182 code 104) when the neighbourhood cannot determine the polynomial.
  if (k > nf - 1)
    throw badInput(`loess: span ${span} is too small for ${n} points (fewer points than parameters)`);
  const fitter = new LocalFitter(x, y, nf, span, degree);
  const out = new Float64Array(n);
  if ((options.surface ?? 'interpolate') === 'direct') {
    for (let i = 0; i < n; i++) out[i] = fitter.fit(x[i]!)[0];
    return out;
  }
  const tree = buildTree(x, span * (options.cell ?? 0.2));
  const vval = new Map<number, [number, number]>();
  for (const v of tree.vertices) vval.set(v, fitter.fit(v));
  for (let i = 0; i < n; i++) out[i] = evalTree(tree, vval, x[i]!);
  return out;
}

/**
 * The local fit evaluated directly at arbitrary points (dloess's "direct" surface, i.e. predict()
 * without the k-d tree): [value, slope] per point.
 */
export function loessFitAt(
  x: Float64Array,
  y: Float64Array,
  at: ArrayLike<number>,
  options: Pick<LoessOptions, 'span' | 'degree'>,
): { value: Float64Array; slope: Float64Array } {
  const n = x.length;
  const nf = Math.min(n, Math.floor(n * options.span));
  const degree = options.degree ?? 2;
  if (degree + 1 > nf - 1) throw badInput(`loess: span ${options.span} is too small for ${n} points`);
  const fitter = new LocalFitter(x, y, nf, options.span, degree);
  const value = new Float64Array(at.length);
  const slope = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) [value[i], slope[i]] = fitter.fit(at[i]!);
  return { value, slope };
}

/** The x positions of the k-d tree vertices 'interpolate' fits at (bounding box ends and splits). */
export function loessVertices(x: Float64Array, span: number, cell = 0.2): Float64Array {
  return Float64Array.from(buildTree(x, span * cell).vertices).sort();
}

class LocalFitter {
  private readonly dist: Float64Array;
  private readonly scratch: Float64Array;
  constructor(
    private readonly x: Float64Array,
    private readonly y: Float64Array,
    private readonly nf: number,
    private readonly span: number,
    private readonly degree: number,
  ) {
    this.dist = new Float64Array(x.length);
    this.scratch = new Float64Array(x.length);
  }

  /** [value, slope] of the local polynomial at q. */
  fit(q: number): [number, number] {
    const { x, y, nf, dist } = this;
    const n = x.length;
    for (let i = 0; i < n; i++) dist[i] = (x[i]! - q) ** 2;
    this.scratch.set(dist);
    const rho = quickselect(this.scratch, nf - 1) * Math.max(1, this.span);
    if (!(rho > 0))
      throw badInput('loess: zero-width neighbourhood (too many tied x values); make span bigger');
    // Points at distance ≥ √ρ get weight 0, so only those strictly inside enter the regression; which
    // of several points tied exactly at the nf-th distance dloess keeps does not matter for that reason.
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (dist[i]! < rho) idx.push(i);
    const m = idx.length;
    const k = this.degree + 1;
    const B = new Float64Array(m * k);
    const eta = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      const i = idx[r]!;
      const t = Math.sqrt(dist[i]! / rho);
      const w = Math.sqrt((1 - t * t * t) ** 3);
      const dx = x[i]! - q;
      let p = w;
      for (let c = 0; c < k; c++) {
        B[r * k + c] = p;
        p *= dx;
      }
      eta[r] = w * y[i]!;
    }
    // Equilibrate columns (dloess does, and it keeps the SVD threshold scale-free).
    const colnorm = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += B[r * k + c]! ** 2;
      s = Math.sqrt(s);
      colnorm[c] = s > 0 ? s : 1;
      for (let r = 0; r < m; r++) B[r * k + c] = B[r * k + c]! / colnorm[c]!;
    }
    if (m < k) throw badInput('loess: fewer weighted points than parameters; make span bigger');
    const { u, s, v } = svdJacobi(B, m, k);
    const tol = s[0]! * 100 * 2 ** -52;
    const gamma = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      if (!(s[j]! > tol)) continue;
      let d = 0;
      for (let r = 0; r < m; r++) d += u[r * k + j]! * eta[r]!;
      gamma[j] = d / s[j]!;
    }
    const coef = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let a = 0;
      for (let j = 0; j < k; j++) a += v[c * k + j]! * gamma[j]!;
      coef[c] = a / colnorm[c]!;
    }
    return [coef[0]!, k > 1 ? coef[1]! : 0];
  }
}

/** k-th smallest (0-based) of a, partially reordering a (Hoare selection). */
function quickselect(a: Float64Array, k: number): number {
  let l = 0;
  let r = a.length - 1;
  while (l < r) {
    const pivot = a[(l + r) >> 1]!;
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return a[k]!;
  }
  return a[k]!;
}

interface Tree {
  /** per cell: split value (NaN for a leaf), children, vertex interval */
  xi: number[];
  lo: number[];
  hi: number[];
  vLo: number[];
  vHi: number[];
  vertices: number[];
}

/** ehg126 + ehg124 for d = 1, on the sorted x values (cells are contiguous runs of them). */
function buildTree(x: Float64Array, fcFraction: number): Tree {
  const n = x.length;
  const s = Float64Array.from(x).sort();
  const alpha = s[0]!;
  const beta = s[n - 1]!;
  const mu = 0.005 * Math.max(beta - alpha, 1e-10 * Math.max(Math.abs(alpha), Math.abs(beta)) + 1e-30);
  const fc = Math.floor(n * fcFraction);
  const nvmax = Math.max(200, n);
  const ncmax = nvmax;
  const tree: Tree = {
    xi: [NaN],
    lo: [-1],
    hi: [-1],
    vLo: [alpha - mu],
    vHi: [beta + mu],
    vertices: [alpha - mu, beta + mu],
  };
  const cellL = [0];
  const cellU = [n - 1];
  let nv = 2;
  for (let p = 0; p < tree.xi.length; p++) {
    const l = cellL[p]!;
    const u = cellU[p]!;
    const diam = tree.vHi[p]! - tree.vLo[p]!;
    let leaf = u - l + 1 <= fc || diam <= 0;
    const nc = tree.xi.length;
    if (!leaf) leaf = ncmax < nc + 2 || nvmax < nv + 1;
    let m = Math.floor((l + u) / 2);
    if (!leaf) {
      // "all ties go with hi son": move the split to the nearest gap between distinct values,
      // trying m, m+1, m−1, m+2, … and giving up at the first offset that leaves the cell.
      for (let off = 0; ;) {
        const mm = m + off;
        if (mm >= u || mm < l) break;
        if (s[mm] !== s[mm + 1]) {
          m = mm;
          break;
        }
        off = -off;
        if (off >= 0) off += 1;
      }
      const split = s[m]!;
      leaf = tree.vLo[p] === split || tree.vHi[p] === split;
    }
    if (leaf) continue;
    const split = s[m]!;
    tree.xi[p] = split;
    tree.lo[p] = tree.xi.length;
    tree.xi.push(NaN, NaN);
    tree.lo.push(-1, -1);
    tree.hi.push(-1, -1);
    tree.hi[p] = tree.lo[p]! + 1;
    tree.vLo.push(tree.vLo[p]!, split);
    tree.vHi.push(split, tree.vHi[p]!);
    cellL.push(l, m + 1);
    cellU.push(m, u);
    tree.vertices.push(split);
    nv++;
  }
  return tree;
}

/** ehg128 for d = 1: descend to the leaf (z ≤ split goes left), cubic Hermite between its vertices. */
function evalTree(tree: Tree, vval: Map<number, [number, number]>, z: number): number {
  let j = 0;
  while (!Number.isNaN(tree.xi[j]!)) j = z <= tree.xi[j]! ? tree.lo[j]! : tree.hi[j]!;
  const v0 = tree.vLo[j]!;
  const v1 = tree.vHi[j]!;
  const [g0, d0] = vval.get(v0)!;
  const [g1, d1] = vval.get(v1)!;
  const h = (z - v0) / (v1 - v0);
  const phi0 = (1 - h) ** 2 * (1 + 2 * h);
  const phi1 = h * h * (3 - 2 * h);
  const psi0 = h * (1 - h) ** 2;
  const psi1 = h * h * (h - 1);
  return phi0 * g0 + phi1 * g1 + (psi0 * d0 + psi1 * d1) * (v1 - v0);
}

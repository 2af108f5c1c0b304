/**
 * Dense row-major matrices and the small amount of linear algebra analysis/ needs, written out
 * here because the engine has no numeric library: a symmetric eigensolver (Householder
 * tridiagonalisation + implicit QL, the EISPACK tred2/tql2 pair as published in JAMA), a one-sided
 * Jacobi SVD (Hestenes), and Gram–Schmidt orthonormalisation with re-orthogonalisation.
 */
import type { CsrMatrix } from '../io/sample';

/** Row-major dense matrix: element (i, j) is data[i * nCols + j]. */
export interface DenseMatrix {
  nRows: number;
  nCols: number;
  data: Float32Array | Float64Array;
}

export function denseFrom(nRows: number, nCols: number, data?: Float32Array | Float64Array): DenseMatrix {
  const d = data ?? new Float64Array(nRows * nCols);
  if (d.length !== nRows * nCols)
    throw new RangeError(`matrix data has ${d.length} values, expected ${nRows}×${nCols}`);
  return { nRows, nCols, data: d };
}

/**
 * Densifies a CSR matrix, optionally keeping only some columns (in the order given), e.g. the HVGs.
 * Float64 by default so later sums do not lose precision.
 */
export function csrToDense(
  m: CsrMatrix,
  options: { columns?: ArrayLike<number>; dtype?: 'float32' | 'float64' } = {},
): DenseMatrix {
  const cols = options.columns;
  const nCols = cols ? cols.length : m.nCols;
  const out =
    options.dtype === 'float32' ? new Float32Array(m.nRows * nCols) : new Float64Array(m.nRows * nCols);
  let map: Int32Array | null = null;
  if (cols) {
    map = new Int32Array(m.nCols).fill(-1);
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!;
      if (!(c >= 0 && c < m.nCols)) throw new RangeError(`column ${c} is outside 0..${m.nCols - 1}`);
      map[c] = j;
    }
  }
  for (let i = 0; i < m.nRows; i++) {
    const base = i * nCols;
    for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) {
      const c = m.indices[q]!;
      const j = map ? map[c]! : c;
      if (j >= 0) out[base + j] = out[base + j]! + m.data[q]!;
    }
  }
  return { nRows: m.nRows, nCols, data: out };
}

/** Selects rows (in the given order). */
export function selectRows(m: DenseMatrix, rows: ArrayLike<number>): DenseMatrix {
  const out = new Float64Array(rows.length * m.nCols);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    out.set(m.data.subarray(i * m.nCols, (i + 1) * m.nCols), r * m.nCols);
  }
  return { nRows: rows.length, nCols: m.nCols, data: out };
}

export interface SymmetricEigen {
  /** eigenvalues in DESCENDING order */
  values: Float64Array;
  /** n×n row-major; ROW j is the unit eigenvector of values[j] */
  vectors: Float64Array;
}

/**
 * All eigenvalues and eigenvectors of a real symmetric n×n matrix (row-major; only symmetry is
 * assumed, the input is not modified). Householder reduction to tridiagonal form, then the implicit
 * QL algorithm with Wilkinson-type shifts (EISPACK tred2/tql2). Backward stable; O(n³).
 */
export function symmetricEigen(a: Float64Array | Float32Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`expected ${n}×${n} values, got ${a.length}`);
  const V = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: V };
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  // tql2 leaves eigenvectors in the COLUMNS of V, ascending; return rows, descending.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]! || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const c = order[r]!;
    values[r] = d[c]!;
    for (let k = 0; k < n; k++) vectors[r * n + k] = V[k * n + c]!;
  }
  return { values, vectors };
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigen: QL iteration did not converge');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            const row = k * n;
            h = V[row + i + 1]!;
            V[row + i + 1] = s * V[row + i]! + c * h;
            V[row + i] = c * V[row + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

export interface Svd {
  /** m×r row-major, orthonormal columns (r = min(m, n)) */
  u: Float64Array;
  /** r singular values, descending */
  s: Float64Array;
  /** n×r row-major, orthonormal columns */
  v: Float64Array;
  rank: number;
}

/**
 * Thin SVD of an m×n matrix with m ≥ n by one-sided Jacobi rotations (Hestenes): columns are rotated
 * pairwise until all are mutually orthogonal; their norms are the singular values. Accurate to
 * relative precision for small singular values too (unlike an eigendecomposition of AᵀA, which
 * squares the condition number), which is why the randomized PCA and the LOESS solve use it.
 */
export function svdJacobi(a: Float64Array | Float32Array, m: number, n: number): Svd {
  if (m < n) throw new RangeError('svdJacobi needs m ≥ n; transpose first');
  if (a.length !== m * n) throw new RangeError(`expected ${m}×${n} values, got ${a.length}`);
  // Work on columns stored contiguously (column-major copy) for cache-friendly rotations.
  const U = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) U[j * m + i] = a[i * n + j]!;
  const V = new Float64Array(n * n);
  for (let j = 0; j < n; j++) V[j * n + j] = 1;
  const eps = 2 ** -52;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * m;
        const oq = q * m;
        for (let i = 0; i < m; i++) {
          const x = U[op + i]!;
          const y = U[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = U[op + i]!;
          const y = U[oq + i]!;
          U[op + i] = c * x - s * y;
          U[oq + i] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = V[p * n + i]!;
          const y = V[q * n + i]!;
          V[p * n + i] = c * x - s * y;
          V[q * n + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += U[j * m + i]! ** 2;
    norms[j] = Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y]! - norms[x]! || x - y);
  const s = new Float64Array(n);
  const u = new Float64Array(m * n);
  const v = new Float64Array(n * n);
  const tol = (norms[order[0]!] ?? 0) * Math.max(m, n) * eps;
  let rank = 0;
  for (let r = 0; r < n; r++) {
    const j = order[r]!;
    const sv = norms[j]!;
    s[r] = sv;
    if (sv > tol) rank++;
    for (let i = 0; i < m; i++) u[i * n + r] = sv > 0 ? U[j * m + i]! / sv : 0;
    for (let i = 0; i < n; i++) v[i * n + r] = V[j * n + i]!;
  }
  return { u, s, v, rank };
}

/**
 * Orthonormalises the columns of an m×k row-major matrix in place by modified Gram–Schmidt, run twice
 * ("twice is enough", Giraud et al. 2005) so the result is orthonormal to working precision even when
 * the columns are nearly dependent, as they become during power iterations.
 */
export function orthonormalizeColumns(a: Float64Array, m: number, k: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[i * k + p]! * a[i * k + j]!;
        for (let i = 0; i < m; i++) a[i * k + j] = a[i * k + j]! - dot * a[i * k + p]!;
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += a[i * k + j]! ** 2;
      nrm = Math.sqrt(nrm);
      // A column that vanished (rank deficiency) is left at zero rather than amplified noise.
      const inv = nrm > 0 ? 1 / nrm : 0;
      for (let i = 0; i < m; i++) a[i * k + j] = a[i * k + j]! * inv;
    }
  }
}

/**
 * The normalised layer of the spot-level export: log1p(counts / library size × 10 000), scanpy's
 * `normalize_total(target_sum=1e4)` + `log1p`, kept sparse (zeros stay zeros). The analysis module
 * has its own preprocessing; this one is here so the export does not depend on it.
 */
import type { CsrMatrix } from '../io/sample';

export function log1pCp10k(m: CsrMatrix): CsrMatrix {
  const data = new Float32Array(m.data.length);
  for (let r = 0; r < m.nRows; r++) {
    const a = m.indptr[r]!;
    const b = m.indptr[r + 1]!;
    let total = 0;
    for (let k = a; k < b; k++) total += m.data[k]!;
    // an empty spot stays all-zero rather than dividing by zero
    const scale = total > 0 ? 1e4 / total : 0;
    for (let k = a; k < b; k++) data[k] = Math.log1p(m.data[k]! * scale);
  }
  return { nRows: m.nRows, nCols: m.nCols, indptr: m.indptr, indices: m.indices, data };
}

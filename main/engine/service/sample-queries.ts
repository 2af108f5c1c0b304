import type { CsrMatrix } from '../io/sample';
import { EngineError } from '../errors';
import { rowSums } from '../analysis/normalise';

export { rowSums };

export { searchGenes, type GeneMatch as GeneHit } from '../../../preload/contract/gene-search';

/** One gene's value at every spot, as raw counts or log1p(counts / library size × 10⁴). */
export function geneColumn(
  m: CsrMatrix,
  gene: number,
  scale: 'counts' | 'log1p-cp10k',
  libSizes?: Float64Array,
): Float64Array {
  if (gene < 0 || gene >= m.nCols)
    throw new EngineError('BAD_INPUT', `Gene index ${gene} is out of range (0–${m.nCols - 1}).`);
  const out = new Float64Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) {
    // indices are sorted within a row by every reader, so a binary search finds the gene
    let lo = m.indptr[r]!;
    let hi = m.indptr[r + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = m.indices[mid]!;
      if (c === gene) {
        out[r] = m.data[mid]!;
        break;
      }
      if (c < gene) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  if (scale === 'log1p-cp10k') {
    const lib = libSizes ?? rowSums(m);
    for (let r = 0; r < m.nRows; r++) out[r] = lib[r]! > 0 ? Math.log1p((out[r]! / lib[r]!) * 1e4) : 0;
  }
  return out;
}

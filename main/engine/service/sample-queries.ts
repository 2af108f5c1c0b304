import type { CsrMatrix, Sample } from '../io/sample';
import { EngineError } from '../errors';
import { rowSums } from '../analysis/normalise';

export { rowSums };

export interface GeneHit {
  index: number;
  id: string;
  symbol: string;
}

/**
 * Autocomplete for gene search: exact symbol first, then symbol prefixes, then id prefixes, then
 * substrings, each group alphabetical; case-insensitive like Loupe's search box.
 */
export function searchGenes(genes: Sample['genes'], query: string, limit = 20): GeneHit[] {
  const q = query.trim().toLowerCase();
  if (!q) return genes.slice(0, limit).map((g, index) => ({ index, ...g }));
  const rank = (g: Sample['genes'][number]): number => {
    const s = g.symbol.toLowerCase();
    const id = g.id.toLowerCase();
    if (s === q || id === q) return 0;
    if (s.startsWith(q)) return 1;
    if (id.startsWith(q)) return 2;
    if (s.includes(q) || id.includes(q)) return 3;
    return -1;
  };
  const hits: { hit: GeneHit; r: number }[] = [];
  genes.forEach((g, index) => {
    const r = rank(g);
    if (r >= 0) hits.push({ hit: { index, id: g.id, symbol: g.symbol }, r });
  });
  hits.sort((a, b) => a.r - b.r || a.hit.symbol.localeCompare(b.hit.symbol));
  return hits.slice(0, limit).map((h) => h.hit);
}

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

/**
 * Gene lookup by name, shared by the engine (`samples.genes`) and the viewer, which searches the
 * sample's gene list locally once it is loaded (`samples.geneNames`): both rank the same way, and
 * the viewer never has to wait for a round trip per keystroke. Pure code: the renderer may import
 * it at run time (see docs/architecture.md).
 */
export interface GeneName {
  id: string;
  symbol: string;
}

export interface GeneMatch extends GeneName {
  /** the gene's column in its sample's count matrix */
  index: number;
}

/**
 * Autocomplete: exact symbol or id first, then symbol prefixes, then id prefixes, then
 * substrings, each group alphabetical; case-insensitive like Loupe's search box.
 */
export function searchGenes(genes: readonly GeneName[], query: string, limit = 20): GeneMatch[] {
  const q = query.trim().toLowerCase();
  if (!q) return genes.slice(0, limit).map((g, index) => ({ index, id: g.id, symbol: g.symbol }));
  const rank = (g: GeneName): number => {
    const s = g.symbol.toLowerCase();
    const id = g.id.toLowerCase();
    if (s === q || id === q) return 0;
    if (s.startsWith(q)) return 1;
    if (id.startsWith(q)) return 2;
    if (s.includes(q) || id.includes(q)) return 3;
    return -1;
  };
  const hits: { hit: GeneMatch; r: number }[] = [];
  genes.forEach((g, index) => {
    const r = rank(g);
    if (r >= 0) hits.push({ hit: { index, id: g.id, symbol: g.symbol }, r });
  });
  // Plain code-unit order, not localeCompare: ~10× faster on 15k genes and the same for gene names.
  hits.sort((a, b) => a.r - b.r || (a.hit.symbol < b.hit.symbol ? -1 : a.hit.symbol > b.hit.symbol ? 1 : 0));
  return hits.slice(0, limit).map((h) => h.hit);
}

/**
 * The gene a typed name means: the exact symbol (case-insensitive; the first such gene when a
 * symbol repeats) or id, else the best autocomplete match, else null. Never anything but a gene
 * of `genes`.
 */
export function resolveGene(genes: readonly GeneName[], text: string): GeneMatch | null {
  const q = text.trim().toLowerCase();
  if (!q) return null;
  let byId: GeneMatch | null = null;
  for (let index = 0; index < genes.length; index++) {
    const g = genes[index]!;
    if (g.symbol.toLowerCase() === q) return { index, id: g.id, symbol: g.symbol };
    if (!byId && g.id.toLowerCase() === q) byId = { index, id: g.id, symbol: g.symbol };
  }
  return byId ?? searchGenes(genes, q, 1)[0] ?? null;
}

import { describe, expect, it } from 'vitest';
import { resolveGene, searchGenes } from '../../../preload/contract/gene-search';

// HER2ST-like names; C2 and C3 list the same genes in a slightly different order.
const genes = [
  { id: 'FO538757.1', symbol: 'FO538757.1' },
  { id: 'ENSG00000141736', symbol: 'ERBB2' },
  { id: 'ENSG00000065361', symbol: 'ERBB3' },
  { id: 'ENSG00000171345', symbol: 'KRT19' },
  { id: 'ENSG00000171346', symbol: 'KRT1' },
  { id: 'ENSG00000111057', symbol: 'KRT18' },
  { id: 'ENSG00000019582', symbol: 'CD74' },
];

describe('searchGenes', () => {
  it('ranks exact, then symbol prefixes alphabetically, then substrings', () => {
    expect(searchGenes(genes, 'krt1').map((g) => g.symbol)).toEqual(['KRT1', 'KRT18', 'KRT19']);
    expect(searchGenes(genes, 'RB').map((g) => g.symbol)).toEqual(['ERBB2', 'ERBB3']);
    expect(searchGenes(genes, 'ENSG00000141736')[0]).toEqual({
      index: 1,
      id: 'ENSG00000141736',
      symbol: 'ERBB2',
    });
  });
  it('an empty query lists genes in column order', () => {
    expect(searchGenes(genes, ' ', 2).map((g) => g.index)).toEqual([0, 1]);
  });
});

describe('resolveGene', () => {
  it('resolves the exact symbol or id case-insensitively, with its index in this list', () => {
    expect(resolveGene(genes, 'erbb2')).toEqual({ index: 1, id: 'ENSG00000141736', symbol: 'ERBB2' });
    expect(resolveGene(genes, 'ENSG00000019582')?.symbol).toBe('CD74');
    // KRT1 is a gene of its own, not the first KRT1* prefix match
    expect(resolveGene(genes, 'KRT1')?.index).toBe(4);
    const reordered = [genes[1]!, genes[0]!, ...genes.slice(2)];
    expect(resolveGene(reordered, 'ERBB2')?.index).toBe(0);
  });
  it('falls back to the best match of the typed text only, and to null', () => {
    expect(resolveGene(genes, 'erbb')?.symbol).toBe('ERBB2');
    expect(resolveGene(genes, 'nope')).toBeNull();
    expect(resolveGene(genes, '')).toBeNull();
  });
});

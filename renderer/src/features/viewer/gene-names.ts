import { useEffect, useState } from 'react';
import type { GeneName } from '../../../../preload/contract/gene-search';
import { api } from '../../api';

/** One sample's genes in column order: the only list a typed name is resolved against. */
export interface GeneList {
  sampleId: number;
  genes: GeneName[];
}

const lists = new Map<number, Promise<GeneList>>();

/**
 * The sample's gene names, fetched once per sample and kept for the session (a 16k-gene list is
 * ~0.5 MB); a failed fetch is forgotten so the next call retries.
 */
export function geneNames(sampleId: number): Promise<GeneList> {
  let p = lists.get(sampleId);
  if (!p) {
    p = api['samples.geneNames']({ sampleId }).then(({ ids, symbols }) => ({
      sampleId,
      genes: symbols.map((symbol, i) => ({ symbol, id: ids[i] ?? symbol })),
    }));
    p.catch(() => lists.delete(sampleId));
    lists.set(sampleId, p);
  }
  return p;
}

/** The list for `sampleId`, or null while it loads; never another sample's list. */
export function useGeneNames(sampleId: number, onError: (e: unknown) => void): GeneList | null {
  const [list, setList] = useState<GeneList | null>(null);
  useEffect(() => {
    let live = true;
    geneNames(sampleId).then((l) => live && setList(l), onError);
    return () => {
      live = false;
    };
  }, [sampleId, onError]);
  return list && list.sampleId === sampleId ? list : null;
}

import { useId, useMemo, useRef, useState } from 'react';
import type { GeneHit } from '../../../../preload/contract';
import { resolveGene, searchGenes } from '../../../../preload/contract/gene-search';
import { useToasts } from '../../components/toasts';
import { geneNames, useGeneNames, type GeneList } from './gene-names';

/**
 * Gene search with autocomplete (symbol or id, prefix first); Enter picks the typed gene.
 * Names are resolved against the sample's own gene list (loaded once), never against hits of an
 * earlier query, so the gene picked is always the one in the box.
 */
export function GeneSearch({
  sampleId,
  initial,
  onPick,
}: {
  sampleId: number;
  /** the gene already on screen (restored view state) */
  initial?: string;
  onPick: (gene: GeneHit) => void;
}) {
  const toasts = useToasts();
  const listId = useId();
  const [query, setQuery] = useState(initial ?? '');
  const typed = useRef(query);
  const list = useGeneNames(sampleId, toasts.error);
  const hits = useMemo(() => (list ? searchGenes(list.genes, query, 12) : []), [list, query]);

  const resolve = (genes: GeneList['genes'], text: string) => {
    const hit = resolveGene(genes, text);
    if (hit) onPick(hit);
    else toasts.error(new Error(`No gene matches "${text}" in this sample.`));
  };
  const pick = async (text: string) => {
    // With the list loaded, pick within the key event: the legend changes in the same render.
    if (list) return resolve(list.genes, text);
    let genes;
    try {
      genes = (await geneNames(sampleId)).genes;
    } catch (e) {
      toasts.error(e);
      return;
    }
    // Typed on while the list loaded: the later Enter (or choice) decides.
    if (typed.current === text) resolve(genes, text);
  };

  return (
    <form
      className="gene-search"
      onSubmit={(e) => {
        e.preventDefault();
        void pick(query);
      }}
    >
      <input
        aria-label="Gene"
        placeholder="Gene (e.g. ERBB2)"
        list={listId}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          typed.current = e.target.value;
          // Choosing from the suggestions (not typing) shows the gene at once.
          const kind = (e.nativeEvent as InputEvent).inputType;
          if (kind === undefined || kind === 'insertReplacementText') void pick(e.target.value);
        }}
      />
      <datalist id={listId}>
        {hits.map((h) => (
          <option key={h.index} value={h.symbol}>
            {h.id !== h.symbol ? h.id : ''}
          </option>
        ))}
      </datalist>
      <button type="submit">Show</button>
    </form>
  );
}

import { useEffect, useId, useState } from 'react';
import type { GeneHit } from '../../../../preload/contract';
import { api } from '../../api';
import { useToasts } from '../../components/toasts';

/** Gene search with autocomplete (symbol or id, prefix first); Enter picks the best match. */
export function GeneSearch({ sampleId, onPick }: { sampleId: number; onPick: (gene: GeneHit) => void }) {
  const toasts = useToasts();
  const listId = useId();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<GeneHit[]>([]);

  useEffect(() => {
    let live = true;
    api['samples.genes']({ sampleId, query, limit: 12 }).then(
      (h) => live && setHits(h),
      (e: unknown) => toasts.error(e),
    );
    return () => {
      live = false;
    };
  }, [sampleId, query, toasts]);

  const pick = (text: string) => {
    const exact = hits.find(
      (h) => h.symbol.toLowerCase() === text.toLowerCase() || h.id.toLowerCase() === text.toLowerCase(),
    );
    const hit = exact ?? hits[0];
    if (hit) onPick(hit);
    else toasts.error(new Error(`No gene matches "${text}" in this sample.`));
  };

  return (
    <form
      className="gene-search"
      onSubmit={(e) => {
        e.preventDefault();
        pick(query);
      }}
    >
      <input
        aria-label="Gene"
        placeholder="Gene (e.g. ERBB2)"
        list={listId}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          const exact = hits.find((h) => h.symbol === e.target.value);
          if (exact) onPick(exact);
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

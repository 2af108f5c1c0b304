import { useEffect, useState } from 'react';
import type { GeneHit, RunInfo, ValueLayer } from '../../../../preload/contract';
import { api, projectFileUrl } from '../../api';
import type { GridGeometry } from '../layers/layer-canvas';

export interface UncertaintyLayer {
  runId: number;
  gene: GeneHit;
  layer: ValueLayer;
  grid: GridGeometry;
}

const same = (a: GeneHit, b: GeneHit) => a.index === b.index && a.symbol === b.symbol;

/**
 * The chosen SR run's uncertainty layer for the gene on screen (RunInfo.uncertainty: Diff-ST's SD
 * over its samples), read like the SR map itself; null while loading or when the run has none.
 */
export function useUncertaintyLayer(
  run: RunInfo | null,
  gene: GeneHit | null,
  onError: (e: unknown) => void,
): UncertaintyLayer | null {
  const [shown, setShown] = useState<UncertaintyLayer | null>(null);
  const modelled = run !== null && gene !== null && run.genes.some((g) => same(g, gene));
  useEffect(() => {
    if (!run || !gene || !modelled || run.uncertainty === undefined) return;
    let live = true;
    (async () => {
      const layer = await api['layers.srValues']({
        runId: run.id,
        gene: gene.index,
        symbol: gene.symbol,
        layer: 'uncertainty',
      });
      const res = await fetch(projectFileUrl(layer.path), { credentials: 'same-origin' });
      if (!res.ok)
        throw new Error(`The uncertainty map file ${layer.path} could not be read (${res.status}).`);
      const values = new Float32Array(await res.arrayBuffer());
      if (!live || !same(layer.gene, gene)) return;
      const { rows, cols, x, y, cellPx } = layer;
      setShown({ runId: run.id, gene, layer, grid: { values, rows, cols, x, y, cellPx } });
    })().catch((e: unknown) => live && onError(e));
    return () => {
      live = false;
    };
  }, [run, gene, modelled, onError]);
  return shown && run && gene && shown.runId === run.id && same(shown.gene, gene) ? shown : null;
}

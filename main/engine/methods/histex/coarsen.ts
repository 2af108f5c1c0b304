/**
 * HISTEX inputs from the benchmark's coarsening and the gene selection it trains on. The protocol
 * itself (scoring, controls) lives in the shared harness (main/engine/bench).
 */
import { csrToDense, seuratV3Hvg, type Coarsening } from '../../analysis';
import type { Sample } from '../../io/sample';
import type { HistexFeatures } from './features';
import type { HistexInput } from './pipeline';

/** seurat_v3 HVGs on the raw counts of the sample's spots, most variable first. */
export function selectGenes(sample: Sample, n: number): number[] {
  return Array.from(seuratV3Hvg(sample.counts, { nTopGenes: n }).ranked);
}

/** Training input from a coarsening: one bag per pseudo-spot, footprint = union of member disks. */
export function pseudoSpotInput(
  sample: Sample,
  c: Coarsening,
  genes: readonly number[],
  features: HistexFeatures,
): HistexInput {
  const G = genes.length;
  const dense = csrToDense(c.counts, { columns: genes });
  const spots = c.pseudoSpots.map((p) => {
    const [col, row] = p.key.split(',').map(Number);
    return {
      x: p.x,
      y: p.y,
      disks: p.members.map((m) => ({ x: sample.spots[m]!.x, y: sample.spots[m]!.y })),
      ...(sample.lattice === 'square' && Number.isInteger(col) && Number.isInteger(row)
        ? { row: row!, col: col! }
        : {}),
    };
  });
  return {
    features,
    spots,
    counts: Float64Array.from(dense.data),
    genes: G,
    spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    lattice: sample.lattice,
  };
}

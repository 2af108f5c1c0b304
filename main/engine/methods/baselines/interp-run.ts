/**
 * The interpolation baseline as a stored spot set, the reference users put next to HisToSGE. The
 * same `fold`× denser lattice points on tissue as HisToSGE (measured spots plus new points whose
 * parents were all measured), each new point the parents' weighted mean of log1p CP10k with the
 * weights it was placed by (bilinear on square lattices, barycentric on hexagonal ones; at fold 4
 * these are HISTEX's midpoints and cell centres, methods.md §3.1). No training, no histology: the
 * tissue mask only decides which points are kept.
 */
import { csrToDense } from '../../analysis/matrix';
import { logNormalize } from '../../analysis/normalise';
import { seuratV3Hvg } from '../../analysis/hvg';
import { generatePositions, latticeCoordsOf } from '../../analysis/lattice';
import { badInput, throwIfAborted } from '../../errors';
import type { RunOutcome, SampleRunContext } from '../entry';
import { storeSpotSet } from '../run-store';
import { tissueTest } from '../sample-run';

export interface SpotSetRunOptions {
  /** top-N seurat_v3 genes */
  genes: number;
  /** density multiple, as HisToSGE's */
  fold: number;
}

export async function runInterpolation(
  id: string,
  label: string,
  ctx: SampleRunContext,
  p: SpotSetRunOptions,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const { project, sample } = ctx;
  if (sample.lattice === 'none') throw badInput(`${sample.name} has no spot lattice to interpolate on.`);
  ctx.progress({ fraction: 0.05, message: 'Tissue mask' });
  const onTissue = sample.image
    ? await tissueTest(project, ctx.sampleId, sample.image, ctx.signal)
    : () => true;
  throwIfAborted(ctx.signal);
  const hvg = Array.from(seuratV3Hvg(sample.counts, { nTopGenes: p.genes }).ranked);
  const idx = [...hvg, ...ctx.include.filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g))];
  const G = idx.length;
  const measuredValues = csrToDense(logNormalize(sample.counts, 1e4), { columns: idx }).data;
  const coords = latticeCoordsOf(sample.spots, sample.lattice).coords;
  const spots = generatePositions(
    sample.spots.map((s, i) => ({ x: s.x, y: s.y, a: coords[i]!.a, b: coords[i]!.b })),
    sample.lattice,
    p.fold,
    onTissue,
  );
  const values = new Float32Array(spots.length * G);
  spots.forEach((s, r) =>
    s.parents.forEach((parent, q) => {
      const w = s.weights[q]!;
      for (let g = 0; g < G; g++) values[r * G + g]! += w * measuredValues[parent * G + g]!;
    }),
  );
  const { runId } = storeSpotSet(project, `${id}-job-${ctx.task.jobId}`, {
    sampleId: ctx.sampleId,
    method: id,
    label,
    params: { ...p, include: [...ctx.include] },
    genes: idx,
    fold: p.fold,
    losses: [],
    spotDiameterUm: sample.spotDiameterUm / Math.sqrt(p.fold),
    spots,
    values,
  });
  ctx.progress({ fraction: 1, message: `${spots.length} spots (${p.fold}×)` });
  const measured = spots.filter((s) => s.measured).length;
  const seconds = (performance.now() - t0) / 1000;
  return {
    runId,
    genes: idx.map((j) => sample.genes[j]!.symbol),
    seconds,
    summary: `${p.fold}×: ${spots.length - measured} new spots beside ${measured} measured, ${G} genes, ${seconds.toFixed(0)} s`,
    details: { fold: p.fold, measured, generated: spots.length - measured },
  };
}

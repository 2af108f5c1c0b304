/**
 * HisToSGE as a stored run of one project sample: train on every measured spot and generate a
 * `fold`× denser spot set (measured + new lattice points on tissue), all predicted, stored as a
 * spot set (methods/run-store.ts).
 */
import { csrToDense } from '../../analysis/matrix';
import { logNormalize } from '../../analysis/normalise';
import { seuratV3Hvg } from '../../analysis/hvg';
import { latticeCoordsOf } from '../../analysis/lattice';
import { badInput, throwIfAborted } from '../../errors';
import { subProgress } from '../../jobs/progress';
import type { RunOutcome, SampleRunContext } from '../entry';
import { storeSpotSet } from '../run-store';
import { openSpotSource } from './inputs';
import { fitHistosge, generate } from './pipeline';
import { optionsFrom } from './sr-method';

export interface HistosgeRunOptions {
  /** top-N seurat_v3 genes */
  genes: number;
  /** density multiple: k² (4, 9, 16) on any lattice, 2k² (2, 8) on square ones */
  fold: number;
  epochs: number;
  seed: number;
  /** fraction of spots held out of the loss for early stopping (0 = every spot, as released) */
  validation: number;
}

export async function runHistosge(
  id: string,
  label: string,
  ctx: SampleRunContext,
  p: HistosgeRunOptions,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const { project, sample } = ctx;
  ctx.progress({ fraction: 0.01, message: 'Loading the sample' });
  if (!sample.image) throw badInput(`${sample.name} has no image: HisToSGE needs the H&E.`);
  if (sample.lattice === 'none') throw badInput(`${sample.name} has no spot lattice to subdivide.`);
  // Spot positions are full-res px; the inputs read the image file in those units.
  if (sample.image.scaleToFullRes !== 1)
    throw badInput(`${sample.name}: HisToSGE needs the full-resolution image (this one is scaled).`);
  const lattice = sample.lattice;
  const o = optionsFrom({ seed: p.seed, epochs: p.epochs, validation: p.validation });
  const source = await openSpotSource({
    image: sample.image,
    umPerPx: sample.umPerPx,
    signal: ctx.signal,
    progress: subProgress(ctx.progress, 0.02, 0.2),
  });
  const hvg = Array.from(seuratV3Hvg(sample.counts, { nTopGenes: p.genes }).ranked);
  // Genes asked for by name (the one on screen) are modelled besides the highly variable ones.
  const idx = [...hvg, ...ctx.include.filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g))];
  const values = csrToDense(logNormalize(sample.counts, 1e4), { columns: idx });
  const coords = latticeCoordsOf(sample.spots, lattice).coords;
  const spots = sample.spots.map((s, i) => ({ x: s.x, y: s.y, a: coords[i]!.a, b: coords[i]!.b }));
  const fit = await fitHistosge(
    {
      source,
      spots,
      values: values.data,
      genes: idx.length,
      lattice,
      spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    },
    o,
    { onProgress: subProgress(ctx.progress, 0.2, 0.9), signal: ctx.signal },
  );
  throwIfAborted(ctx.signal);
  const dense = await generate(fit, p.fold, { signal: ctx.signal });
  const { runId } = storeSpotSet(project, `${id}-job-${ctx.task.jobId}`, {
    sampleId: ctx.sampleId,
    method: id,
    label,
    params: { ...p, include: [...ctx.include], options: o },
    genes: idx,
    fold: p.fold,
    losses: fit.history,
    spotDiameterUm: sample.spotDiameterUm / Math.sqrt(p.fold),
    spots: dense.spots,
    values: dense.values,
  });
  const n = dense.spots.length;
  ctx.progress({ fraction: 1, message: `${n} spots (${p.fold}×)` });
  const measured = dense.spots.filter((s) => s.measured).length;
  const seconds = (performance.now() - t0) / 1000;
  return {
    runId,
    genes: Array.from(idx, (j) => sample.genes[j]!.symbol),
    seconds,
    finalLoss: fit.history.at(-1) ?? NaN,
    summary: `${p.fold}×: ${n - measured} new spots beside ${measured} measured, ${idx.length} genes, ${seconds.toFixed(0)} s`,
    details: { fold: p.fold, measured, generated: n - measured },
  };
}

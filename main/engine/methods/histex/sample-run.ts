/**
 * HISTEX (or its iStar-style ablation) as a stored run of one project sample: trains on the
 * sample's own spots, infers the latent of every tissue superpixel in blocks, and writes array
 * files the viewer reads gene maps from lazily (stored-run.ts): per-model latents, the folded heads
 * (latent+features → genes) and the count normalisation.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { csrToDense } from '../../analysis';
import { throwIfAborted } from '../../errors';
import { openSampleFeatures } from '../../features/project';
import { subProgress } from '../../jobs/progress';
import { writeArrayFile } from '../../store/array-file';
import { insertRun } from '../../store/repos/runs';
import type { RunOutcome, SampleRunContext } from '../entry';
import { selectGenes } from './coarsen';
import { histexFeatures } from './features';
import { fitHistex, foldHead, inferLatent, medianLatent, PRESETS, type HistexOptions } from './pipeline';

/** The options HISTEX and iStar take in the app (registry.ts holds their schema and presets). */
export interface HistexRunOptions {
  genes: number;
  epochs: number;
  ensemble: number;
  seed: number;
  /** stop a model when its loss has not improved by 0.1 % for 25 epochs */
  earlyStopping: boolean;
  /** wall-clock budget for all training in seconds (0 = none) */
  timeBudgetSeconds: number;
  histology: boolean;
  enhancement: boolean;
}

/** The pipeline's options for a run: the architecture's base preset with the run's choices. */
export function pipelineOptions(arch: 'histex' | 'istar', o: HistexRunOptions): HistexOptions {
  const base = arch === 'istar' ? PRESETS.istar : PRESETS.paper;
  const out: HistexOptions = {
    ...base,
    epochs: o.epochs,
    ensemble: o.ensemble,
    seed: o.seed,
    histology: o.histology,
    enhancement: o.enhancement,
  };
  delete out.earlyStopping;
  delete out.timeBudgetSeconds;
  if (o.earlyStopping) out.earlyStopping = { patience: 25, minDelta: 0.001 };
  if (o.timeBudgetSeconds > 0) out.timeBudgetSeconds = o.timeBudgetSeconds;
  return out;
}

export async function runHistex(
  arch: 'histex' | 'istar',
  label: string,
  ctx: SampleRunContext,
  options: HistexRunOptions,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const { project, sample } = ctx;
  ctx.progress({ fraction: 0.01, message: 'Features' });
  // the sr task resolved the histology input (needs.featureSet 'optional'): chosen, latest
  // built-in, or extracted now
  const featureSetId = ctx.featureSetId!;
  const { map } = openSampleFeatures(project, ctx.sampleId, { featureSetId });
  let features;
  try {
    features = histexFeatures(map);
  } finally {
    map.close();
  }
  throwIfAborted(ctx.signal);
  // Genes the user asked for by name are modelled on top of the highly variable ones.
  const hvg = Array.from(selectGenes(sample, options.genes));
  const genes = [...hvg, ...ctx.include.filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g))];
  const o = pipelineOptions(arch, options);
  const dense = csrToDense(sample.counts, { columns: genes });
  const fit = await fitHistex(
    {
      features,
      spots: sample.spots.map((s) => ({
        x: s.x,
        y: s.y,
        disks: [{ x: s.x, y: s.y }],
        ...(s.row !== undefined && s.col !== undefined ? { row: s.row, col: s.col } : {}),
      })),
      counts: Float64Array.from(dense.data),
      genes: genes.length,
      spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
      lattice: sample.lattice,
    },
    o,
    { onProgress: subProgress(ctx.progress, 0.08, 0.85), signal: ctx.signal, checkpointDir: ctx.workDir },
  );
  const latent = await inferLatent(fit, {
    onProgress: subProgress(ctx.progress, 0.85, 0.98),
    signal: ctx.signal,
  });
  const id = randomUUID();
  const file = (what: string) => `${arch}-${id}-${what}.arr`;
  const put = (name: string, dtype: 'float32' | 'float64' | 'int32', shape: number[], data: never) =>
    writeArrayFile(join(project.arraysDir, name), { dtype, shape, data });
  const n = latent.index.length;
  put(file('index'), 'int32', [n], latent.index as never);
  put(file('latent-median'), 'float32', [n, latent.dim], medianLatent(latent) as never);
  const latents = latent.latents.map((l, m) => {
    put(file(`latent-${m}`), 'float32', [n, latent.dim], l as never);
    return file(`latent-${m}`);
  });
  const heads = fit.params.map((pm, m) => {
    const h = foldHead(fit.model, pm);
    const rows = h.latentDim + h.featureDim;
    const w = new Float64Array((rows + 1) * h.genes);
    w.set(h.w);
    w.set(h.b, rows * h.genes);
    put(file(`head-${m}`), 'float64', [rows + 1, h.genes], w as never);
    return file(`head-${m}`);
  });
  // The folded head reads latent AND features: keep the features of the inferred superpixels so
  // any gene's map can be computed later without re-extracting them.
  const F = fit.features.dim;
  const feats = new Float32Array(n * F);
  latent.index.forEach((sp, i) => feats.set(fit.features.data.subarray(sp * F, (sp + 1) * F), i * F));
  put(file('features'), 'float32', [n, F], feats as never);
  const norm = new Float64Array(2 * genes.length);
  norm.set(fit.min);
  norm.set(fit.max, genes.length);
  put(file('norm'), 'float64', [2, genes.length], norm as never);
  ctx.progress({ fraction: 1, message: `${label} done` });
  const losses = fit.history.map((h) => h[h.length - 1] ?? NaN);
  const grid = { ...fit.features.grid };
  const arrays = {
    index: file('index'),
    latentMedian: file('latent-median'),
    latents,
    heads,
    features: file('features'),
    norm: file('norm'),
  };
  const runId = project.db.transaction(() =>
    insertRun(project.db, {
      sampleId: ctx.sampleId,
      method: arch,
      params: { ...options, include: [...ctx.include], options: o, featureSetId, featureDim: features.dim },
      result: {
        kind: 'superpixels',
        label,
        genes: Array.from(genes),
        grid,
        epochs: fit.history.map((h) => h.length),
        losses,
      },
      arrays,
    }),
  )();
  const seconds = (performance.now() - t0) / 1000;
  const finalLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
  return {
    runId,
    genes: genes.map((g) => sample.genes[g]?.symbol ?? String(g)),
    seconds,
    finalLoss,
    summary: `${genes.length} genes over ${n} superpixels in ${seconds.toFixed(0)} s (final loss ${finalLoss.toFixed(4)})`,
    details: {
      superpixels: n,
      featureSetId,
      epochs: fit.history.map((h) => h.length),
      // per model, the training step a checkpoint resumed it from (-1: trained from the start)
      resumedFromStep: fit.resumedFromStep.map((s) => s ?? -1),
    },
  };
}

/**
 * Job task: HISTEX (or its iStar-style ablation) on one stored sample. Trains on the sample's own
 * spots, infers the latent of every tissue superpixel in blocks, and writes array files the viewer
 * reads gene maps from lazily: per-model latents, the folded heads (latent+features → genes) and the
 * count normalisation. Loss curve and cancellation through the job context.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { csrToDense } from '../analysis';
import { throwIfAborted } from '../errors';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import { listFeatureSets, openSampleFeatures } from '../features/project';
import {
  fitHistex,
  histexFeatures,
  foldHead,
  inferLatent,
  medianLatent,
  PRESETS,
  selectGenes,
  type HistexOptions,
  type SuperpixelFeatures,
} from '../methods/histex';
import { writeArrayFile } from '../store/array-file';
import { openProject, type Project } from '../store/project';
import { insertRun } from '../store/repos/runs';
import { loadSample } from '../store/sample-store';
import { run as extractSampleFeatures } from './extract-features';

export interface HistexParams {
  sampleId: number;
  method?: 'histex' | 'istar';
  preset?: 'default' | 'paper';
  genes?: number;
  epochs?: number;
  seed?: number;
  ensemble?: number;
  /** extra gene indices to model besides the highly variable ones */
  include?: number[];
  /**
   * A stored feature set of this sample (e.g. UNI from `stsr features --extractor uni.onnx`) as the
   * histology input; without it HISTEX computes its own weights-free map.
   */
  featureSetId?: number;
  /** ablations */
  noHistology?: boolean;
  noEnhancement?: boolean;
}

export interface HistexResult {
  runId: number;
  method: string;
  genes: string[];
  seconds: number;
  finalLoss: number;
  epochs: number[];
  superpixels: number;
  /** the feature set the histology input came from */
  featureSetId: number;
  arrays: {
    index: string;
    latentMedian: string;
    latents: string[];
    heads: string[];
    features: string;
    norm: string;
  };
}

/**
 * The histology input: the feature set asked for, else the sample's latest built-in set, else a
 * built-in set extracted now (stored like any other, so later runs reuse it).
 */
async function histologyInput(
  project: Project,
  p: HistexParams,
  ctx: TaskContext,
): Promise<{ features: SuperpixelFeatures; featureSetId: number }> {
  const stored = (featureSetId: number) => {
    const { map } = openSampleFeatures(project, p.sampleId, { featureSetId });
    try {
      return { features: histexFeatures(map), featureSetId };
    } finally {
      map.close();
    }
  };
  if (p.featureSetId !== undefined) return stored(p.featureSetId);
  const builtin = listFeatureSets(project, p.sampleId).filter((r) => r.extractor === 'builtin');
  if (builtin.length > 0) return stored(builtin.at(-1)!.id);
  const r = await extractSampleFeatures(
    { sampleId: p.sampleId },
    { ...ctx, progress: subProgress(ctx.progress, 0, 0.08) },
  );
  return stored(r.featureSetId);
}

export async function run(p: HistexParams, ctx: TaskContext): Promise<HistexResult> {
  const t0 = performance.now();
  const project = openProject(ctx.projectDir);
  try {
    const sample = loadSample(project, p.sampleId);
    ctx.progress({ fraction: 0.01, message: 'Features' });
    const { features, featureSetId } = await histologyInput(project, p, ctx);
    throwIfAborted(ctx.signal);
    // Genes the user asked for by name are modelled on top of the highly variable ones.
    const hvg = Array.from(selectGenes(sample, p.genes ?? 1000));
    const genes = [
      ...hvg,
      ...(p.include ?? []).filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g)),
    ];
    const o: HistexOptions = {
      ...(p.method === 'istar' ? PRESETS.istar : PRESETS[p.preset ?? 'default']),
      ...(p.epochs !== undefined ? { epochs: p.epochs } : {}),
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      ...(p.ensemble !== undefined ? { ensemble: p.ensemble } : {}),
      ...(p.noHistology ? { histology: false } : {}),
      ...(p.noEnhancement ? { enhancement: false } : {}),
    };
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
      { onProgress: subProgress(ctx.progress, 0.08, 0.85), signal: ctx.signal },
    );
    const latent = await inferLatent(fit, {
      onProgress: subProgress(ctx.progress, 0.85, 0.98),
      signal: ctx.signal,
    });
    const id = randomUUID();
    const file = (what: string) => `histex-${id}-${what}.arr`;
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
    ctx.progress({ fraction: 1, message: 'HISTEX done' });
    const losses = fit.history.map((h) => h[h.length - 1] ?? NaN);
    const grid = {
      rows: fit.features.rows,
      cols: fit.features.cols,
      superpixelPx: fit.features.superpixelPx,
      originPx: fit.features.originPx,
    };
    const arrays = {
      index: file('index'),
      latentMedian: file('latent-median'),
      latents,
      heads,
      features: file('features'),
      norm: file('norm'),
    };
    const geneIndices = Array.from(genes);
    const runId = project.db.transaction(() =>
      insertRun(project.db, {
        sampleId: p.sampleId,
        method: o.arch,
        params: { ...p, options: o, featureSetId, featureDim: features.dim },
        result: { genes: geneIndices, grid, epochs: fit.history.map((h) => h.length), losses },
        arrays,
      }),
    )();
    return {
      runId,
      method: o.arch,
      genes: genes.map((g) => sample.genes[g]?.symbol ?? String(g)),
      seconds: (performance.now() - t0) / 1000,
      finalLoss: losses.reduce((a, b) => a + b, 0) / losses.length,
      epochs: fit.history.map((h) => h.length),
      superpixels: n,
      featureSetId,
      arrays,
    };
  } finally {
    project.close();
  }
}

/**
 * Job task `sr.histosge`: train HisToSGE on every measured spot of a project sample and generate a
 * `fold`× denser spot set (measured + new lattice points on tissue), all predicted. The spot set is
 * written as arrays (positions, lattice coordinates, predicted log1p(CP10k)) in a job-named folder;
 * storing it as a layer is left to the caller (the lead's layer store), which gets the paths back.
 */
import { csrToDense } from '../analysis/matrix';
import { logNormalize } from '../analysis/normalise';
import { seuratV3Hvg } from '../analysis/hvg';
import { badInput, throwIfAborted } from '../errors';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import { latticeCoordsOf } from '../methods/baselines/lattice';
import { PRESETS, fitHistosge, generate, openSpotSource, optionsFrom } from '../methods/histosge';
import { openProject } from '../store/project';
import { loadSample } from '../store/sample-store';
import { storeSpotSet } from './spot-set';

export interface HistosgeParams {
  sampleId: number;
  /** top-N seurat_v3 genes (default 100) */
  genes?: number;
  /** density multiple: k² (4, 9, 16) on any lattice, 2k² (2, 8) on square ones (default 4) */
  fold?: number;
  preset?: keyof typeof PRESETS;
  epochs?: number;
  seed?: number;
  /** extra gene indices to model besides the highly variable ones */
  include?: number[];
  /** a stored feature folder (arrays/features-job-N) is not read yet: built-in features are cached per image */
  featureCacheDir?: string;
}

export interface HistosgeResult {
  runId: number;
  sampleId: number;
  genes: string[];
  fold: number;
  measured: number;
  generated: number;
  finalLoss: number;
  seconds: number;
  dir: string;
  files: { xy: string; lattice: string; measured: string; values: string };
}

export async function run(p: HistosgeParams, ctx: TaskContext): Promise<HistosgeResult> {
  const t0 = performance.now();
  const project = openProject(ctx.projectDir);
  try {
    ctx.progress({ fraction: 0.01, message: 'Loading the sample' });
    const sample = loadSample(project, p.sampleId);
    if (!sample.image) throw badInput(`${sample.name} has no image: HisToSGE needs the H&E.`);
    if (sample.lattice === 'none') throw badInput(`${sample.name} has no spot lattice to subdivide.`);
    // Spot positions are full-res px; the inputs read the image file in those units.
    if (sample.image.scaleToFullRes !== 1)
      throw badInput(`${sample.name}: HisToSGE needs the full-resolution image (this one is scaled).`);
    const lattice = sample.lattice;
    const o = optionsFrom({
      seed: p.seed ?? PRESETS.default.seed,
      ...(p.preset ? { preset: p.preset } : {}),
      ...(p.epochs !== undefined ? { epochs: p.epochs } : {}),
    });
    const source = await openSpotSource({
      image: sample.image,
      umPerPx: sample.umPerPx,
      signal: ctx.signal,
      progress: subProgress(ctx.progress, 0.02, 0.2),
      ...(p.featureCacheDir ? { featureCacheDir: p.featureCacheDir } : {}),
    });
    const hvg = Array.from(seuratV3Hvg(sample.counts, { nTopGenes: p.genes ?? 100 }).ranked);
    // Genes asked for by name (the one on screen) are modelled besides the highly variable ones.
    const idx = [
      ...hvg,
      ...(p.include ?? []).filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g)),
    ];
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
    const fold = p.fold ?? 4;
    const dense = await generate(fit, fold, { signal: ctx.signal });
    const { runId, dir, files } = storeSpotSet(project, `histosge-job-${ctx.jobId}`, {
      sampleId: p.sampleId,
      method: 'histosge',
      params: { ...p, options: o },
      genes: idx,
      fold,
      losses: fit.history,
      spotDiameterUm: sample.spotDiameterUm / Math.sqrt(fold),
      spots: dense.spots,
      values: dense.values,
    });
    const n = dense.spots.length;
    ctx.progress({ fraction: 1, message: `${n} spots (${fold}×)` });
    return {
      runId,
      sampleId: p.sampleId,
      genes: Array.from(idx, (j) => sample.genes[j]!.symbol),
      fold,
      measured: dense.spots.filter((s) => s.measured).length,
      generated: dense.spots.filter((s) => !s.measured).length,
      finalLoss: fit.history.at(-1) ?? NaN,
      seconds: (performance.now() - t0) / 1000,
      dir,
      files,
    };
  } finally {
    project.close();
  }
}

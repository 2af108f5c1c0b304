/**
 * Job: histology features for one stored sample. The folder is named after the job, so a resumed
 * job (after a crash or cancel) continues its finished tile rows; the feature_sets row is written
 * only when the set is complete, so an interrupted job leaves no half set visible.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import {
  createBuiltinExtractor,
  extractFeatures,
  insertFeatureSet,
  loadOnnxExtractor,
  sampleImageInputs,
  type FeatureExtractor,
} from '../features';
import { isDerivedExtractor, writeDerivedSet, type DerivedExtractor } from '../features/derived-store';
import { openFeatureMap } from '../features/store';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import type { ProviderChoice } from '../onnx/session';
import { openProject } from '../store/project';

export interface ExtractFeaturesParams {
  sampleId: number;
  /** 'builtin' (default), 'nuclei', 'slide-encoder' (features/derived-store.ts) or the path of a user ONNX model */
  extractor?: string;
  batchSize?: number;
  provider?: ProviderChoice;
}

export interface ExtractFeaturesResult {
  featureSetId: number;
  extractor: string;
  superpixels: number;
  tissueSuperpixels: number;
  dim: number;
  seconds: number;
  provider: string;
  warning?: string;
}

export async function run(params: ExtractFeaturesParams, ctx: TaskContext): Promise<ExtractFeaturesResult> {
  const t0 = performance.now();
  const arrayName = `features-job-${ctx.jobId}`;
  const project = openProject(ctx.projectDir);
  let inputs;
  let outDir: string;
  try {
    inputs = sampleImageInputs(project, params.sampleId);
    outDir = join(project.arraysDir, arrayName);
  } finally {
    project.close();
  }
  const which = params.extractor ?? 'builtin';
  if (isDerivedExtractor(which)) return runDerived(which, params, ctx, inputs, outDir, arrayName, t0);
  let ex: FeatureExtractor;
  ctx.progress({ fraction: 0, message: `Opening ${which === 'builtin' ? 'the built-in extractor' : which}` });
  if (which === 'builtin') {
    ex = await createBuiltinExtractor({
      ...(params.batchSize ? { batchSize: params.batchSize } : {}),
      ...(params.provider ? { provider: params.provider } : {}),
    });
  } else {
    ex = await loadOnnxExtractor(which, {
      ...(params.batchSize ? { batchSize: params.batchSize } : {}),
      ...(params.provider ? { provider: params.provider } : {}),
    });
  }
  try {
    const r = await extractFeatures({
      imagePath: inputs.imagePath,
      imageUmPerPx: inputs.imageUmPerPx,
      scaleToFullRes: inputs.scaleToFullRes,
      ...(inputs.mask ? { mask: inputs.mask } : {}),
      extractor: ex,
      outDir,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    const p2 = openProject(ctx.projectDir);
    try {
      const featureSetId = insertFeatureSet(p2, {
        sampleId: params.sampleId,
        extractor: ex.manifest.id,
        dim: r.dim,
        manifest: ex.manifest,
        arrayName,
      });
      return {
        featureSetId,
        extractor: ex.manifest.id,
        superpixels: r.superpixels,
        tissueSuperpixels: r.tissueSuperpixels,
        dim: r.dim,
        seconds: (performance.now() - t0) / 1000,
        provider: ex.provider,
        ...(r.warning ? { warning: r.warning } : {}),
      };
    } finally {
      p2.close();
    }
  } catch (err) {
    // A cancelled job keeps its chunks for resuming; a failed one leaves nothing behind.
    if (!(err instanceof EngineError && err.code === 'CANCELLED'))
      rmSync(outDir, { recursive: true, force: true });
    throw err;
  } finally {
    await ex.close();
  }
}

/**
 * A derived set (nuclei, slide encoder): the built-in set is extracted first into a side folder
 * (resumable like any extraction), the derived channels are computed from it and the slide, and
 * the side folder is removed once the derived set is complete.
 */
async function runDerived(
  which: DerivedExtractor,
  params: ExtractFeaturesParams,
  ctx: TaskContext,
  inputs: ReturnType<typeof sampleImageInputs>,
  outDir: string,
  arrayName: string,
  t0: number,
): Promise<ExtractFeaturesResult> {
  const baseDir = `${outDir}-builtin`;
  const ex = await createBuiltinExtractor({ provider: params.provider ?? 'auto' });
  let r;
  try {
    r = await extractFeatures({
      imagePath: inputs.imagePath,
      imageUmPerPx: inputs.imageUmPerPx,
      scaleToFullRes: inputs.scaleToFullRes,
      ...(inputs.mask ? { mask: inputs.mask } : {}),
      extractor: ex,
      outDir: baseDir,
      signal: ctx.signal,
      progress: subProgress(ctx.progress, 0, 0.3),
    });
  } finally {
    await ex.close();
  }
  const map = openFeatureMap(baseDir);
  try {
    const d = await writeDerivedSet(
      which,
      {
        map,
        imagePath: inputs.imagePath,
        cacheDir: join(baseDir, '.derived'),
        signal: ctx.signal,
        progress: subProgress(ctx.progress, 0.3, 1),
      },
      outDir,
    );
    const p2 = openProject(ctx.projectDir);
    try {
      const featureSetId = insertFeatureSet(p2, {
        sampleId: params.sampleId,
        extractor: which,
        dim: d.dim,
        manifest: d.manifest,
        arrayName,
      });
      rmSync(baseDir, { recursive: true, force: true });
      return {
        featureSetId,
        extractor: which,
        superpixels: r.superpixels,
        tissueSuperpixels: r.tissueSuperpixels,
        dim: d.dim,
        seconds: (performance.now() - t0) / 1000,
        provider: 'cpu',
        ...(r.warning ? { warning: r.warning } : {}),
      };
    } finally {
      p2.close();
    }
  } catch (err) {
    if (!(err instanceof EngineError && err.code === 'CANCELLED'))
      rmSync(outDir, { recursive: true, force: true });
    throw err;
  } finally {
    map.close();
  }
}

import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBuiltinExtractor } from './builtin';
import { extractFeatures } from './extract';
import { openFeatureMap, type FeatureMap } from './store';
import type { ProgressFn } from '../jobs/progress';

/**
 * The built-in feature map of an image, extracted once into a cache folder keyed by the image path
 * and scale (the benchmark and methods that run outside a project use this); extractFeatures
 * skips or resumes a folder whose fingerprint matches, so later calls only open it.
 */
export async function cachedBuiltinFeatureMap(o: {
  imagePath: string;
  umPerPx: number;
  scaleToFullRes?: number;
  cacheDir?: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
}): Promise<FeatureMap> {
  const key = createHash('sha256')
    .update(`${resolve(o.imagePath)}|${o.umPerPx}|${o.scaleToFullRes ?? 1}`)
    .digest('hex')
    .slice(0, 16);
  const dir = o.cacheDir ?? join(tmpdir(), 'stsr-builtin-features', key);
  const ex = await createBuiltinExtractor();
  try {
    await extractFeatures({
      imagePath: o.imagePath,
      imageUmPerPx: o.umPerPx,
      ...(o.scaleToFullRes !== undefined ? { scaleToFullRes: o.scaleToFullRes } : {}),
      extractor: ex,
      outDir: dir,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
    });
  } finally {
    await ex.close();
  }
  return openFeatureMap(dir);
}

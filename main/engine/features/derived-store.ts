/**
 * A derived feature set (nuclei, slide encoder) stored like any extractor's: it shares the built-in
 * set's grid, tissue mask and rgb chunks (copied) and writes its own float16 rows, plan.json and,
 * last, complete.json — so openFeatureMap, the project's feature_sets and every method read it as
 * they read UNI or the built-in set.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeArrayFile } from '../store/array-file';
import { writeFileAtomic } from '../store/atomic-file';
import { groupChannels, type DerivedInputs } from './derived';
import type { ExtractorManifest } from './extractor';
import { encodeFloat16 } from './float16';
import { SP_PER_TILE } from './geometry';
import {
  COMPLETE_FILE,
  MASK_FILE,
  PLAN_FILE,
  chunkFile,
  type FeatureComplete,
  type FeaturePlan,
} from './store';

/** What `stsr features --extractor` accepts besides builtin and FILE.onnx. */
export const DERIVED_EXTRACTORS = { nuclei: 'nuclei', 'slide-encoder': 'encoder' } as const;
export type DerivedExtractor = keyof typeof DERIVED_EXTRACTORS;

export function isDerivedExtractor(s: string): s is DerivedExtractor {
  return Object.hasOwn(DERIVED_EXTRACTORS, s);
}

export async function writeDerivedSet(
  which: DerivedExtractor,
  i: DerivedInputs,
  outDir: string,
): Promise<{ dim: number; manifest: ExtractorManifest; seconds: number }> {
  const t0 = performance.now();
  const { map } = i;
  const g = await groupChannels(DERIVED_EXTRACTORS[which], i);
  mkdirSync(outDir, { recursive: true });
  const manifest: ExtractorManifest = {
    ...map.manifest,
    id: which,
    version: '1',
    output: { dim: g.dim, layout: map.manifest.output.layout, channels: g.names },
    notes:
      which === 'nuclei'
        ? 'Nuclei per superpixel (H deconvolution, Otsu threshold, distance-transform watershed) and their tissue means over 32/64/128 µm; z-scored over tissue (docs/features.md).'
        : 'A CNN autoencoder trained on this slide (2 µm/px, 32-µm windows, 16-d code) through the ONNX trainer; z-scored over tissue (docs/features.md).',
  };
  delete manifest.post;
  const plan: FeaturePlan = {
    format: 1,
    fingerprint: `${which}:${map.info.fingerprint}`,
    grid: map.grid,
    manifest,
    tissueTiles: map.info.tissueTiles,
    tissueSuperpixels: map.info.tissueSuperpixels,
  };
  writeFileAtomic(join(outDir, PLAN_FILE), Buffer.from(JSON.stringify(plan, null, 1)));
  copyFileSync(join(map.dir, MASK_FILE), join(outDir, MASK_FILE));
  const cols = map.cols;
  for (let ty = 0; ty < map.grid.tilesY; ty++) {
    const rgb = join(map.dir, chunkFile('rgb', ty));
    if (existsSync(rgb)) copyFileSync(rgb, join(outDir, chunkFile('rgb', ty)));
    const start = ty * SP_PER_TILE * cols * g.dim;
    writeArrayFile(join(outDir, chunkFile('rows', ty)), {
      dtype: 'float16',
      shape: [SP_PER_TILE, cols, g.dim],
      data: encodeFloat16(g.data.subarray(start, start + SP_PER_TILE * cols * g.dim)),
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  const complete: FeatureComplete = { ...plan, seconds, completedAt: new Date().toISOString() };
  writeFileAtomic(join(outDir, COMPLETE_FILE), Buffer.from(JSON.stringify(complete, null, 1)));
  return { dim: g.dim, manifest, seconds };
}

/**
 * `npm run bench -- features [a|b|c] [--section C2]`:
 * (a) the built-in extractor over the whole HER2ST C2 H&E (9274 × 9911 px at ~0.689 µm/px →
 *     12.8k × 13.7k at 0.5 µm/px): wall time and peak RSS (targets ≤ 30 s, ≤ 1.5 GB);
 * (c) the derived extractors on the same section, each from scratch in a fresh cache (after the
 *     built-in set, which they read): nuclei, context (32/64/128 µm), the slide encoder (training on
 *     6144 tissue windows × 2 epochs included, then embedding every tissue superpixel), and the
 *     default reading HISTEX uses: time and peak RSS each (target: default ≤ 2 min per section);
 * (b) a ViT-L-shaped random-weight ONNX model (1024 wide, 24 blocks, 16 heads, MLP 4096; one
 *     block's weights shared by all 24, so FLOPs are ViT-L's) on 64 tiles of C2: the pipeline's
 *     tiles/s against bare session.run on the same pre-made tensors (target ≥ 90 %).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readSample } from '../main/engine/io';
import { HISTEX_DEFAULT_READING, derivedFeatureMap, groupChannels } from '../main/engine/features/derived';
import {
  buildVit,
  cachedBuiltinFeatureMap,
  createBuiltinExtractor,
  extractFeatures,
  loadOnnxExtractor,
} from '../main/engine/features';
import { createSession, toOrt } from '../main/engine/onnx';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';

const mb = (b: number) => Math.round(b / 2 ** 20);

async function builtinWholeSlide(out: string): Promise<Record<string, unknown>> {
  const sample = await readSample(sharedData('her2st', 'C2'));
  if (!sample.image) throw new Error('C2 has no image');
  const umPerPx = sample.umPerPx * sample.image.scaleToFullRes;
  const rss = trackPeakRss(20);
  const t0 = performance.now();
  const ex = await createBuiltinExtractor({ batchSize: 16 });
  let rate = 0;
  const r = await extractFeatures({
    imagePath: sample.image.path,
    imageUmPerPx: umPerPx,
    extractor: ex,
    outDir: join(out, 'builtin'),
    progress: (u) => {
      if (u.metrics?.tilesPerSecond) rate = u.metrics.tilesPerSecond;
    },
  });
  await ex.close();
  const seconds = (performance.now() - t0) / 1000;
  return {
    image: `${sample.image.width}×${sample.image.height} @ ${umPerPx.toFixed(4)} µm/px`,
    scaled: `${r.grid.scaledWidth}×${r.grid.scaledHeight}`,
    grid: `${r.grid.rows}×${r.grid.cols}`,
    dim: r.dim,
    tiles: r.tiles.total,
    tissueTiles: r.tiles.tissue,
    tissueSuperpixels: r.tissueSuperpixels,
    provider: ex.provider,
    seconds: +seconds.toFixed(2),
    modelTilesPerSecond: +rate.toFixed(1),
    peakRssMB: mb(rss.stop()),
  };
}

async function vitPipeline(out: string, nTiles = 64, batch = 8): Promise<Record<string, unknown>> {
  const file = join(out, 'vit-l-shaped.onnx');
  writeFileSync(file, buildVit({ dim: 1024, depth: 24, heads: 16, batch, seed: 1, shareBlockWeights: true }));
  // 64 tiles of C2 tissue: a 4 × 16-tile region at 0.5 µm/px (≈ 650 × 2600 px of the slide)
  const region = join(out, 'region.png');
  await sharp(sharedData('her2st', 'C2', '5714_HE_BT_C2.jpg'))
    .extract({
      left: 4600,
      top: 4300,
      width: Math.floor((16 * 224) / 1.378),
      height: Math.floor((4 * 224) / 1.378),
    })
    .png()
    .toFile(region);
  const everything = { width: 1, height: 1, data: Uint8Array.of(1), scaleX: 1e6, scaleY: 1e6 };

  // Bare: session.run on pre-made tensors of the same shape, back to back.
  const { session } = await createSession(
    new Uint8Array(await import('node:fs').then((f) => f.readFileSync(file))),
    {
      provider: 'auto',
    },
  );
  const tensors = Array.from({ length: nTiles / batch }, (_, i) => {
    const a = new Float32Array(batch * 3 * 224 * 224);
    for (let k = 0; k < a.length; k++) a[k] = Math.sin(k * 0.001 + i);
    return toOrt('float32', a, [batch, 3, 224, 224]);
  });
  await session.run({ pixels: tensors[0]! }); // warm-up
  let t = performance.now();
  for (const x of tensors) await session.run({ pixels: x });
  const bareSeconds = (performance.now() - t) / 1000;
  await session.release();

  const ex = await loadOnnxExtractor(file, { provider: 'auto' });
  t = performance.now();
  const r = await extractFeatures({
    imagePath: region,
    imageUmPerPx: 0.5 * 1.378,
    mask: everything,
    extractor: ex,
    outDir: join(out, 'vit'),
  });
  const pipeSeconds = (performance.now() - t) / 1000;
  await ex.close();
  // the pipeline also runs one white batch (the background code): count it as work done
  const pipeTiles = r.tiles.computed + batch;
  const bareRate = nTiles / bareSeconds;
  const pipeRate = pipeTiles / pipeSeconds;
  return {
    model: 'ViT-L/16 shape (1024×24, 16 heads, MLP 4096), shared block weights',
    batch,
    tiles: r.tiles.computed,
    provider: ex.provider,
    bareTilesPerSecond: +bareRate.toFixed(3),
    pipelineTilesPerSecond: +pipeRate.toFixed(3),
    pipelineVsBare: +(pipeRate / bareRate).toFixed(3),
    // the same without crediting the pipeline for its background batch
    pipelineVsBareTissueOnly: +(r.tiles.computed / pipeSeconds / bareRate).toFixed(3),
    pipelineSeconds: +pipeSeconds.toFixed(1),
  };
}

async function derivedWholeSlide(out: string, section: string): Promise<Record<string, unknown>> {
  const sample = await readSample(sharedData('her2st', section));
  if (!sample.image) throw new Error(`${section} has no image`);
  const umPerPx = sample.umPerPx * sample.image.scaleToFullRes;
  let rss = trackPeakRss(20);
  let t0 = performance.now();
  const map = await cachedBuiltinFeatureMap({
    imagePath: sample.image.path,
    umPerPx,
    cacheDir: join(out, 'builtin'),
  });
  const res: Record<string, unknown> = {
    builtin: { seconds: +((performance.now() - t0) / 1000).toFixed(1), peakRssMB: mb(rss.stop()) },
  };
  const inputs = { map, imagePath: sample.image.path, cacheDir: join(out, 'derived') };
  for (const group of ['nuclei', 'context', 'encoder'] as const) {
    rss = trackPeakRss(20);
    t0 = performance.now();
    const g = await groupChannels(group, inputs);
    res[group] = {
      dim: g.dim,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
      peakRssMB: mb(rss.stop()),
    };
  }
  // the default reading from the cached groups (PCA per group): what a HISTEX run adds on top
  rss = trackPeakRss(20);
  t0 = performance.now();
  const d = await derivedFeatureMap(HISTEX_DEFAULT_READING, inputs);
  res.defaultReading = {
    reading: HISTEX_DEFAULT_READING,
    dim: d.dim,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    peakRssMB: mb(rss.stop()),
  };
  map.close();
  return { section, ...res };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const which = args[0] ?? 'ab';
  const si = args.indexOf('--section');
  const section = si >= 0 ? args[si + 1]! : 'C2';
  const out = mkdtempSync(join(tmpdir(), 'stsr-bench-features-'));
  try {
    const res: Record<string, unknown> = {};
    if (which.includes('a')) res.builtinWholeC2 = await builtinWholeSlide(out);
    if (which.includes('b')) res.vitL64Tiles = await vitPipeline(out);
    if (which.includes('c')) res.derived = await derivedWholeSlide(out, section);
    return res;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- import [SAMPLE_DIR]`: reads HER2ST C2 (counts + selection + the full
 * 9274 × 9911 JPEG header), builds the whole Deep Zoom pyramid of its H&E, computes the tissue
 * mask, and reports wall times and the process's peak RSS for each phase.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSample } from '../main/engine/io';
import { buildDeepZoom, openSlide, tissueMask } from '../main/engine/slide';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';

function dirBytes(d: string): number {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

const mb = (b: number) => Math.round(b / 2 ** 20);

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const sampleDir = args[0] ?? sharedData('her2st', 'C2');
  const out = mkdtempSync(join(tmpdir(), 'stsr-bench-import-'));
  try {
    const rssImport = trackPeakRss(20);
    let t = performance.now();
    const sample = await readSample(sampleDir);
    const importMs = performance.now() - t;
    const importPeak = rssImport.stop();
    if (!sample.image) throw new Error(`${sampleDir} has no image to build a pyramid from`);

    const rssPyramid = trackPeakRss(20);
    t = performance.now();
    const dz = await buildDeepZoom(sample.image.path, join(out, 'dz'));
    const pyramidMs = performance.now() - t;
    const pyramidPeak = rssPyramid.stop();

    const rssMask = trackPeakRss(20);
    t = performance.now();
    const slide = await openSlide(sample.image.path);
    const mask = await tissueMask(slide);
    await slide.close();
    const maskMs = performance.now() - t;
    const maskPeak = rssMask.stop();

    return {
      sample: sample.name,
      reader: sample.provenance.reader,
      spots: sample.spots.length,
      genes: sample.genes.length,
      nnz: sample.counts.data.length,
      umPerPx: Number(sample.umPerPx.toFixed(4)),
      image: { width: sample.image.width, height: sample.image.height },
      importSeconds: Number((importMs / 1000).toFixed(2)),
      importPeakRssMiB: mb(importPeak),
      pyramidSeconds: Number((pyramidMs / 1000).toFixed(2)),
      pyramidPeakRssMiB: mb(pyramidPeak),
      pyramidLevels: dz.levels,
      pyramidTiles: dz.tilesWritten,
      pyramidMiB: mb(dirBytes(join(out, 'dz'))),
      maskSeconds: Number((maskMs / 1000).toFixed(2)),
      maskPeakRssMiB: mb(maskPeak),
      mask: {
        width: mask.width,
        height: mask.height,
        tissueFraction: Number(mask.tissueFraction.toFixed(3)),
      },
      peakRssMiB: mb(Math.max(importPeak, pyramidPeak, maskPeak)),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

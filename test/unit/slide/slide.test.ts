/**
 * Slide module on real H&E pixels: a crop of HER2ST C2 (the whole 9.3k × 9.9k image belongs to the
 * bench), written as JPEG, tiled pyramidal TIFF and BigTIFF.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDeepZoom,
  deepZoomLevels,
  levelSize,
  openSlide,
  readRegion,
  resampleRgb,
  tileSpan,
  tissueMask,
} from '../../../main/engine/slide';
import { readSample } from '../../../main/engine/io';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-slide-');
afterAll(() => tmp.cleanup());
const C2 = () => sharedData('her2st', 'C2', '5714_HE_BT_C2.jpg');
const CROP = { left: 3000, top: 4200, width: 1300, height: 1100 };
let cropJpeg: string;
let cropTiff: string;
let cropBigTiff: string;
let cropRaw: Buffer;

beforeAll(async () => {
  cropJpeg = join(tmp.dir, 'crop.jpg');
  cropTiff = join(tmp.dir, 'crop.tif');
  cropBigTiff = join(tmp.dir, 'crop-big.tif');
  await sharp(C2()).extract(CROP).jpeg({ quality: 95 }).toFile(cropJpeg);
  cropRaw = await sharp(cropJpeg).raw().toBuffer();
  await sharp(cropJpeg)
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'deflate' })
    .toFile(cropTiff);
  await sharp(cropJpeg)
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: 'deflate', bigtiff: true })
    .toFile(cropBigTiff);
});

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('resampleRgb', () => {
  it('area-averages exactly, including fractional footprints', () => {
    // 3×1 → 2×1: output 0 covers px0 + half of px1, output 1 half of px1 + px2
    const src = { width: 3, height: 1, data: Uint8Array.from([0, 0, 0, 90, 90, 90, 180, 180, 180]) };
    const out = resampleRgb(src, 2, 1);
    expect(Array.from(out.data)).toEqual([30, 30, 30, 150, 150, 150]);
    // 4×4 → 2×2 is the mean of each 2×2 block
    const d = new Uint8Array(48);
    for (let i = 0; i < 16; i++) d.fill(i * 10, i * 3, i * 3 + 3);
    const o = resampleRgb({ width: 4, height: 4, data: d }, 2, 2);
    expect(Array.from(o.data).filter((_, i) => i % 3 === 0)).toEqual([25, 45, 105, 125]);
  });
});

describe('openSlide / readRegion', () => {
  it('opens JPEG with sharp and (Big)TIFF with geotiff, same pixels', async () => {
    const j = await openSlide(cropJpeg, { umPerPx: 0.69 });
    const t = await openSlide(cropTiff, { umPerPx: 0.69 });
    const b = await openSlide(cropBigTiff, { umPerPx: 0.69 });
    expect([j.backend, j.format]).toEqual(['sharp', 'jpeg']);
    expect([t.backend, t.format]).toEqual(['geotiff', 'tiff']);
    expect([b.backend, b.format]).toEqual(['geotiff', 'bigtiff']);
    expect(t.levels.length).toBeGreaterThan(2);
    expect(t.levels[1]!.downsample).toBeCloseTo(2, 1);
    const rect = { x: 100, y: 200, w: 300, h: 250 };
    const full = [await j.read(rect, 300, 250), await t.read(rect, 300, 250), await b.read(rect, 300, 250)];
    // lossless TIFF copies of the decoded JPEG: identical pixels
    expect(meanAbsDiff(full[0]!.data, full[1]!.data)).toBe(0);
    expect(meanAbsDiff(full[0]!.data, full[2]!.data)).toBe(0);
    for (const s of [j, t, b]) await s.close();
  });

  it('reads at a coarser µm/px by area averaging', async () => {
    const j = await openSlide(cropJpeg, { umPerPx: 0.69 });
    const rect = { x: 64, y: 32, w: 400, h: 300 };
    const r = await readRegion(j, rect, 0.69 * 4, undefined);
    expect([r.width, r.height, r.umPerPx]).toEqual([100, 75, 0.69 * 4]);
    // reference: mean of each 4×4 block of the decoded crop
    const ref = new Uint8Array(100 * 75 * 3);
    for (let oy = 0; oy < 75; oy++) {
      for (let ox = 0; ox < 100; ox++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let dy = 0; dy < 4; dy++) {
            for (let dx = 0; dx < 4; dx++)
              s += cropRaw[((rect.y + oy * 4 + dy) * CROP.width + rect.x + ox * 4 + dx) * 3 + c]!;
          }
          ref[(oy * 100 + ox) * 3 + c] = Math.round(s / 16);
        }
      }
    }
    expect(meanAbsDiff(r.data, ref)).toBeLessThan(1.5);
    // the pyramidal TIFF reads from its ×4 level and agrees
    const t = await openSlide(cropTiff, { umPerPx: 0.69 });
    const rt = await readRegion(t, rect, 0.69 * 4);
    expect(meanAbsDiff(rt.data, ref)).toBeLessThan(2.5);
    await expect(readRegion(await openSlide(cropJpeg), rect, 1)).rejects.toThrow(/pixel size .* unknown/);
  });
});

describe('buildDeepZoom', () => {
  it('writes a standard pyramid: level count, tile grid and tile sizes', async () => {
    const out = join(tmp.dir, 'dz');
    const fractions: number[] = [];
    const r = await buildDeepZoom(cropJpeg, out, { tileSize: 254, overlap: 1, format: 'jpeg' }, (u) =>
      fractions.push(u.fraction),
    );
    const levels = Math.ceil(Math.log2(1300)) + 1;
    expect(r.levels).toBe(levels);
    expect(deepZoomLevels(1300, 1100)).toBe(levels);
    expect(readdirSync(r.filesDir).length).toBe(levels);
    const dzi = readFileSync(r.dziPath, 'utf8');
    expect(dzi).toContain('TileSize="254"');
    expect(dzi).toContain('Overlap="1"');
    expect(dzi).toContain('<Size Width="1300" Height="1100"/>');
    expect(existsSync(join(out, 'complete.json'))).toBe(true);
    expect(existsSync(join(out, '.work'))).toBe(false);
    expect(fractions.at(-1)).toBe(1);
    for (let L = 0; L < levels; L++) {
      const { w, h } = levelSize(1300, 1100, L, levels);
      const cols = Math.ceil(w / 254);
      const rows = Math.ceil(h / 254);
      const tiles = readdirSync(join(r.filesDir, String(L))).filter((f) => f.endsWith('.jpeg'));
      expect(tiles.length).toBe(cols * rows);
      for (const [c, rr] of [
        [0, 0],
        [cols - 1, rows - 1],
        [Math.floor(cols / 2), Math.floor(rows / 2)],
      ] as const) {
        const m = await sharp(join(r.filesDir, String(L), `${c}_${rr}.jpeg`)).metadata();
        const [x0, x1] = tileSpan(c, w, 254, 1);
        const [y0, y1] = tileSpan(rr, h, 254, 1);
        expect([m.width, m.height]).toEqual([x1 - x0, y1 - y0]);
      }
    }
    expect(levelSize(1300, 1100, levels - 1, levels)).toEqual({ w: 1300, h: 1100 });
    expect(levelSize(1300, 1100, 0, levels)).toEqual({ w: 1, h: 1 });
    // full-res tile (1,1) shows the crop at [253, 509) × [253, 509)
    const tile = await sharp(join(r.filesDir, String(levels - 1), '1_1.jpeg'))
      .raw()
      .toBuffer();
    const ref = await sharp(cropRaw, { raw: { width: 1300, height: 1100, channels: 3 } })
      .extract({ left: 253, top: 253, width: 256, height: 256 })
      .raw()
      .toBuffer();
    expect(meanAbsDiff(tile, ref)).toBeLessThan(4);
  });

  it('cancels, then resumes without redoing finished tiles; a finished pyramid is skipped', async () => {
    const out = join(tmp.dir, 'dz-resume');
    const ac = new AbortController();
    let calls = 0;
    await expect(
      buildDeepZoom(
        cropJpeg,
        out,
        {},
        () => {
          if (++calls === 2) ac.abort();
        },
        ac.signal,
      ),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(join(out, 'complete.json'))).toBe(false);
    expect(existsSync(join(out, 'slide.dzi'))).toBe(false);
    const top = join(out, 'slide_files', String(deepZoomLevels(1300, 1100) - 1));
    const partial = readdirSync(top).filter((f) => f.endsWith('.jpeg')).length;
    expect(partial).toBeGreaterThan(0);
    const r = await buildDeepZoom(cropJpeg, out);
    expect(r.tilesSkipped).toBe(partial);
    expect(existsSync(join(out, 'complete.json'))).toBe(true);
    // remove one tile and the markers of its level: only that tile is rebuilt
    rmSync(join(top, '2_2.jpeg'));
    rmSync(join(top, '.done'));
    rmSync(join(out, 'complete.json'));
    const again = await buildDeepZoom(cropJpeg, out);
    expect(again.tilesWritten).toBe(1);
    const done = await buildDeepZoom(cropJpeg, out);
    expect(done.tilesWritten).toBe(0);
    // other parameters rebuild from scratch
    const png = await buildDeepZoom(cropJpeg, out, { format: 'png', tileSize: 510 });
    expect(png.tilesSkipped).toBe(0);
    expect(readdirSync(join(out, 'slide_files', '0'))).toContain('0_0.png');
  });

  it('builds from a tiled TIFF through geotiff', async () => {
    const r = await buildDeepZoom(cropTiff, join(tmp.dir, 'dz-tiff'));
    const tile = await sharp(join(r.filesDir, String(r.levels - 1), '0_0.jpeg'))
      .raw()
      .toBuffer();
    const ref = await sharp(cropRaw, { raw: { width: 1300, height: 1100, channels: 3 } })
      .extract({ left: 0, top: 0, width: 255, height: 255 })
      .raw()
      .toBuffer();
    expect(meanAbsDiff(tile, ref)).toBeLessThan(4);
  });
});

describe('tissueMask', () => {
  it('C2: every spot under tissue is inside the mask, and the glass is not', async () => {
    const sample = await readSample(sharedData('her2st', 'C2'));
    const slide = await openSlide(sample.image!.path);
    const m = await tissueMask(slide, { maxSide: 512 });
    expect(Math.max(m.width, m.height)).toBe(512);
    expect(m.tissueFraction).toBeGreaterThan(0.05);
    expect(m.tissueFraction).toBeLessThan(0.5);
    const at = (x: number, y: number) =>
      m.data[Math.floor(y / m.scaleY) * m.width + Math.floor(x / m.scaleX)];
    const inside = sample.spots.filter((s) => at(s.x, s.y) === 1).length;
    expect(inside / sample.spots.length).toBeGreaterThan(0.97);
    // corners of the slide are glass
    expect([
      at(10, 10),
      at(slide.width - 10, 10),
      at(10, slide.height - 10),
      at(slide.width - 10, slide.height - 10),
    ]).toEqual([0, 0, 0, 0]);
    await slide.close();
  });
});

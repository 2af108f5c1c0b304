/**
 * Histology features on real H&E pixels: crops of HER2ST C2 (0.689 µm/px, so every test also runs
 * the bilinear enlargement to 0.5 µm/px). The whole slide belongs to bench/features.ts.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_CHANNELS,
  IMAGENET_MEAN,
  IMAGENET_STD,
  SP_PER_TILE,
  buildVit,
  createBuiltinExtractor,
  decodeFloat16,
  encodeFloat16,
  extractFeatures,
  featureGrid,
  fromFloat16Bits,
  loadOnnxExtractor,
  openFeatureMap,
  positionChannels,
  readScaledWindow,
  readSuperpixelRgb,
  toFloat16Bits,
  type FeatureExtractor,
} from '../../../main/engine/features';
import { Graph } from '../../../main/engine/onnx';
import { openSlide } from '../../../main/engine/slide';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const UM = 0.689; // HER2ST C2 µm per px (the io reader derives ~0.689 from the spot pitch)
const tmp = makeTempDir('stsr-features-');
afterAll(() => tmp.cleanup());
const C2 = () => sharedData('her2st', 'C2', '5714_HE_BT_C2.jpg');

/** Tissue edge: glass in the top rows, tissue towards the bottom right (mixed tile mask). */
const EDGE = { left: 3000, top: 4200, width: 1300, height: 1100 };
/** Stroma band and a nuclear cluster side by side (hand-picked, see the boxes below). */
const MIXED = { left: 4200, top: 4800, width: 700, height: 500 };
let edgePng: string;
let mixedPng: string;

beforeAll(async () => {
  // PNG keeps the crop's pixels exactly as decoded from the slide JPEG.
  edgePng = join(tmp.dir, 'edge.png');
  mixedPng = join(tmp.dir, 'mixed.png');
  await sharp(C2()).extract(EDGE).png().toFile(edgePng);
  await sharp(C2()).extract(MIXED).png().toFile(mixedPng);
});

/**
 * A pure-JS extractor: per superpixel the mean of each normalised input channel (dynamic batch).
 * It counts the tiles it sees, which is what the skip and resume tests need.
 */
function meanColourExtractor(): FeatureExtractor & { seen: number } {
  const S = 224;
  const ex = {
    id: 'mean-colour',
    dim: 3,
    batchSize: 5,
    fixedBatch: false,
    provider: 'js',
    seen: 0,
    manifest: {
      id: 'mean-colour',
      kind: 'onnx' as const,
      version: 'test',
      sha256: 'test',
      input: {
        size: S,
        halo: 0,
        layout: 'NCHW' as const,
        dtype: 'float32' as const,
        mean: [0, 0, 0] as [number, number, number],
        std: [1, 1, 1] as [number, number, number],
      },
      output: { dim: 3, layout: 'test' },
    },
    async run(tiles: Float32Array, b: number) {
      ex.seen += b;
      const out = new Float32Array(b * 196 * 3);
      for (let i = 0; i < b; i++) {
        for (let c = 0; c < 3; c++) {
          const plane = tiles.subarray((i * 3 + c) * S * S, (i * 3 + c + 1) * S * S);
          for (let y = 0; y < S; y++) {
            for (let x = 0; x < S; x++) {
              const k = ((i * 14 + (y >> 4)) * 14 + (x >> 4)) * 3 + c;
              out[k] = out[k]! + plane[y * S + x]! / 256;
            }
          }
        }
      }
      return out;
    },
    async close() {},
  };
  return ex;
}

describe('float16 and HISTEX position channels', () => {
  it('encodes binary16 with round-to-nearest-even, saturation and subnormals', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    // 1 + 2^-11 is exactly between 1 and the next half: ties go to the even mantissa (1)
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Array.from(encodeFloat16([1e6, -1e6]))).toEqual([0x7bff, 0xfbff]);
    const v = Float32Array.from([0, 0.5, -3.25, 1234.5, 6.1e-5]);
    const back = decodeFloat16(encodeFloat16(v));
    for (let i = 0; i < v.length; i++)
      expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) / 1024);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
  });

  it('position channels: min-max to [0,1] then a 4 × 4 box with reflected borders (OpenCV anchor 2)', () => {
    const p = positionChannels(5, 2);
    // rows 0..4 → 0, .25, .5, .75, 1; window i−2..i+1 with …1,0|0,1… reflection
    const rowAt = (i: number) => p[(i * 2 + 0) * 2]!;
    expect(rowAt(0)).toBeCloseTo((0.25 + 0 + 0 + 0.25) / 4, 6);
    expect(rowAt(2)).toBeCloseTo((0 + 0.25 + 0.5 + 0.75) / 4, 6);
    expect(rowAt(4)).toBeCloseTo((0.5 + 0.75 + 1 + 1) / 4, 6);
    // columns 0, 1 → 0, 1: col 0 = (1 + 0 + 0 + 1)/4, col 1 = (0 + 0 + 1 + 1)/4
    expect(p[1]).toBeCloseTo(0.5, 6);
    expect(p[3]).toBeCloseTo(0.5, 6);
  });
});

describe('geometry', () => {
  it('grid is ceil(W·s/224)·14 × ceil(H·s/224)·14, enlarging and shrinking', () => {
    for (const [W, H, um] of [
      [9274, 9911, UM],
      [1300, 1100, UM],
      [40001, 30017, 0.2527],
      [448, 224, 0.5],
    ] as const) {
      const g = featureGrid(W, H, um);
      const s = um / 0.5;
      expect(g.cols).toBe(Math.ceil((W * s) / 224) * 14);
      expect(g.rows).toBe(Math.ceil((H * s) / 224) * 14);
      expect(g.scaledWidth).toBeGreaterThanOrEqual(W * s - 1e-6); // never cropped
      expect(g.resampling).toBe(um > 0.5 ? 'bilinear' : um < 0.5 ? 'area' : 'none');
      expect(Boolean(g.warning)).toBe(um > 0.5);
    }
    // 448 × 224 at exactly 0.5 µm/px is exactly 2 × 1 tiles, no padding
    expect(featureGrid(448, 224, 0.5)).toMatchObject({ tilesX: 2, tilesY: 1, rows: 14, cols: 28 });
  });

  it('windows read separately (any halo) equal one read of the whole area', async () => {
    const slide = await openSlide(mixedPng, { umPerPx: UM });
    const g = featureGrid(slide.width, slide.height, UM);
    const whole = await readScaledWindow(slide, g, -8, -8, 2 * 224 + 16, 224 + 16);
    const right = await readScaledWindow(slide, g, 224 - 8, -8, 224 + 16, 224 + 16);
    for (let y = 0; y < 240; y++) {
      const a = whole.subarray((y * 464 + 224) * 3, (y * 464 + 464) * 3);
      const b = right.subarray(y * 240 * 3, (y + 1) * 240 * 3);
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    }
    // the halo above row 0 lies outside the image: white
    expect(whole.subarray(0, 464 * 3).every((v) => v === 255)).toBe(true);
    // off-tissue RGB means (no 0.5-µm raster) equal the means of the resampled pixels, padding included
    const W = g.cols * 16;
    const H = g.rows * 16;
    const px = await readScaledWindow(slide, g, 0, 0, W, H);
    const sp = await readSuperpixelRgb(slide, g, 0, 0, g.cols, g.rows);
    let worst = 0;
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        for (let k = 0; k < 3; k++) {
          let acc = 0;
          for (let y = 0; y < 16; y++)
            for (let x = 0; x < 16; x++) acc += px[((r * 16 + y) * W + c * 16 + x) * 3 + k]!;
          worst = Math.max(worst, Math.abs(acc / 256 / 255 - sp[(r * g.cols + c) * 3 + k]!));
        }
      }
    }
    expect(worst).toBeLessThan(0.5 / 255 + 1e-6);
    await slide.close();
  });
});

describe('extraction pipeline', () => {
  it('computes only tiles touching tissue; the others hold the white-tile code and are masked', async () => {
    const ex = meanColourExtractor();
    const r = await extractFeatures({
      imagePath: edgePng,
      imageUmPerPx: UM,
      extractor: ex,
      outDir: join(tmp.dir, 'edge'),
    });
    const s = UM / 0.5;
    expect(r.grid.rows).toBe(Math.ceil((1100 * s) / 224) * 14);
    expect(r.grid.cols).toBe(Math.ceil((1300 * s) / 224) * 14);
    const map = openFeatureMap(r.dir);
    const tiles = map.tileMask();
    const tissue = tiles.reduce((a, b) => a + b, 0);
    expect(tissue).toBeGreaterThan(0);
    expect(tissue).toBeLessThan(tiles.length);
    // one white tile (the background code) plus exactly the tissue tiles
    expect(ex.seen).toBe(ex.batchSize + tissue);
    expect(r.tiles.computed).toBe(tissue);
    const all = map.readAll();
    const mask = map.mask();
    for (let ty = 0; ty < map.grid.tilesY; ty++) {
      for (let tx = 0; tx < map.grid.tilesX; tx++) {
        const r0 = ty * 14 + 3;
        const c0 = tx * 14 + 5;
        const v = all.subarray((r0 * map.cols + c0) * 3, (r0 * map.cols + c0) * 3 + 3);
        if (!tiles[ty * map.grid.tilesX + tx]) {
          // white: every normalised pixel is 255/255 = 1, averaged over the superpixel
          expect(Array.from(v)).toEqual([1, 1, 1]);
          for (let rr = ty * 14; rr < ty * 14 + 14; rr++)
            for (let cc = tx * 14; cc < tx * 14 + 14; cc++) expect(mask[rr * map.cols + cc]).toBe(0);
        }
      }
    }
    // every tissue superpixel lies in a computed tile, and the stored RGB means agree with the model's view
    const rgb = map.rgb();
    let checked = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      const r = Math.floor(i / map.cols);
      const c = i % map.cols;
      expect(tiles[Math.floor(r / 14) * map.grid.tilesX + Math.floor(c / 14)]).toBe(1);
      for (let k = 0; k < 3; k++) expect(Math.abs(all[i * 3 + k]! - rgb[i * 3 + k]!)).toBeLessThan(2e-3);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    map.close();
  });

  it('stain channels separate a nuclear cluster from stroma on real C2 pixels', async () => {
    const ex = await createBuiltinExtractor({ batchSize: 4, provider: 'cpu' });
    const r = await extractFeatures({
      imagePath: mixedPng,
      imageUmPerPx: UM,
      extractor: ex,
      outDir: join(tmp.dir, 'mixed'),
    });
    await ex.close();
    const map = openFeatureMap(r.dir);
    expect(map.dim).toBe(BUILTIN_CHANNELS.length);
    const all = map.readAll();
    const stats = map.info.stats!;
    const raw = (i: number, name: string) => {
      const d = BUILTIN_CHANNELS.indexOf(name);
      return all[i * map.dim + d]! * stats.sd[d]! + stats.mean[d]!;
    };
    // Boxes in slide px (checked by eye on the C2 JPEG): pink stroma band, dense nuclear cluster.
    const boxes = {
      stroma: { x0: 4400, y0: 5040, x1: 4480, y1: 5120 },
      nuclei: { x0: 4645, y0: 5050, x1: 4710, y1: 5110 },
    };
    const inside = (b: { x0: number; y0: number; x1: number; y1: number }) => {
      const out: number[] = [];
      for (let i = 0; i < map.rows * map.cols; i++) {
        const f = map.superpixelToFullRes(Math.floor(i / map.cols), i % map.cols);
        const x = f.x + MIXED.left;
        const y = f.y + MIXED.top;
        if (x >= b.x0 && y >= b.y0 && x + f.w <= b.x1 && y + f.h <= b.y1) out.push(i);
      }
      return out;
    };
    const mean = (idx: number[], ch: string) => idx.reduce((s, i) => s + raw(i, ch), 0) / idx.length;
    const st = inside(boxes.stroma);
    const nu = inside(boxes.nuclei);
    expect(st.length).toBeGreaterThanOrEqual(16);
    expect(nu.length).toBeGreaterThanOrEqual(9);
    // nuclei: far more haematoxylin and a majority of strongly H-stained pixels; stroma: more eosin
    expect(mean(nu, 'H_mean')).toBeGreaterThan(2 * mean(st, 'H_mean'));
    expect(mean(nu, 'H_positive_fraction')).toBeGreaterThan(0.5);
    expect(mean(st, 'H_positive_fraction')).toBeLessThan(0.25);
    expect(mean(st, 'E_mean')).toBeGreaterThan(mean(nu, 'E_mean') + 0.05);
    // every superpixel of the two boxes is on the right side of a single H threshold
    const cut =
      (Math.max(...st.map((i) => raw(i, 'H_mean'))) + Math.min(...nu.map((i) => raw(i, 'H_mean')))) / 2;
    expect(Math.max(...st.map((i) => raw(i, 'H_mean')))).toBeLessThan(cut);
    // z-scoring: tissue superpixels have mean 0 and sd 1 per channel (up to float16)
    const mask = map.mask();
    const d = BUILTIN_CHANNELS.indexOf('H_mean_ctx7');
    let s1 = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      const v = all[i * map.dim + d]!;
      s1 += v;
      s2 += v * v;
      n++;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.01);
    map.close();
  });
});

describe('foundation models', () => {
  it('a random-weight ViT (patch 16, 224) runs through the ONNX path and its tokens land in the right superpixels', async () => {
    const file = join(tmp.dir, 'tiny-vit.onnx');
    writeFileSync(file, buildVit({ dim: 32, depth: 2, heads: 2, batch: 3, seed: 7, probeChannels: true }));
    const ex = await loadOnnxExtractor(file, { provider: 'cpu' });
    expect(ex.dim).toBe(34);
    expect(ex.fixedBatch).toBe(true);
    expect(ex.manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const r = await extractFeatures({
      imagePath: mixedPng,
      imageUmPerPx: UM,
      extractor: ex,
      outDir: join(tmp.dir, 'vit'),
    });
    await ex.close();
    const map = openFeatureMap(r.dir);
    const all = map.readAll();
    const rgb = map.rgb();
    const tiles = map.tileMask();
    let checked = 0;
    for (let row = 0; row < map.rows; row++) {
      for (let col = 0; col < map.cols; col++) {
        const tile = Math.floor(row / SP_PER_TILE) * map.grid.tilesX + Math.floor(col / SP_PER_TILE);
        if (!tiles[tile]) continue;
        const i = row * map.cols + col;
        // last channel: the token's patch index inside its tile, row-major (CLS was dropped)
        expect(all[i * 34 + 33]).toBe((row % 14) * 14 + (col % 14));
        // second to last: the mean ImageNet-normalised pixel of the superpixel's own 16 × 16 patch
        let want = 0;
        for (let c = 0; c < 3; c++) want += (rgb[i * 3 + c]! - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]! / 3;
        expect(Math.abs(all[i * 34 + 32]! - want)).toBeLessThan(4e-3 * Math.max(1, Math.abs(want)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(196);
    map.close();
  });

  it('refuses a model that returns a pooled embedding or wants another input size, saying why', async () => {
    const g = new Graph('float32');
    const x = g.input('x', [2, 3, 224, 224]);
    const pooled = g.reshape(g.averagePool(x, [224, 224]), [2, 3]);
    const f1 = join(tmp.dir, 'pooled.onnx');
    writeFileSync(f1, g.toModel({ outputs: { y: pooled } }));
    await expect(loadOnnxExtractor(f1, { provider: 'cpu' })).rejects.toThrow(/forward_features/);
    const g2 = new Graph('float32');
    const x2 = g2.input('x', [1, 3, 256, 256]);
    const f2 = join(tmp.dir, 'big.onnx');
    writeFileSync(f2, g2.toModel({ outputs: { y: g2.reshape(x2, [1, 3, 65536]) } }));
    await expect(loadOnnxExtractor(f2, { provider: 'cpu' })).rejects.toThrow(
      /expected \(batch, 3, 224, 224\)/,
    );
  });
});

describe('resume', () => {
  it('an aborted extraction continues from the last finished chunk and equals an uninterrupted run', async () => {
    const full = await createBuiltinExtractor({ batchSize: 4, provider: 'cpu' });
    const ref = await extractFeatures({
      imagePath: edgePng,
      imageUmPerPx: UM,
      extractor: full,
      outDir: join(tmp.dir, 'ref'),
    });

    const dir = join(tmp.dir, 'resumed');
    const ac = new AbortController();
    let rowsWritten = 0;
    await expect(
      extractFeatures({
        imagePath: edgePng,
        imageUmPerPx: UM,
        extractor: full,
        outDir: dir,
        signal: ac.signal,
        blockTiles: 2,
        progress: (u) => {
          if (u.message?.startsWith('Tile row') && ++rowsWritten === 6) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(join(dir, 'complete.json'))).toBe(false);
    const rawDone = readdirSync(dir).filter((f) => f.startsWith('raw-')).length;
    expect(rawDone).toBeGreaterThanOrEqual(6);
    expect(rawDone).toBeLessThan(ref.grid.tilesY);
    // a crash mid-write leaves only a temp file, which is ignored
    writeFileSync(join(dir, '.tmp-raw-0006.arr.dead'), 'half a chunk');

    const again = await extractFeatures({
      imagePath: edgePng,
      imageUmPerPx: UM,
      extractor: full,
      outDir: dir,
    });
    await full.close();
    expect(again.tiles.resumedRows).toBe(rawDone);
    expect(again.tiles.computed).toBeLessThan(ref.tiles.computed);
    const a = openFeatureMap(ref.dir);
    const b = openFeatureMap(dir);
    expect(Buffer.compare(Buffer.from(a.readAll().buffer), Buffer.from(b.readAll().buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.rgb().buffer), Buffer.from(b.rgb().buffer))).toBe(0);
    a.close();
    b.close();
  });
});

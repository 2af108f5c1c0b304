/** Training windows of the 2× step (pipeline.ts trainingItems). */
import { describe, expect, it } from 'vitest';
import { trainingItems } from '../../../../main/engine/methods/diffst/pipeline';
import { DIFFST_PRESETS } from '../../../../main/engine/methods/diffst/presets';
import type { SpotRaster } from '../../../../main/engine/methods/diffst/raster';
import type { SlideRaster } from '../../../../main/engine/methods/diffst/image-input';

// An 8 × 8 raster, one gene, every pixel measured: 1 everywhere but the right-most column (100).
function raster(): SpotRaster {
  const W = 8;
  const values = new Float32Array(W * W).map((_, q) => (q % W === W - 1 ? 100 : 1));
  return {
    width: W,
    height: W,
    genes: 1,
    pitch: 10,
    affine: { ox: 0, oy: 0, xj: 10, xi: 0, yj: 0, yi: 10 },
    values,
    present: new Uint8Array(W * W).fill(1),
  };
}

const blank: SlideRaster = {
  width: 4,
  height: 4,
  pxSize: 40,
  channels: 3,
  data: new Uint8Array(48),
  background: [0, 0, 0],
};

describe('trainingItems', () => {
  it('never reads LR pixels left of the raster from the previous row (windows start at −L/2)', () => {
    const p = { ...DIFFST_PRESETS.tiny, hr: 4, trainStride: 1 };
    const items = trainingItems(raster(), p, { tissue: blank, cells: blank });
    expect(items.length).toBeGreaterThan(0);
    // Normalised by its own window's min/max, a window's LR pixels lie in [0, 1] (or are 0 where
    // unmeasured). Before the fix, a window hanging over the left edge read the previous row's
    // right end (LR value 50.5) into its left columns, far outside its window's range.
    for (const it of items) for (const v of it.lr) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('subtracts the chosen base: the parent (constant per 2×2 block) or the bilinear upsampling', () => {
    const p = { ...DIFFST_PRESETS.tiny, hr: 4, trainStride: 1 };
    const imgs = { tissue: blank, cells: blank };
    const map = trainingItems(raster(), { ...p, target: 'map' }, imgs);
    const nearest = trainingItems(raster(), { ...p, target: 'residual' }, imgs);
    const bilinear = trainingItems(raster(), { ...p, target: 'residual-bilinear' }, imgs);
    expect(nearest.length).toBe(map.length);
    expect(bilinear.length).toBe(map.length);
    const H = 4;
    let blocksVaryBilinear = 0;
    for (let k = 0; k < map.length; k++)
      for (let A = 0; A < H; A += 2)
        for (let B = 0; B < H; B += 2) {
          const base = (items: typeof map, a: number, b: number) =>
            map[k]!.x0[a * H + b]! - items[k]!.x0[a * H + b]!;
          const kids = [
            [A, B],
            [A, B + 1],
            [A + 1, B],
            [A + 1, B + 1],
          ] as const;
          const near = kids.map(([a, b]) => base(nearest, a, b));
          for (const v of near) expect(v).toBeCloseTo(near[0]!, 6);
          const bil = kids.map(([a, b]) => base(bilinear, a, b));
          for (const v of bil) {
            expect(v).toBeGreaterThanOrEqual(-1e-6);
            expect(v).toBeLessThanOrEqual(1 + 1e-6);
          }
          if (bil.some((v) => Math.abs(v - bil[0]!) > 1e-3)) blocksVaryBilinear++;
        }
    expect(blocksVaryBilinear).toBeGreaterThan(0);
  });
});

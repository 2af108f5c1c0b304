/** What Diff-ST's image branches read: feature planes averaged onto rasters, crops, input shapes. */
import { describe, expect, it } from 'vitest';
import {
  crop,
  featureRaster,
  imageInputShape,
  type SuperpixelPlane,
} from '../../../../main/engine/methods/diffst/image-input';
import { diffstEntry } from '../../../../main/engine/methods/diffst/entry';
import { DIFFST_PRESETS } from '../../../../main/engine/methods/diffst/presets';

// 4×4 superpixels of 10 full-res px, 2 channels: (row, col); the last column is background (−1, −1).
function plane(): SuperpixelPlane {
  const rows = 4;
  const cols = 4;
  const data = new Float32Array(rows * cols * 2);
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const s = r * cols + c;
      const tissue = c < 3;
      mask[s] = tissue ? 1 : 0;
      data[s * 2] = tissue ? r : -1;
      data[s * 2 + 1] = tissue ? c : -1;
    }
  return { rows, cols, dim: 2, k: 10, data, mask };
}

describe('Diff-ST image input', () => {
  it('averages the superpixels whose centres fall in each raster pixel', () => {
    const r = featureRaster(plane(), 20, 40, 40);
    expect([r.width, r.height, r.pxSize, r.channels]).toEqual([2, 2, 20, 2]);
    // pixel (0, 0): superpixels (0..1, 0..1) → (0.5, 0.5); pixel (1, 1): rows 2..3, cols 2 (tissue) and 3 (−1)
    expect(Array.from(r.data.subarray(0, 2))).toEqual([0.5, 0.5]);
    expect(Array.from(r.data.subarray(6, 8))).toEqual([(2 + 3 - 1 - 1) / 4, (2 + 2 - 1 - 1) / 4]);
    // outside the slide: the non-tissue mean
    expect(Array.from(r.background)).toEqual([-1, -1]);
  });

  it('a raster finer than the superpixels takes the superpixel under each pixel centre', () => {
    const r = featureRaster(plane(), 5, 40, 40);
    expect([r.width, r.height]).toEqual([8, 8]);
    // pixel (3, 2) is centred at (12.5, 17.5) full-res px → superpixel (1, 1)
    const q = 3 * 8 + 2;
    expect(Array.from(r.data.subarray(q * 2, q * 2 + 2))).toEqual([1, 1]);
  });

  it('crops channels first, with the background outside the raster', () => {
    const r = featureRaster(plane(), 10, 40, 40);
    const out = new Float32Array(2 * 2 * 2);
    crop(r, -10, 20, 2, out, 0);
    // (u, v) = (0, 0) is outside (x < 0); (1, 0) is superpixel (2, 0); (1, 1) superpixel (3, 0)
    expect(Array.from(out)).toEqual([-1, 2, -1, 3, -1, 0, -1, 0]);
  });

  it('input shapes: RGB is 3 channels divided by 255, a reading its components undivided', () => {
    expect(imageInputShape('rgb')).toEqual({ channels: 3, divisor: 255 });
    expect(imageInputShape('builtin:16')).toEqual({ channels: 16, divisor: 1 });
    expect(imageInputShape('builtin:8,nuclei:4')).toEqual({ channels: 12, divisor: 1 });
    expect(() => imageInputShape('pixels')).toThrow(/neither 'rgb' nor a feature reading/);
  });
});

describe('Diff-ST registry entry', () => {
  it('each preset reads the image the way its DIFFST_PRESETS entry says', () => {
    const opts = (p: keyof typeof DIFFST_PRESETS) =>
      diffstEntry.options.parse({ ...(diffstEntry.presets?.[p] ?? {}) }) as {
        image: string;
        meanSamples: number;
      };
    for (const p of ['default', 'tiny', 'paper'] as const) {
      expect(opts(p).image, p).toBe(DIFFST_PRESETS[p].image);
      expect(opts(p).meanSamples, p).toBe(DIFFST_PRESETS[p].meanSamples);
    }
  });
});

import sharp from 'sharp';
import { colorAt, type ColormapName } from '../../../preload/contract/colormaps';
import { kthSmallest } from '../../../preload/contract/select';
import type { SuperpixelGrid } from '../methods/types';

/**
 * The rectangle a one-pixel-per-superpixel raster covers on the slide, in full-resolution pixels:
 * not a grid of its own, always derived from the grid by gridPlacement().
 */
export interface GridPlacement {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function gridPlacement(grid: SuperpixelGrid): GridPlacement {
  return {
    x: grid.originX,
    y: grid.originY,
    width: grid.width * grid.sizePx,
    height: grid.height * grid.sizePx,
  };
}

/**
 * One pixel per superpixel, RGBA: masked-out superpixels are transparent so the slide shows
 * through. The viewer scales it up with nearest-neighbour sampling, so each 8 µm square stays
 * a square.
 */
export async function gridPng(
  rows: number,
  cols: number,
  colour: (i: number) => readonly [number, number, number] | null,
): Promise<Buffer> {
  const rgba = Buffer.alloc(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) {
    const c = colour(i);
    if (!c) continue;
    rgba[4 * i] = c[0];
    rgba[4 * i + 1] = c[1];
    rgba[4 * i + 2] = c[2];
    rgba[4 * i + 3] = 255;
  }
  return sharp(rgba, { raw: { width: cols, height: rows, channels: 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** A scalar map (e.g. one gene's SR expression) through a colour map over [lo, hi]. */
export function scalarColour(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  range: [number, number],
  map: ColormapName = 'viridis',
): (i: number) => [number, number, number] | null {
  const span = range[1] - range[0] || 1;
  return (i) => {
    if (!mask[i]) return null;
    const [r, g, b] = colorAt(map, (values[i]! - range[0]) / span);
    return [Math.round(r), Math.round(g), Math.round(b)];
  };
}

/** The q-quantile of the values where mask is set (for robust colour ranges). */
export function maskedQuantile(values: ArrayLike<number>, mask: ArrayLike<number>, q: number): number {
  // quickselect (linear time), the viewer's own percentile code: this runs for every SR gene layer
  let n = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] && Number.isFinite(values[i]!)) n++;
  if (n === 0) return 0;
  const v = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] && Number.isFinite(values[i]!)) v[k++] = values[i]!;
  return kthSmallest(v, n, Math.min(n - 1, Math.max(0, Math.round(q * (n - 1)))));
}

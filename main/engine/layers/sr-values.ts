import type { SuperpixelGrid } from '../methods/types';
import { maskedQuantile } from './raster';

/**
 * One gene's SR map cut to the bounding box of the superpixels that have a value, as raw
 * float32 (NaN where there is none), so the viewer colours it itself: a colour map or range change
 * then costs no round trip, and the file is half the full grid on a typical section.
 */
export function cropValues(
  values: ArrayLike<number>,
  present: ArrayLike<number>,
  grid: SuperpixelGrid,
): {
  data: Float32Array;
  rows: number;
  cols: number;
  x: number;
  y: number;
  range: [number, number];
} {
  let r0 = grid.height;
  let r1 = -1;
  let c0 = grid.width;
  let c1 = -1;
  for (let r = 0; r < grid.height; r++)
    for (let c = 0; c < grid.width; c++) {
      if (!present[r * grid.width + c]) continue;
      if (r < r0) r0 = r;
      if (r > r1) r1 = r;
      if (c < c0) c0 = c;
      if (c > c1) c1 = c;
    }
  if (r1 < 0) return { data: new Float32Array(0), rows: 0, cols: 0, x: 0, y: 0, range: [0, 1] };
  const rows = r1 - r0 + 1;
  const cols = c1 - c0 + 1;
  const data = new Float32Array(rows * cols).fill(NaN);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const k = (r + r0) * grid.width + c + c0;
      if (present[k]) data[r * cols + c] = values[k]!;
    }
  const k = grid.sizePx;
  return {
    data,
    rows,
    cols,
    x: grid.originX + c0 * k,
    y: grid.originY + r0 * k,
    range: [0, maskedQuantile(values, present, 0.99) || 1],
  };
}

/** How an SR value layer is named on screen and in figures (one wording for both). */
export function srValueLabel(symbol: string, runLabel: string): string {
  return `${symbol} (${runLabel} SR, counts per 8 µm)`;
}

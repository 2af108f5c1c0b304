import { colorAt, type ColormapName } from '../../lib/colormaps';

export const TILE = 256;

/** 256 RGB entries of a colour map: one table lookup per cell instead of an interpolation. */
export function colourTable(map: ColormapName): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colorAt(map, i / 255);
    lut[3 * i] = r;
    lut[3 * i + 1] = g;
    lut[3 * i + 2] = b;
  }
  return lut;
}

/**
 * Colours one TILE × TILE block (tile tx, ty) of a rows × cols value grid into RGBA: cells without
 * a value (NaN) stay transparent so the slide shows through. Returns the block's width and height
 * (smaller at the grid's right and bottom edges).
 */
export function colourTile(
  values: Float32Array,
  rows: number,
  cols: number,
  tx: number,
  ty: number,
  lut: Uint8ClampedArray,
  range: [number, number],
  out: Uint8ClampedArray,
): { w: number; h: number } {
  const c0 = tx * TILE;
  const r0 = ty * TILE;
  const w = Math.max(0, Math.min(TILE, cols - c0));
  const h = Math.max(0, Math.min(TILE, rows - r0));
  const lo = range[0];
  const k = 255 / (range[1] - range[0] || 1);
  for (let r = 0; r < h; r++) {
    let src = (r0 + r) * cols + c0;
    let dst = r * w * 4;
    for (let c = 0; c < w; c++, src++, dst += 4) {
      const v = values[src]!;
      if (Number.isNaN(v)) {
        out[dst + 3] = 0;
        continue;
      }
      let t = ((v - lo) * k) | 0;
      t = t < 0 ? 0 : t > 255 ? 255 : t;
      out[dst] = lut[3 * t]!;
      out[dst + 1] = lut[3 * t + 1]!;
      out[dst + 2] = lut[3 * t + 2]!;
      out[dst + 3] = 255;
    }
  }
  return { w, h };
}

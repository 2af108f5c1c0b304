/**
 * What Diff-ST's tissue and cell branches read of the slide, as rasters at a chosen pixel size:
 *
 *   'rgb'        the H&E itself (RGB 0–255, white outside the slide) — the released model's input;
 *   a reading    e.g. 'builtin:16': the built-in feature map (features/, 66 channels per 8-µm
 *                superpixel) reduced to its leading principal components over tissue at unit SD
 *                (features/derived.ts), each raster pixel the mean of the superpixels whose centres
 *                fall in it (outside the slide: the mean of the non-tissue superpixels).
 *
 * Why the reading exists: the branches learn image → expression from 51–148 pseudo-spots per
 * HER2ST section, far too few to learn a conv encoder from pixels; the built-in channels (stain
 * densities, nuclear fraction, texture, context) are what HISTEX reads (docs/diffst.md, deviation 17).
 */
import { cachedBuiltinFeatureMap } from '../../features';
import { derivedFeatureMap, parseReading } from '../../features/derived';
import { badInput } from '../../errors';
import type { ProgressFn } from '../../jobs/progress';
import { openSlide } from '../../slide/open';
import type { SrInput } from '../types';

/** A C-channel raster of the whole slide at `pxSize` full-res px per pixel (pixel-major, channels last). */
export interface SlideRaster {
  width: number;
  height: number;
  pxSize: number;
  channels: number;
  data: Uint8Array | Float32Array;
  /** per channel, the value outside the slide */
  background: ArrayLike<number>;
}

export async function readSlideRaster(path: string, umPerPx: number, pxSize: number): Promise<SlideRaster> {
  const slide = await openSlide(path, { umPerPx });
  try {
    const w = Math.max(1, Math.round(slide.width / pxSize));
    const h = Math.max(1, Math.round(slide.height / pxSize));
    const img = await slide.read({ x: 0, y: 0, w: slide.width, h: slide.height }, w, h);
    return {
      width: img.width,
      height: img.height,
      pxSize: slide.width / img.width,
      channels: 3,
      data: img.data,
      background: [255, 255, 255],
    };
  } finally {
    await slide.close();
  }
}

/** Superpixel features on their grid: (rows × cols × dim), superpixel side `k` full-res px. */
export interface SuperpixelPlane {
  rows: number;
  cols: number;
  dim: number;
  /** full-res px per superpixel side */
  k: number;
  data: Float32Array;
  mask: Uint8Array;
}

/**
 * The plane averaged onto a raster of `pxSize` full-res px covering `width × height` full-res px:
 * each pixel the mean of the superpixels whose centres fall in it, or (pixels smaller than a
 * superpixel) the superpixel under its centre; outside the plane, the non-tissue mean.
 */
export function featureRaster(
  f: SuperpixelPlane,
  pxSize: number,
  width: number,
  height: number,
): SlideRaster {
  const w = Math.max(1, Math.round(width / pxSize));
  const h = Math.max(1, Math.round(height / pxSize));
  const px = width / w;
  const D = f.dim;
  const background = new Float64Array(D);
  let nb = 0;
  for (let s = 0; s < f.rows * f.cols; s++)
    if (!f.mask[s]) {
      nb++;
      for (let d = 0; d < D; d++) background[d] = background[d]! + f.data[s * D + d]!;
    }
  for (let d = 0; d < D; d++) background[d] = nb > 0 ? background[d]! / nb : 0;
  const sum = new Float64Array(w * h * D);
  const cnt = new Uint32Array(w * h);
  for (let r = 0; r < f.rows; r++)
    for (let c = 0; c < f.cols; c++) {
      const a = Math.floor(((r + 0.5) * f.k) / px);
      const b = Math.floor(((c + 0.5) * f.k) / px);
      if (a >= h || b >= w) continue;
      const q = a * w + b;
      cnt[q]!++;
      const s = r * f.cols + c;
      for (let d = 0; d < D; d++) sum[q * D + d] = sum[q * D + d]! + f.data[s * D + d]!;
    }
  const data = new Float32Array(w * h * D);
  for (let a = 0; a < h; a++)
    for (let b = 0; b < w; b++) {
      const q = a * w + b;
      if (cnt[q]) {
        for (let d = 0; d < D; d++) data[q * D + d] = sum[q * D + d]! / cnt[q]!;
        continue;
      }
      const r = Math.floor(((a + 0.5) * px) / f.k);
      const c = Math.floor(((b + 0.5) * px) / f.k);
      const inside = r < f.rows && c < f.cols;
      for (let d = 0; d < D; d++)
        data[q * D + d] = inside ? f.data[(r * f.cols + c) * D + d]! : background[d]!;
    }
  return { width: w, height: h, pxSize: px, channels: D, data, background: Float32Array.from(background) };
}

/** C×side×side (channels first) of the raster from full-res (x0, y0) at its pixel size; background outside. */
export function crop(
  r: SlideRaster,
  x0: number,
  y0: number,
  side: number,
  out: Float32Array,
  offset: number,
): void {
  const n = side * side;
  const C = r.channels;
  for (let v = 0; v < side; v++)
    for (let u = 0; u < side; u++) {
      const a = Math.floor((y0 + (v + 0.5) * r.pxSize) / r.pxSize);
      const b = Math.floor((x0 + (u + 0.5) * r.pxSize) / r.pxSize);
      const inside = a >= 0 && b >= 0 && a < r.height && b < r.width;
      for (let c = 0; c < C; c++)
        out[offset + c * n + v * side + u] = inside ? r.data[(a * r.width + b) * C + c]! : r.background[c]!;
    }
}

/** Image channels and the divisor the model applies, per image input. */
export function imageInputShape(reading: string): { channels: number; divisor: number } {
  if (reading === 'rgb') return { channels: 3, divisor: 255 };
  const groups = parseReading(reading);
  if (!groups)
    throw badInput(
      `Diff-ST image input "${reading}" is neither 'rgb' nor a feature reading (e.g. builtin:16).`,
    );
  return { channels: groups.reduce((s, g) => s + g.components, 0), divisor: 1 };
}

/** A reader of the slide as rasters at any pixel size, for the chosen image input. */
export async function slideReader(
  input: SrInput,
  reading: string,
  signal?: AbortSignal,
  progress?: ProgressFn,
): Promise<(pxSize: number) => Promise<SlideRaster>> {
  if (!input.image) throw badInput(`${input.sample} has no image: Diff-ST needs the H&E.`);
  const image = input.image;
  if (reading === 'rgb') return (pxSize) => readSlideRaster(image.path, input.umPerPx, pxSize);
  const { channels } = imageInputShape(reading);
  // Extracted once per image into the shared cache (as HISTEX outside a project), then only opened.
  const map = await cachedBuiltinFeatureMap({
    imagePath: image.path,
    umPerPx: input.umPerPx,
    ...(signal ? { signal } : {}),
    ...(progress ? { progress } : {}),
  });
  let plane: SuperpixelPlane;
  try {
    const derived = await derivedFeatureMap(
      reading,
      { map, imagePath: image.path, ...(signal ? { signal } : {}) },
      { scale: 1 },
    );
    plane = {
      rows: map.rows,
      cols: map.cols,
      dim: channels,
      k: map.fullResPerSuperpixel,
      data: derived.readAll(),
      mask: map.mask(),
    };
  } finally {
    map.close();
  }
  return (pxSize) => Promise.resolve(featureRaster(plane, pxSize, image.width, image.height));
}

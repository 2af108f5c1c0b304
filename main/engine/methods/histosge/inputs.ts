/**
 * HisToSGE's per-spot input (paper eq. 1–2): M = concat(Z, L, T) with Z the histology features of
 * a patch around the spot, L its normalised position and T the patch's mean RGB.
 *
 * Z: the patch is a physical square (55 µm by default, methods.md §12 row 12, not "50 px at native
 * resolution", which is 36 µm on DLPFC and 50 µm on HER2ST). With a superpixel map (the built-in
 * 66-channel extractor, or a foundation model's per-superpixel tokens) Z is the mean over the
 * superpixels whose centres fall inside the patch; the original runs UNI on the crop and keeps CLS.
 * T: mean RGB ÷ 255 over the patch, read from the slide at 2 µm/px. L: (x / width, y / height) of
 * the full-res image, so it stays in [0, 1] whatever the slide size (the paper feeds raw pixels).
 */
import { badInput, throwIfAborted } from '../../errors';
import { cachedBuiltinFeatureMap } from '../../features';
import type { ProgressFn } from '../../jobs/progress';
import { openSlide, readRegion, tissueMask, type TissueMask } from '../../slide';
import type { FeatureProvider, SuperpixelGrid } from '../types';

export interface SpotSource {
  /** histology channels per superpixel */
  dim: number;
  grid: SuperpixelGrid;
  /** (rows · cols · dim) row-major */
  data: Float32Array;
  /** where the features came from, for reports */
  extractor: string;
  image: { width: number; height: number; umPerPx: number };
  /** slide RGB at `rgbUmPerPx`: (h · w · 3) */
  rgb: { width: number; height: number; data: Uint8Array; fullResPerPx: number };
  mask: TissueMask;
}

export interface SourceOptions {
  image: { path: string; width: number; height: number };
  /** µm per full-res px */
  umPerPx: number;
  features?: FeatureProvider;
  /** where the built-in features are cached (default: a folder per image under the OS temp dir) */
  featureCacheDir?: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

/**
 * Features, RGB and tissue mask of one slide. Built-in features are extracted once per image into
 * the cache folder; extractFeatures resumes/skips a finished folder whose fingerprint matches.
 */
export async function openSpotSource(o: SourceOptions): Promise<SpotSource> {
  const progress = o.progress ?? (() => {});
  let grid: SuperpixelGrid;
  let data: Float32Array;
  let dim: number;
  let extractor: string;
  const provided = await o.features?.getSuperpixelFeatures?.(o.signal);
  if (provided) {
    ({ grid, data, dim } = provided);
    extractor = 'provided';
  } else {
    progress({ fraction: 0, message: 'built-in features (cached per image)' });
    const map = await cachedBuiltinFeatureMap({
      imagePath: o.image.path,
      umPerPx: o.umPerPx,
      ...(o.featureCacheDir ? { cacheDir: o.featureCacheDir } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    try {
      data = map.readAll();
      dim = map.dim;
      grid = { originX: 0, originY: 0, sizePx: map.fullResPerSuperpixel, width: map.cols, height: map.rows };
      extractor = `builtin-${map.dim}`;
    } finally {
      map.close();
    }
  }
  throwIfAborted(o.signal);
  const slide = await openSlide(o.image.path, { umPerPx: o.umPerPx });
  try {
    const region = await readRegion(slide, { x: 0, y: 0, w: slide.width, h: slide.height }, 2, o.signal);
    const mask = await tissueMask(slide, {}, o.signal);
    return {
      dim,
      grid,
      data,
      extractor,
      image: { width: o.image.width, height: o.image.height, umPerPx: o.umPerPx },
      rgb: {
        width: region.width,
        height: region.height,
        data: region.data,
        fullResPerPx: slide.width / region.width,
      },
      mask,
    };
  } finally {
    await slide.close();
  }
}

/** Is the full-res point (x, y) on tissue (the slide's tissue mask)? */
export function inTissue(s: SpotSource, x: number, y: number): boolean {
  const m = s.mask;
  const i = Math.floor(y / m.scaleY);
  const j = Math.floor(x / m.scaleX);
  if (i < 0 || j < 0 || i >= m.height || j >= m.width) return false;
  return m.data[i * m.width + j] === 1;
}

/** Width of M for a source: dim + 2 + 3 with the concatenation (paper), dim without (code). */
export function inputDim(s: SpotSource, concat: boolean): number {
  return s.dim + (concat ? 5 : 0);
}

/**
 * M for each point (row-major n × inputDim). `patchPx` is the patch side in full-res px. A patch so
 * small that no superpixel centre falls inside uses the superpixel under the spot centre.
 */
export function spotInputs(
  s: SpotSource,
  points: readonly { x: number; y: number }[],
  patchPx: number,
  concat: boolean,
): Float32Array {
  if (!(patchPx > 0)) throw badInput(`patch size must be positive, got ${patchPx}`);
  const D = inputDim(s, concat);
  const out = new Float32Array(points.length * D);
  const { grid, dim, data } = s;
  const half = patchPx / 2;
  const acc = new Float64Array(dim);
  points.forEach((p, k) => {
    acc.fill(0);
    let n = 0;
    // superpixel j's centre is origin + (j + ½)·size; keep centres within [x − half, x + half)
    const j0 = Math.max(0, Math.ceil((p.x - half - grid.originX) / grid.sizePx - 0.5));
    const j1 = Math.min(grid.width - 1, Math.ceil((p.x + half - grid.originX) / grid.sizePx - 0.5) - 1);
    const i0 = Math.max(0, Math.ceil((p.y - half - grid.originY) / grid.sizePx - 0.5));
    const i1 = Math.min(grid.height - 1, Math.ceil((p.y + half - grid.originY) / grid.sizePx - 0.5) - 1);
    const add = (i: number, j: number) => {
      const b = (i * grid.width + j) * dim;
      for (let c = 0; c < dim; c++) acc[c] = acc[c]! + data[b + c]!;
      n++;
    };
    for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) add(i, j);
    if (n === 0) {
      const i = Math.floor((p.y - grid.originY) / grid.sizePx);
      const j = Math.floor((p.x - grid.originX) / grid.sizePx);
      if (i >= 0 && j >= 0 && i < grid.height && j < grid.width) add(i, j);
    }
    const o = k * D;
    for (let c = 0; c < dim; c++) out[o + c] = n > 0 ? acc[c]! / n : 0;
    if (!concat) return;
    out[o + dim] = p.x / s.image.width;
    out[o + dim + 1] = p.y / s.image.height;
    const rgb = patchRgb(s, p.x, p.y, half);
    out[o + dim + 2] = rgb[0];
    out[o + dim + 3] = rgb[1];
    out[o + dim + 4] = rgb[2];
  });
  return out;
}

/** Mean RGB ÷ 255 of the slide pixels whose centres fall in the square patch. */
function patchRgb(s: SpotSource, x: number, y: number, half: number): [number, number, number] {
  const { width: W, height: H, data, fullResPerPx: f } = s.rgb;
  const c0 = Math.max(0, Math.ceil((x - half) / f - 0.5));
  const c1 = Math.min(W - 1, Math.ceil((x + half) / f - 0.5) - 1);
  const r0 = Math.max(0, Math.ceil((y - half) / f - 0.5));
  const r1 = Math.min(H - 1, Math.ceil((y + half) / f - 0.5) - 1);
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let i = r0; i <= r1; i++)
    for (let j = c0; j <= c1; j++) {
      const q = (i * W + j) * 3;
      r += data[q]!;
      g += data[q + 1]!;
      b += data[q + 2]!;
      n++;
    }
  if (n === 0) {
    const i = Math.min(H - 1, Math.max(0, Math.floor(y / f)));
    const j = Math.min(W - 1, Math.max(0, Math.floor(x / f)));
    const q = (i * W + j) * 3;
    return [data[q]! / 255, data[q + 1]! / 255, data[q + 2]! / 255];
  }
  return [r / n / 255, g / n / 255, b / n / 255];
}

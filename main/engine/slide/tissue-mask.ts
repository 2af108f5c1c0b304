import { EngineError } from '../errors';
import type { Slide } from './open';

export interface TissueMask {
  width: number;
  height: number;
  /** 1 = tissue, 0 = background, row-major */
  data: Uint8Array;
  /** full-res px per mask px along x and y */
  scaleX: number;
  scaleY: number;
  /** Otsu threshold on saturation (0–255) */
  threshold: number;
  /** fraction of mask pixels that are tissue */
  tissueFraction: number;
}

export interface TissueMaskOptions {
  /** longest side of the mask grid (default 1024) */
  maxSide?: number;
  /** closing radius in mask px (default 2) */
  closeRadius?: number;
  /** objects and holes smaller than this fraction of the grid are removed/filled (default 0.0005) */
  minObjectFraction?: number;
}

/** Otsu's threshold of a 256-bin histogram: the cut maximising between-class variance. */
export function otsu(hist: ArrayLike<number>): number {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    total += hist[i]!;
    sum += i * hist[i]!;
  }
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const v = wB * wF * (mB - mF) ** 2;
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best;
}

/**
 * Tissue vs glass on a coarse copy of the slide: H&E stains are saturated, glass and background
 * are white/grey, so Otsu on HSV saturation separates them without colour assumptions. Very dark
 * pixels (scanner borders, pen) have meaningless saturation and count as background. The binary
 * mask is closed (dilate then erode) to join nuclei-sparse tissue, then small specks are removed
 * and small holes filled.
 */
export async function tissueMask(
  slide: Slide,
  opts: TissueMaskOptions = {},
  signal?: AbortSignal,
): Promise<TissueMask> {
  const maxSide = opts.maxSide ?? 1024;
  const f = Math.max(1, Math.max(slide.width, slide.height) / maxSide);
  const w = Math.max(1, Math.round(slide.width / f));
  const h = Math.max(1, Math.round(slide.height / f));
  const img = await slide.read({ x: 0, y: 0, w: slide.width, h: slide.height }, w, h, signal);
  const sat = new Uint8Array(w * h);
  const hist = new Float64Array(256);
  for (let i = 0; i < w * h; i++) {
    const r = img.data[i * 3]!;
    const g = img.data[i * 3 + 1]!;
    const b = img.data[i * 3 + 2]!;
    const mx = Math.max(r, g, b);
    const mn = Math.min(r, g, b);
    const s = mx < 30 ? 0 : Math.round((255 * (mx - mn)) / mx);
    sat[i] = s;
    hist[s]!++;
  }
  const threshold = otsu(hist);
  let mask: Uint8Array = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) mask[i] = sat[i]! > threshold ? 1 : 0;
  const r = opts.closeRadius ?? 2;
  if (r > 0) mask = erode(dilate(mask, w, h, r), w, h, r);
  const minArea = Math.max(1, Math.round((opts.minObjectFraction ?? 0.0005) * w * h));
  removeSmall(mask, w, h, 1, minArea);
  removeSmall(mask, w, h, 0, minArea);
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  if (n === 0) {
    throw new EngineError(
      'BAD_INPUT',
      `No tissue found in ${slide.path} (saturation threshold ${threshold}).`,
      {
        hint: 'Check the image is a stained slide (H&E); fluorescence images need another mask.',
      },
    );
  }
  return {
    width: w,
    height: h,
    data: mask,
    scaleX: slide.width / w,
    scaleY: slide.height / h,
    threshold,
    tissueFraction: n / (w * h),
  };
}

/** Separable square dilation (max filter) of radius r. */
function dilate(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morph(m, w, h, r, 1);
}

function erode(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morph(m, w, h, r, 0);
}

function morph(m: Uint8Array, w: number, h: number, r: number, hit: 0 | 1): Uint8Array {
  const tmp = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  // Outside the grid counts as background for dilation and as tissue for erosion (no edge bite).
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 1 - hit;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) {
        if (m[y * w + k] === hit) {
          v = hit;
          break;
        }
      }
      tmp[y * w + x] = v;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 1 - hit;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) {
        if (tmp[k * w + x] === hit) {
          v = hit;
          break;
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

/** Flips connected components (4-connected) of `value` smaller than minArea. */
function removeSmall(m: Uint8Array, w: number, h: number, value: 0 | 1, minArea: number): void {
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const comp: number[] = [];
  for (let s = 0; s < w * h; s++) {
    if (seen[s] || m[s] !== value) continue;
    comp.length = 0;
    stack.push(s);
    seen[s] = 1;
    let touchesEdge = false;
    while (stack.length > 0) {
      const p = stack.pop()!;
      comp.push(p);
      const x = p % w;
      const y = (p - x) / w;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) touchesEdge = true;
      const nb = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
      for (const q of nb) {
        if (q >= 0 && !seen[q] && m[q] === value) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    // Background touching the border is the glass around the tissue, never a "hole".
    if (value === 0 && touchesEdge) continue;
    if (comp.length < minArea) for (const p of comp) m[p] = 1 - value;
  }
}

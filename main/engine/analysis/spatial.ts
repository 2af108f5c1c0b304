/**
 * Spatial post-processing for superpixel clustering, after iStar's cluster.py recipe that
 * methods.md §9.4 describes for HISTEX's "SR annotation": optional smoothing of the embedding image
 * before K-means, and relabelling of connected components smaller than a minimum size (20
 * superpixels) after it. Images are H×W (×C) row-major; mask 0 = outside tissue.
 */
import { badInput } from '../errors';
import { sortLabelsBySize } from './kmeans';

/** OpenCV BORDER_REFLECT (…cba|abcdef|fed…), the border cluster.py's filters use. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  for (;;) {
    if (i < 0) i = -i - 1;
    else if (i >= n) i = 2 * n - i - 1;
    else return i;
  }
}

/**
 * Smooths each channel of an H×W×C image. 'uniform' is a size×size box (anchor at ⌊size/2⌋ as
 * cv2.filter2D, so size 8 spans offsets −4…+3); 'gaussian' is what cluster.py's smoothen() does by
 * default: σ = size/4, window 2·⌈4σ⌉+1. Pixels outside the mask are left NaN and do not contribute:
 * the filter is a normalised convolution Σw·x·m / Σw·m, where iStar instead inpaints them (OpenCV
 * Navier–Stokes) before filtering — a heuristic with no exact counterpart here.
 */
export function smoothChannels(
  img: Float32Array | Float64Array,
  height: number,
  width: number,
  channels: number,
  mask: Uint8Array,
  options: { size?: number; kernel?: 'uniform' | 'gaussian' } = {},
): Float32Array {
  if (img.length !== height * width * channels) throw badInput('smoothChannels: image size mismatch');
  if (mask.length !== height * width) throw badInput('smoothChannels: mask size mismatch');
  const size = options.size ?? 8;
  let taps: number[];
  let first: number;
  if ((options.kernel ?? 'uniform') === 'uniform') {
    taps = new Array<number>(size).fill(1 / size);
    first = -Math.floor(size / 2);
  } else {
    const sigma = size / 4;
    const win = Math.ceil(sigma * 4) * 2 + 1;
    const c = (win - 1) / 2;
    taps = Array.from({ length: win }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
    const s = taps.reduce((a, b) => a + b, 0);
    taps = taps.map((t) => t / s);
    first = -c;
  }
  // Separable: rows then columns, carrying the mask weight alongside the values.
  const tmpV = new Float64Array(height * width * channels);
  const tmpW = new Float64Array(height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let w = 0;
      const o = (y * width + x) * channels;
      for (let t = 0; t < taps.length; t++) {
        const xx = reflect(x + first + t, width);
        const p = y * width + xx;
        if (!mask[p]) continue;
        w += taps[t]!;
        for (let c = 0; c < channels; c++) tmpV[o + c] = tmpV[o + c]! + taps[t]! * img[p * channels + c]!;
      }
      tmpW[y * width + x] = w;
    }
  const out = new Float32Array(height * width * channels).fill(NaN);
  const acc = new Float64Array(channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!mask[p]) continue;
      acc.fill(0);
      let w = 0;
      for (let t = 0; t < taps.length; t++) {
        const q = reflect(y + first + t, height) * width + x;
        w += taps[t]! * tmpW[q]!;
        for (let c = 0; c < channels; c++) acc[c] = acc[c]! + taps[t]! * tmpV[q * channels + c]!;
      }
      for (let c = 0; c < channels; c++) out[p * channels + c] = w > 0 ? acc[c]! / w : img[p * channels + c]!;
    }
  return out;
}

/** 4-connected components of equal labels (scipy.ndimage.label's default cross); −1 pixels are skipped. */
export function connectedComponents(
  labels: Int32Array,
  height: number,
  width: number,
): { comp: Int32Array; sizes: number[] } {
  const comp = new Int32Array(height * width).fill(-1);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let s = 0; s < labels.length; s++) {
    if (labels[s]! < 0 || comp[s]! >= 0) continue;
    const id = sizes.length;
    const lab = labels[s]!;
    let size = 0;
    comp[s] = id;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!;
      size++;
      const y = Math.floor(p / width);
      const x = p - y * width;
      const nb = [
        y > 0 ? p - width : -1,
        y < height - 1 ? p + width : -1,
        x > 0 ? p - 1 : -1,
        x < width - 1 ? p + 1 : -1,
      ];
      for (const q of nb)
        if (q >= 0 && comp[q]! < 0 && labels[q] === lab) {
          comp[q] = id;
          stack.push(q);
        }
    }
    sizes.push(size);
  }
  return { comp, sizes };
}

/**
 * iStar's relabel_small_connected: every 4-connected component smaller than minSize is given the most
 * frequent other label among the 8-neighbours of its pixels (counted with multiplicity, ties to the
 * smallest label; background and out-of-image neighbours ignored). Components are visited smallest
 * first, and a component absorbed into another small one travels with it. A component with no other
 * label around keeps its label. Finally labels are renumbered by size (0 = largest), which iStar
 * leaves to its caller.
 */
export function relabelSmallComponents(
  labels: Int32Array,
  height: number,
  width: number,
  minSize = 20,
): Int32Array {
  if (labels.length !== height * width) throw badInput('relabelSmallComponents: size mismatch');
  const out = Int32Array.from(labels);
  const { comp, sizes } = connectedComponents(out, height, width);
  // small component id per pixel (−1 = large or background), visit order by size ascending
  const smallIds = sizes.map((s, id) => ({ s, id })).filter((c) => c.s < minSize);
  smallIds.sort((a, b) => a.s - b.s || a.id - b.id);
  const small = new Int32Array(out.length).fill(-1);
  const rank = new Map<number, number>();
  smallIds.forEach((c, r) => rank.set(c.id, r));
  for (let p = 0; p < out.length; p++) {
    const r = comp[p]! >= 0 ? rank.get(comp[p]!) : undefined;
    if (r !== undefined) small[p] = r;
  }
  const pixelsOf: number[][] = smallIds.map(() => []);
  for (let p = 0; p < out.length; p++) if (small[p]! >= 0) pixelsOf[small[p]!]!.push(p);
  for (let r = 0; r < smallIds.length; r++) {
    const pix = pixelsOf[r]!.sort((a, b) => a - b);
    if (pix.length === 0) continue;
    const lab = out[pix[0]!]!;
    const freq = new Map<number, number>();
    const firstHit = new Map<number, number>();
    for (const p of pix) {
      const y = Math.floor(p / width);
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          if (dy === 0 && dx === 0) continue;
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          const la = out[q]!;
          if (la < 0 || la === lab) continue;
          freq.set(la, (freq.get(la) ?? 0) + 1);
          if (!firstHit.has(la)) firstHit.set(la, q);
        }
    }
    if (freq.size === 0) continue;
    let best = -1;
    let bestCount = -1;
    for (const [la, c] of [...freq.entries()].sort((a, b) => a[0] - b[0]))
      if (c > bestCount) {
        best = la;
        bestCount = c;
      }
    const target = small[firstHit.get(best)!]!;
    for (const p of pix) {
      out[p] = best;
      small[p] = target;
    }
    if (target > r) pixelsOf[target]!.push(...pix);
  }
  let k = 0;
  for (const l of out) if (l + 1 > k) k = l + 1;
  return sortLabelsBySize(out, k).labels;
}

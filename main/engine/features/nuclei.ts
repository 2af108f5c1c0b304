/**
 * Classical nucleus segmentation on the haematoxylin channel (no weights): colour deconvolution
 * (Ruifrok & Johnston, the built-in extractor's stain vectors) → threshold → exact Euclidean
 * distance transform → markers at the distance maxima → marker-controlled watershed on −distance
 * inside the foreground (splits touching nuclei) → one record per nucleus (area, centroid,
 * eccentricity from second moments, mean H).
 *
 * Pure functions on pixel arrays; the whole-slide pass that turns nuclei into per-superpixel
 * channels is nuclei-map.ts. Images are at 1 µm/px there, so an area in px is an area in µm².
 */
import { stainMatrices } from './builtin';

export interface Nucleus {
  /** pixels */
  area: number;
  /** centroid, px (pixel centres at i + 0.5) */
  x: number;
  y: number;
  /** 0 = circle, → 1 = elongated (the ellipse with the same second moments) */
  eccentricity: number;
  /** mean haematoxylin concentration over the nucleus */
  h: number;
}

export interface NucleusOptions {
  /** H above which a pixel is nuclear */
  threshold: number;
  /** components smaller than this (px) are noise */
  minArea?: number;
  /** components larger than this after splitting (px) are kept out (folds, dense clumps) */
  maxArea?: number;
  /** half-width of the window a distance maximum must dominate to seed a nucleus (px) */
  markerRadius?: number;
}

/** Haematoxylin concentration per pixel of interleaved 8-bit RGB: OD = −log10((I+1)/256), c = OD·M⁻¹. */
export function hematoxylin(rgb: Uint8Array, n: number): Float32Array {
  const inv = stainMatrices().inv;
  const lut = new Float64Array(256);
  for (let i = 0; i < 256; i++) lut[i] = -Math.log10((i + 1) / 256);
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const r = lut[rgb[p * 3]!]!;
    const g = lut[rgb[p * 3 + 1]!]!;
    const b = lut[rgb[p * 3 + 2]!]!;
    out[p] = r * inv[0]![0]! + g * inv[1]![0]! + b * inv[2]![0]!;
  }
  return out;
}

/** Otsu's threshold of the values where `use` is set (256 bins over [lo, hi]). */
export function otsuThreshold(v: Float32Array, use: (i: number) => boolean, lo = 0, hi = 2): number {
  const bins = 256;
  const hist = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < v.length; i++) {
    if (!use(i)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v[i]! - lo) / (hi - lo)) * bins)));
    hist[b]!++;
    total++;
  }
  if (total === 0) return (lo + hi) / 2;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * hist[b]!;
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let b = 0; b < bins; b++) {
    wB += hist[b]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += b * hist[b]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = b;
    }
  }
  return lo + ((best + 1) / bins) * (hi - lo);
}

/**
 * Squared Euclidean distance of every pixel to the nearest background pixel (0 on background):
 * Felzenszwalb & Huttenlocher's exact separable transform (lower envelope of parabolas).
 */
export function distanceTransform(fg: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e20;
  const d = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = fg[i] ? INF : 0;
  const n = Math.max(w, h);
  const f = new Float64Array(n);
  const out = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const pass1d = (len: number) => {
    let k = 0;
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    for (let q = 1; q < len; q++) {
      let s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      while (s <= z[k]!) {
        k--;
        s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = INF;
    }
    k = 0;
    for (let q = 0; q < len; q++) {
      while (z[k + 1]! < q) k++;
      out[q] = (q - v[k]!) ** 2 + f[v[k]!]!;
    }
  };
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = d[y * w + x]!;
    pass1d(h);
    for (let y = 0; y < h; y++) d[y * w + x] = out[y]!;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = d[y * w + x]!;
    pass1d(w);
    for (let x = 0; x < w; x++) d[y * w + x] = out[x]!;
  }
  return Float32Array.from(d);
}

/** Binary min-heap of pixel indices keyed by a float priority (smallest first, FIFO on ties). */
class PixelQueue {
  private keys: number[] = [];
  private ids: number[] = [];
  private order: number[] = [];
  private counter = 0;
  get size(): number {
    return this.ids.length;
  }
  push(id: number, key: number): void {
    this.keys.push(key);
    this.ids.push(id);
    this.order.push(this.counter++);
    let i = this.ids.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): number {
    const top = this.ids[0]!;
    const last = this.ids.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.ids.pop();
    this.order.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.ids.length && this.less(l, m)) m = l;
      if (r < this.ids.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    return (
      this.keys[a]! < this.keys[b]! || (this.keys[a] === this.keys[b] && this.order[a]! < this.order[b]!)
    );
  }
  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
    [this.order[a], this.order[b]] = [this.order[b]!, this.order[a]!];
  }
}

/**
 * Labels (0 = background, 1… = nucleus) of a foreground mask: markers are the pixels whose
 * distance to background is ≥ 1.5 and maximal within a (2r+1)² window (plateaus joined into one
 * marker), flooded in order of decreasing distance through 8-connected foreground; foreground
 * components without a marker become one label each.
 */
export function watershedNuclei(fg: Uint8Array, w: number, h: number, markerRadius = 4): Int32Array {
  const d2 = distanceTransform(fg, w, h);
  // a seed must be ≥ 1.5 px deep: the ridge of a thin elongated nucleus has many shallow maxima
  const minMarker = 2.25;
  const labels = new Int32Array(w * h);
  // markers: local maxima of the distance
  const isMax = new Uint8Array(w * h);
  const r = markerRadius;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = d2[i]!;
      if (v < minMarker) continue;
      let max = true;
      for (let dy = -r; dy <= r && max; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          if (d2[yy * w + xx]! > v) {
            max = false;
            break;
          }
        }
      }
      if (max) isMax[i] = 1;
    }
  }
  // join 8-connected maxima (plateaus) into one marker each
  const next = labelComponents(isMax, labels, w, h, 0);
  // flood from the markers, deepest pixels first
  const queue = new PixelQueue();
  const queued = new Uint8Array(w * h);
  const pushNeighbours = (p: number) => {
    const px = p % w;
    const py = (p - px) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (!dx && !dy) continue;
        const xx = px + dx;
        const yy = py + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const q = yy * w + xx;
        if (fg[q] && !labels[q] && !queued[q]) {
          queued[q] = 1;
          queue.push(q, -d2[q]!);
        }
      }
    }
  };
  for (let i = 0; i < w * h; i++) if (labels[i]) pushNeighbours(i);
  while (queue.size) {
    const p = queue.pop();
    const px = p % w;
    const py = (p - px) / w;
    // the label of the already-flooded neighbour nearest the marker (largest distance)
    let best = 0;
    let bestD = -1;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const xx = px + dx;
        const yy = py + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const q = yy * w + xx;
        if (labels[q] && d2[q]! > bestD) {
          bestD = d2[q]!;
          best = labels[q]!;
        }
      }
    }
    labels[p] = best;
    pushNeighbours(p);
  }
  // leftover foreground (components with no marker: thin specks)
  labelComponents(fg, labels, w, h, next);
  return labels;
}

/**
 * Gives each 8-connected component of unlabelled pixels with `include` set a new label, counting
 * on from `next`; returns the last label used.
 */
function labelComponents(
  include: Uint8Array,
  labels: Int32Array,
  w: number,
  h: number,
  next: number,
): number {
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (!include[i] || labels[i]) continue;
    labels[i] = ++next;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w;
      const py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = px + dx;
          const yy = py + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const q = yy * w + xx;
          if (include[q] && !labels[q]) {
            labels[q] = next;
            stack.push(q);
          }
        }
      }
    }
  }
  return next;
}

/** Area, centroid, eccentricity and mean H of every label. */
export function nucleusStats(labels: Int32Array, hImg: Float32Array, w: number): Nucleus[] {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  const n = new Float64Array(max + 1);
  const sx = new Float64Array(max + 1);
  const sy = new Float64Array(max + 1);
  const sxx = new Float64Array(max + 1);
  const syy = new Float64Array(max + 1);
  const sxy = new Float64Array(max + 1);
  const sh = new Float64Array(max + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!l) continue;
    const x = (i % w) + 0.5;
    const y = Math.floor(i / w) + 0.5;
    n[l]!++;
    sx[l]! += x;
    sy[l]! += y;
    sxx[l]! += x * x;
    syy[l]! += y * y;
    sxy[l]! += x * y;
    sh[l]! += hImg[i]!;
  }
  const out: Nucleus[] = [];
  for (let l = 1; l <= max; l++) {
    const a = n[l]!;
    if (!a) continue;
    const mx = sx[l]! / a;
    const my = sy[l]! / a;
    // central second moments (+1/12 per axis: a pixel is a unit square, not a point)
    const cxx = sxx[l]! / a - mx * mx + 1 / 12;
    const cyy = syy[l]! / a - my * my + 1 / 12;
    const cxy = sxy[l]! / a - mx * my;
    const tr = (cxx + cyy) / 2;
    const disc = Math.sqrt(Math.max(0, ((cxx - cyy) / 2) ** 2 + cxy * cxy));
    const l1 = tr + disc;
    const l2 = tr - disc;
    out.push({
      area: a,
      x: mx,
      y: my,
      eccentricity: l1 > 0 ? Math.sqrt(Math.max(0, 1 - l2 / l1)) : 0,
      h: sh[l]! / a,
    });
  }
  return out;
}

/** 3 × 3 mean with the window clipped at the image edge. */
export function boxMean3(v: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          s += v[yy * w + xx]!;
          n++;
        }
      out[y * w + x] = s / n;
    }
  }
  return out;
}

/** Nuclei of an RGB image region: H → threshold → watershed → stats, size-filtered. */
export function segmentNuclei(
  rgb: Uint8Array,
  w: number,
  h: number,
  o: NucleusOptions,
): { nuclei: Nucleus[]; labels: Int32Array; hImg: Float32Array } {
  const hImg = hematoxylin(rgb, w * h);
  // threshold a 3 × 3 mean: single-pixel chromatin gaps would otherwise break pale nuclei apart
  const smooth = boxMean3(hImg, w, h);
  const fg = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) fg[i] = smooth[i]! > o.threshold ? 1 : 0;
  const labels = watershedNuclei(fg, w, h, o.markerRadius ?? 4);
  const minArea = o.minArea ?? 8;
  const maxArea = o.maxArea ?? 400;
  const nuclei = nucleusStats(labels, hImg, w).filter((n) => n.area >= minArea && n.area <= maxArea);
  return { nuclei, labels, hImg };
}

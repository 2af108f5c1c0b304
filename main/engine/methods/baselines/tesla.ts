/**
 * TESLA's training-free imputation (methods.md §7, jianhuupenn/TESLA imputation.py), on the
 * standard 8 µm superpixel grid:
 *   1. tissue region: the convex hull of the spot centres (TESLA's "scan the spot rows" outline),
 *      enlarged 1.05× about its centroid; superpixels whose centres lie inside it are predicted;
 *   2. colour z: superpixels = mean RGB of the superpixel (TESLA's window is its res×res cell),
 *      channels combined with weights equal to each channel's variance over the superpixels; spots =
 *      plain grey mean of the cell under each member centre (RGB=False), averaged over members;
 *      each set z-scored separately, then × z_scale = max(std x_sup, std y_sup)·s (s = 1);
 *   3. 3-D Euclidean distance (x, y, z) from every superpixel to every spot;
 *      threshold = quantile(all distances, num_nbs / N_spots) (numpy's linear quantile);
 *   4. the num_nbs (10) nearest spots within the threshold, d' = (d + 0.1) / min(d + 0.1),
 *      w ∝ d'^(−k), k = 2, normalised; superpixels with no neighbour get 0;
 *   5. value = Σ w · log1p(spot expression) (the tutorial's space), mapped back with expm1 when the
 *      run is in count space so the output is in the input's value space.
 * Counts of pseudo-spots are divided by their member count first (an original spot's worth).
 * The threshold quantile is exact up to 2·10⁷ distances; above that it is taken over a seeded
 * sample of superpixels (the quantile of a sample of rows), which keeps memory bounded on Visium.
 */
import { throwIfAborted } from '../../errors';
import { Rng } from '../../analysis/random';
import { openSlide } from '../../slide/index';
import type { SrInput, SrMethod, SuperpixelGrid, SuperpixelOutput } from '../types';
import { standardGrid } from '../types';

export interface TeslaOptions {
  numNbs?: number;
  k?: number;
  s?: number;
  /** hull enlargement about the centroid (TESLA: 1.05) */
  enlarge?: number;
  superpixelUm?: number;
}

/** Andrew's monotone chain; returns the hull counter-clockwise without repeating the first point. */
export function convexHull(points: readonly { x: number; y: number }[]): { x: number; y: number }[] {
  const p = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (p.length < 3) return p;
  const cross = (
    o: { x: number; y: number },
    a: { x: number; y: number },
    b: { x: number; y: number },
  ): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: { x: number; y: number }[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0)
      lower.pop();
    lower.push(q);
  }
  const upper: { x: number; y: number }[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0)
      upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** Point in a convex counter-clockwise polygon (boundary counts as inside). */
function insideConvex(h: readonly { x: number; y: number }[], x: number, y: number): boolean {
  for (let i = 0; i < h.length; i++) {
    const a = h[i]!;
    const b = h[(i + 1) % h.length]!;
    if ((b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x) < 0) return false;
  }
  return true;
}

/** k-th smallest value (0-based) of v, by Hoare's quickselect; reorders v in place. */
export function selectKth(v: Float64Array, k: number): number {
  let lo = 0;
  let hi = v.length - 1;
  while (hi > lo) {
    // median-of-three pivot keeps sorted / constant inputs from going quadratic
    const mid = (lo + hi) >> 1;
    const a = v[lo]!;
    const b = v[mid]!;
    const c = v[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i]! < pivot) i++;
      while (v[j]! > pivot) j--;
      if (i <= j) {
        const t = v[i]!;
        v[i] = v[j]!;
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k]!;
  }
  return v[k]!;
}

/** numpy.quantile(v, q) with the default linear interpolation. Reorders `v` in place. */
export function quantileLinear(v: Float64Array, q: number): number {
  const pos = Math.min(1, Math.max(0, q)) * (v.length - 1);
  const lo = Math.floor(pos);
  const a = selectKth(v, lo);
  if (pos === lo || lo + 1 >= v.length) return a;
  // the next order statistic is the minimum of what quickselect left above position lo
  let b = Infinity;
  for (let i = lo + 1; i < v.length; i++) if (v[i]! < b) b = v[i]!;
  return a + (pos - lo) * (b - a);
}

function meanStd(v: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i]!;
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  // numpy's np.std (ddof = 0), as TESLA calls it
  return { mean: m, std: Math.sqrt(s / v.length) };
}

/**
 * The pure core: superpixel centres + colours, spot centres + grey values, spot expression (log
 * space) → per-superpixel weighted average. Exposed for tests.
 */
export function teslaImpute(
  sup: { x: Float64Array; y: Float64Array; z: Float64Array },
  spots: { x: Float64Array; y: Float64Array; z: Float64Array },
  expr: { nCols: number; data: Float64Array },
  options: { numNbs?: number; k?: number; seed?: number } = {},
): Float64Array {
  const numNbs = options.numNbs ?? 10;
  const k = options.k ?? 2;
  const nS = sup.x.length;
  const nP = spots.x.length;
  const g = expr.nCols;
  const dist = (i: number, p: number): number =>
    Math.sqrt(
      (sup.x[i]! - spots.x[p]!) ** 2 + (sup.y[i]! - spots.y[p]!) ** 2 + (sup.z[i]! - spots.z[p]!) ** 2,
    );
  // threshold over all distances (or a seeded sample of superpixel rows when that is too many)
  const maxRows = Math.max(1, Math.floor(2e7 / Math.max(1, nP)));
  let rows: ArrayLike<number>;
  if (nS <= maxRows) rows = { length: nS } as ArrayLike<number>;
  else rows = new Rng(options.seed ?? 0).permutation(nS).subarray(0, maxRows);
  const sampled = nS > maxRows;
  const all = new Float64Array(rows.length * nP);
  for (let r = 0; r < rows.length; r++) {
    const i = sampled ? rows[r]! : r;
    for (let p = 0; p < nP; p++) all[r * nP + p] = dist(i, p);
  }
  const threshold = quantileLinear(all, numNbs / nP);
  const out = new Float64Array(nS * g);
  // the numNbs nearest spots within the threshold, kept sorted by (distance, index) in a small buffer
  const nbD = new Float64Array(numNbs);
  const nbP = new Int32Array(numNbs);
  for (let i = 0; i < nS; i++) {
    let m = 0;
    for (let p = 0; p < nP; p++) {
      const d = dist(i, p);
      if (d > threshold) continue;
      if (m === numNbs && d >= nbD[m - 1]!) continue;
      let t = m < numNbs ? m++ : m - 1;
      while (t > 0 && nbD[t - 1]! > d) {
        nbD[t] = nbD[t - 1]!;
        nbP[t] = nbP[t - 1]!;
        t--;
      }
      nbD[t] = d;
      nbP[t] = p;
    }
    if (m === 0) continue; // no neighbour: 0, as TESLA
    const dmin = nbD[0]! + 0.1;
    let wsum = 0;
    for (let t = 0; t < m; t++) wsum += ((nbD[t]! + 0.1) / dmin) ** -k;
    for (let t = 0; t < m; t++) {
      const f = ((nbD[t]! + 0.1) / dmin) ** -k / wsum;
      const p = nbP[t]!;
      for (let j = 0; j < g; j++) out[i * g + j] = out[i * g + j]! + f * expr.data[p * g + j]!;
    }
  }
  return out;
}

export const teslaMethod: SrMethod = {
  name: 'tesla',
  kind: 'superpixel',
  description:
    'TESLA: colour + position weighted average of the 10 nearest spots per 8 µm superpixel (no training)',
  needsImage: true,
  async predict(input: SrInput, options, progress, signal) {
    const o = options as TeslaOptions & { seed: number };
    if (!input.image) throw new Error('tesla needs the H&E image.');
    const full = standardGrid(input.umPerPx, input.image, o.superpixelUm ?? 8);
    const centres = [...input.spots.flatMap((s) => s.members), ...input.targets];
    const hull0 = convexHull(centres);
    const cx = hull0.reduce((s, p) => s + p.x, 0) / hull0.length;
    const cy = hull0.reduce((s, p) => s + p.y, 0) / hull0.length;
    const f = o.enlarge ?? 1.05;
    const hull = hull0.map((p) => ({ x: cx + f * (p.x - cx), y: cy + f * (p.y - cy) }));
    const size = full.sizePx;
    const j0 = Math.max(0, Math.floor(Math.min(...hull.map((p) => p.x)) / size));
    const j1 = Math.min(full.width - 1, Math.floor(Math.max(...hull.map((p) => p.x)) / size));
    const i0 = Math.max(0, Math.floor(Math.min(...hull.map((p) => p.y)) / size));
    const i1 = Math.min(full.height - 1, Math.floor(Math.max(...hull.map((p) => p.y)) / size));
    const grid: SuperpixelGrid = {
      originX: j0 * size,
      originY: i0 * size,
      sizePx: size,
      width: j1 - j0 + 1,
      height: i1 - i0 + 1,
    };
    const slide = await openSlide(input.image.path, { umPerPx: input.umPerPx });
    let rgb: Uint8Array;
    try {
      // One output pixel per superpixel: the area average of the superpixel = its mean RGB.
      const img = await slide.read(
        { x: grid.originX, y: grid.originY, w: grid.width * size, h: grid.height * size },
        grid.width,
        grid.height,
        signal,
      );
      rgb = img.data;
    } finally {
      await slide.close();
    }
    progress({ fraction: 0.3, message: 'colour read' });
    throwIfAborted(signal);
    // superpixels inside the enlarged hull
    const inside: number[] = [];
    for (let i = 0; i < grid.height; i++)
      for (let j = 0; j < grid.width; j++) {
        const x = grid.originX + (j + 0.5) * size;
        const y = grid.originY + (i + 0.5) * size;
        if (insideConvex(hull, x, y)) inside.push(i * grid.width + j);
      }
    const nS = inside.length;
    const ch = [0, 1, 2].map((c) => Float64Array.from(inside, (q) => rgb[q * 3 + c]!));
    const vars = ch.map((v) => meanStd(v).std ** 2);
    const vsum = vars[0]! + vars[1]! + vars[2]!;
    const supZ = Float64Array.from({ length: nS }, (_, t) =>
      vsum > 0 ? (ch[0]![t]! * vars[0]! + ch[1]![t]! * vars[1]! + ch[2]![t]! * vars[2]!) / vsum : 0,
    );
    const supX = Float64Array.from(inside, (q) => grid.originX + ((q % grid.width) + 0.5) * size);
    const supY = Float64Array.from(inside, (q) => grid.originY + (Math.floor(q / grid.width) + 0.5) * size);
    const greyAt = (x: number, y: number): number => {
      const j = Math.min(grid.width - 1, Math.max(0, Math.floor((x - grid.originX) / size)));
      const i = Math.min(grid.height - 1, Math.max(0, Math.floor((y - grid.originY) / size)));
      const q = (i * grid.width + j) * 3;
      return (rgb[q]! + rgb[q + 1]! + rgb[q + 2]!) / 3;
    };
    const nP = input.spots.length;
    const spotZ = Float64Array.from(input.spots, (s) => {
      let acc = 0;
      for (const m of s.members) acc += greyAt(m.x, m.y);
      return acc / Math.max(1, s.members.length);
    });
    const zs = meanStd(supZ);
    const zp = meanStd(spotZ);
    const zScale = Math.max(meanStd(supX).std, meanStd(supY).std) * (o.s ?? 1);
    for (let t = 0; t < nS; t++) supZ[t] = zs.std > 0 ? ((supZ[t]! - zs.mean) / zs.std) * zScale : 0;
    for (let p = 0; p < nP; p++) spotZ[p] = zp.std > 0 ? ((spotZ[p]! - zp.mean) / zp.std) * zScale : 0;
    const g = input.values.nCols;
    const counts = input.space === 'counts';
    const expr = new Float64Array(nP * g);
    for (let p = 0; p < nP; p++) {
      const m = counts ? Math.max(1, input.spots[p]!.members.length) : 1;
      for (let j = 0; j < g; j++) {
        const v = input.values.data[p * g + j]! / m;
        expr[p * g + j] = counts ? Math.log1p(v) : v;
      }
    }
    const imp = teslaImpute(
      { x: supX, y: supY, z: supZ },
      {
        x: Float64Array.from(input.spots, (s) => s.x),
        y: Float64Array.from(input.spots, (s) => s.y),
        z: spotZ,
      },
      { nCols: g, data: expr },
      { numNbs: o.numNbs ?? 10, k: o.k ?? 2, seed: o.seed },
    );
    progress({ fraction: 0.95 });
    const values = new Float32Array(grid.width * grid.height * g);
    const present = new Uint8Array(grid.width * grid.height);
    inside.forEach((q, t) => {
      present[q] = 1;
      for (let j = 0; j < g; j++) {
        const v = imp[t * g + j]!;
        values[q * g + j] = counts ? Math.expm1(v) : v;
      }
    });
    const out: SuperpixelOutput = { kind: 'superpixel', grid, nGenes: g, values, present };
    progress({ fraction: 1 });
    return out;
  },
};

/**
 * Spot maps as rasters, the 2× coarsening that makes Diff-ST's training pairs from the sample
 * itself, per-patch per-gene min-max, the gene co-expression adjacency and the calibration of a
 * sampled 2× map to its parent spots. Pure functions; unit-tested against hand-checked values.
 *
 * A raster has one pixel per lattice node: pixel (i, j) is centred at (originX + j·pitch,
 * originY + i·pitch) full-res px, and holds that spot's value per member (a pseudo-spot's sum
 * divided by its member count). The 2× coarsening with parity (py, px) groups HR pixels
 * {2I − py, 2I − py + 1} × {2J − px, 2J − px + 1} into LR pixel (I, J) (mean over the measured
 * children); the inverse geometry (one LR pixel → 2×2 children at ±pitch/4) is what inference uses.
 */

import { leastSquares } from '../../analysis/lattice';

export interface SpotRaster {
  width: number;
  height: number;
  genes: number;
  /** full-res px between neighbouring pixel centres (√|det| of the affine) */
  pitch: number;
  /** pixel (i, j) is centred at x = ox + j·xj + i·xi, y = oy + j·yj + i·yi (full-res px) */
  affine: Affine;
  /** (i·width + j)·genes + g */
  values: Float32Array;
  /** 1 where a spot was measured */
  present: Uint8Array;
  /** pixel index (i·width + j) of each input spot, when the raster was built from spots */
  spotPixel?: Int32Array;
}

export interface Affine {
  ox: number;
  xj: number;
  xi: number;
  oy: number;
  yj: number;
  yi: number;
}

export function affinePitch(f: Affine): number {
  return Math.sqrt(Math.abs(f.xj * f.yi - f.xi * f.yj));
}

/** Pixel (i, j) → full-res px. */
export function pixelCentre(f: Affine, i: number, j: number): { x: number; y: number } {
  return { x: f.ox + j * f.xj + i * f.xi, y: f.oy + j * f.yj + i * f.yi };
}

/** Full-res px → fractional pixel (i, j). */
export function pixelAt(f: Affine, x: number, y: number): { i: number; j: number } {
  const det = f.xj * f.yi - f.xi * f.yj;
  const dx = x - f.ox;
  const dy = y - f.oy;
  return { j: (dx * f.yi - dy * f.xi) / det, i: (f.xj * dy - f.yj * dx) / det };
}

/** Least-squares x = c0 + c1·u + c2·v (for the lattice → px affine). */
function fitPlane(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  z: ArrayLike<number>,
): [number, number, number] {
  const c = leastSquares(
    Array.from({ length: z.length }, (_, k) => [1, u[k]!, v[k]!]),
    Array.from(z),
  );
  if (!c) throw new RangeError('spot positions do not span a 2-D lattice');
  return [c[0]!, c[1]!, c[2]!];
}

/** Pixel means of the spots landing on each pixel, and which pixels got one. */
function averageIntoPixels(
  spotPixel: Int32Array,
  values: ArrayLike<number>,
  genes: number,
  pixels: number,
): { values: Float32Array; present: Uint8Array } {
  const sum = new Float64Array(pixels * genes);
  const count = new Uint16Array(pixels);
  for (let s = 0; s < spotPixel.length; s++) {
    const q = spotPixel[s]!;
    count[q]!++;
    for (let g = 0; g < genes; g++) sum[q * genes + g] = sum[q * genes + g]! + values[s * genes + g]!;
  }
  const out = new Float32Array(pixels * genes);
  const present = new Uint8Array(pixels);
  for (let q = 0; q < pixels; q++) {
    if (!count[q]) continue;
    present[q] = 1;
    for (let g = 0; g < genes; g++) out[q * genes + g] = sum[q * genes + g]! / count[q]!;
  }
  return { values: out, present };
}

/**
 * Spots with integer lattice coordinates (a = column, b = row; axial for hexagonal lattices) onto a
 * raster: pixel (b − min b, a − min a). The lattice → px map is fitted by least squares, so a
 * rotated or sheared lattice is placed correctly. `values` is spots × genes, already per member.
 */
export function rasteriseLattice(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  values: ArrayLike<number>,
  genes: number,
): SpotRaster {
  const n = a.length;
  let minA = Infinity;
  let minB = Infinity;
  let maxA = -Infinity;
  let maxB = -Infinity;
  for (let s = 0; s < n; s++) {
    minA = Math.min(minA, Math.round(a[s]!));
    minB = Math.min(minB, Math.round(b[s]!));
    maxA = Math.max(maxA, Math.round(a[s]!));
    maxB = Math.max(maxB, Math.round(b[s]!));
  }
  const width = maxA - minA + 1;
  const height = maxB - minB + 1;
  const js = new Float64Array(n);
  const is = new Float64Array(n);
  const spotPixel = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    js[s] = Math.round(a[s]!) - minA;
    is[s] = Math.round(b[s]!) - minB;
    spotPixel[s] = is[s]! * width + js[s]!;
  }
  const { values: out, present } = averageIntoPixels(spotPixel, values, genes, width * height);
  const [ox, xj, xi] = fitPlane(js, is, xs);
  const [oy, yj, yi] = fitPlane(js, is, ys);
  const affine = { ox, xj, xi, oy, yj, yi };
  return { width, height, genes, pitch: affinePitch(affine), affine, values: out, present, spotPixel };
}

/** Median distance from each point to its nearest neighbour (the lattice pitch). */
export function medianNearestDistance(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) throw new RangeError('need at least two spots to find the lattice pitch');
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const e = (xs[i]! - xs[j]!) ** 2 + (ys[i]! - ys[j]!) ** 2;
      if (e < best) best = e;
    }
    d[i] = Math.sqrt(best);
  }
  d.sort();
  return n % 2 ? d[(n - 1) / 2]! : (d[n / 2 - 1]! + d[n / 2]!) / 2;
}

/**
 * Spots onto a square raster of the given pitch (axis-aligned; the nearest pixel; spots landing on
 * the same pixel are averaged). `values` is spots × genes, already per member.
 */
export function rasteriseSpots(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  values: ArrayLike<number>,
  genes: number,
  pitch: number,
): SpotRaster {
  const n = xs.length;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let s = 0; s < n; s++) {
    minX = Math.min(minX, xs[s]!);
    minY = Math.min(minY, ys[s]!);
    maxX = Math.max(maxX, xs[s]!);
    maxY = Math.max(maxY, ys[s]!);
  }
  const width = Math.round((maxX - minX) / pitch) + 1;
  const height = Math.round((maxY - minY) / pitch) + 1;
  const spotPixel = new Int32Array(n);
  for (let s = 0; s < n; s++)
    spotPixel[s] = Math.round((ys[s]! - minY) / pitch) * width + Math.round((xs[s]! - minX) / pitch);
  const { values: out, present } = averageIntoPixels(spotPixel, values, genes, width * height);
  const affine = { ox: minX, xj: pitch, xi: 0, oy: minY, yj: 0, yi: pitch };
  return { width, height, genes, pitch, affine, values: out, present, spotPixel };
}

/** The 2× coarsening with parity (py, px): LR pixel = mean of its measured HR children. */
export function coarsen2(r: SpotRaster, py: 0 | 1, px: 0 | 1): SpotRaster {
  const width = Math.floor((r.width + px + 1) / 2);
  const height = Math.floor((r.height + py + 1) / 2);
  const G = r.genes;
  const values = new Float32Array(width * height * G);
  const present = new Uint8Array(width * height);
  for (let I = 0; I < height; I++)
    for (let J = 0; J < width; J++) {
      let n = 0;
      const q = I * width + J;
      for (let di = 0; di < 2; di++)
        for (let dj = 0; dj < 2; dj++) {
          const i = 2 * I - py + di;
          const j = 2 * J - px + dj;
          if (i < 0 || j < 0 || i >= r.height || j >= r.width) continue;
          const c = i * r.width + j;
          if (!r.present[c]) continue;
          n++;
          for (let g = 0; g < G; g++) values[q * G + g] = values[q * G + g]! + r.values[c * G + g]!;
        }
      if (n === 0) continue;
      present[q] = 1;
      for (let g = 0; g < G; g++) values[q * G + g] = values[q * G + g]! / n;
    }
  return {
    width,
    height,
    genes: G,
    pitch: 2 * r.pitch,
    // LR pixel (0,0) is the centre of HR pixels (−py, −px) and (1 − py, 1 − px).
    affine: {
      ox: r.affine.ox + (0.5 - px) * r.affine.xj + (0.5 - py) * r.affine.xi,
      xj: 2 * r.affine.xj,
      xi: 2 * r.affine.xi,
      oy: r.affine.oy + (0.5 - px) * r.affine.yj + (0.5 - py) * r.affine.yi,
      yj: 2 * r.affine.yj,
      yi: 2 * r.affine.yi,
    },
    values,
    present,
  };
}

/** Per-gene min and max over the present pixels of an L×L window at (i0, j0) (outside = absent). */
export function windowMinMax(
  r: SpotRaster,
  i0: number,
  j0: number,
  size: number,
): { min: Float32Array; max: Float32Array; any: boolean } {
  const G = r.genes;
  const min = new Float32Array(G).fill(Infinity);
  const max = new Float32Array(G).fill(-Infinity);
  let any = false;
  for (let i = i0; i < i0 + size; i++)
    for (let j = j0; j < j0 + size; j++) {
      if (i < 0 || j < 0 || i >= r.height || j >= r.width) continue;
      const q = i * r.width + j;
      if (!r.present[q]) continue;
      any = true;
      for (let g = 0; g < G; g++) {
        const v = r.values[q * G + g]!;
        if (v < min[g]!) min[g] = v;
        if (v > max[g]!) max[g] = v;
      }
    }
  if (!any) {
    min.fill(0);
    max.fill(0);
  }
  return { min, max, any };
}

/**
 * The L×L window at (i0, j0) of r, min-max normalised per gene with the window's `mm`
 * (gene-major G×L×L; 0 where unmeasured), and its mask of measured pixels. Training windows hang
 * over the raster's edges: a pixel outside is absent, never the neighbouring row's pixel that its
 * flat index would reach.
 */
export function normalisedWindow(
  r: SpotRaster,
  i0: number,
  j0: number,
  L: number,
  mm: { min: Float32Array; max: Float32Array },
): { lr: Float32Array; present: Uint8Array } {
  const G = r.genes;
  const lr = new Float32Array(G * L * L);
  const present = new Uint8Array(L * L);
  for (let a = 0; a < L; a++)
    for (let b = 0; b < L; b++) {
      const i = i0 + a;
      const j = j0 + b;
      if (i < 0 || j < 0 || i >= r.height || j >= r.width || !r.present[i * r.width + j]) continue;
      const q = i * r.width + j;
      present[a * L + b] = 1;
      for (let g = 0; g < G; g++)
        lr[g * L * L + a * L + b] = minMax(r.values[q * G + g]!, mm.min[g]!, mm.max[g]!);
    }
  return { lr, present };
}

/**
 * Min-max of v with the patch's (min, max); a gene constant over the patch (e.g. all zero) maps
 * to 0 instead of being divided by 0 (the released code skips all-zero maps).
 */
export function minMax(v: number, min: number, max: number): number {
  const range = max - min;
  return range > 1e-12 ? (v - min) / range : v - min;
}

/** The inverse of minMax for the same (min, max). */
export function unMinMax(x: number, min: number, max: number): number {
  const range = max - min;
  return range > 1e-12 ? min + x * range : min + x;
}

/**
 * Gene co-expression adjacency of the released code: R_ij = S_i / S_j with S the genes' total
 * expression, A = max(R, Rᵀ) elementwise (so A_ij = max(S_i, S_j) / min(S_i, S_j) ≥ 1), then
 * row-normalised (our addition, docs/diffst.md: raw ratios reach 10³ between HVGs and would
 * swamp the LR features). Genes with S = 0 get only their self-loop.
 */
export function coexpressionAdjacency(totals: ArrayLike<number>): Float32Array {
  const G = totals.length;
  const a = new Float32Array(G * G);
  for (let i = 0; i < G; i++) {
    let rowSum = 0;
    for (let j = 0; j < G; j++) {
      const si = totals[i]!;
      const sj = totals[j]!;
      const v = i === j ? 1 : si > 0 && sj > 0 ? Math.max(si / sj, sj / si) : 0;
      a[i * G + j] = v;
      rowSum += v;
    }
    for (let j = 0; j < G; j++) a[i * G + j] = a[i * G + j]! / rowSum;
  }
  return a;
}

/**
 * Makes a 2× map agree with its parents: within each measured LR pixel, the measured children
 * are shifted (per gene) so their mean equals the parent, keeping the sampled pattern (with
 * `nonNegative`, negative children are then clamped to 0 and the rest scaled back to the mean). `hr` is
 * (2h × 2w × G) for an LR raster of h × w; children of (I, J) are (2I + a, 2J + b).
 */
export function calibrateToParents(
  hr: Float32Array,
  lr: SpotRaster,
  childPresent?: Uint8Array,
  nonNegative = false,
): void {
  const G = lr.genes;
  const W2 = 2 * lr.width;
  for (let I = 0; I < lr.height; I++)
    for (let J = 0; J < lr.width; J++) {
      const p = I * lr.width + J;
      if (!lr.present[p]) continue;
      const kids: number[] = [];
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) {
          const c = (2 * I + a) * W2 + 2 * J + b;
          if (!childPresent || childPresent[c]) kids.push(c);
        }
      if (kids.length === 0) continue;
      for (let g = 0; g < G; g++) {
        let m = 0;
        for (const c of kids) m += hr[c * G + g]!;
        const parent = lr.values[p * G + g]!;
        const shift = parent - m / kids.length;
        for (const c of kids) hr[c * G + g] = hr[c * G + g]! + shift;
        if (!nonNegative) continue;
        // Counts cannot be negative: clamp, then scale the rest so the mean is the parent's again
        // (parent ≥ 0, so this keeps every child ≥ 0 and the constraint exact).
        let pos = 0;
        for (const c of kids) pos += Math.max(0, hr[c * G + g]!);
        const f = pos > 0 ? (parent * kids.length) / pos : 0;
        for (const c of kids) hr[c * G + g] = pos > 0 ? Math.max(0, hr[c * G + g]!) * f : parent;
      }
    }
}

/** The affine of the 2× raster of `f`: child (2I + a, 2J + b) sits at parent coordinates (I + (a − ½)/2, J + (b − ½)/2). */
export function childAffine(f: Affine): Affine {
  return {
    ox: f.ox - f.xj / 4 - f.xi / 4,
    xj: f.xj / 2,
    xi: f.xi / 2,
    oy: f.oy - f.yj / 4 - f.yi / 4,
    yj: f.yj / 2,
    yi: f.yi / 2,
  };
}

/** The 8 symmetries of the square acting on (i, j) in an n×n patch. */
export function dihedral(k: number, i: number, j: number, n: number): [number, number] {
  let a = i;
  let b = j;
  if (k & 4) [a, b] = [b, a];
  if (k & 1) a = n - 1 - a;
  if (k & 2) b = n - 1 - b;
  return [a, b];
}

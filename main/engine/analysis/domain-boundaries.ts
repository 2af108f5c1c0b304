/**
 * How well the borders of superpixel domains follow the tissue rather than the spot lattice
 * (issue #15, docs/domains.md). Everything is on the superpixel grid (rows × cols, row-major);
 * a border is the set of 4-neighbour edges between two labelled superpixels of different labels.
 *
 * - latticeFraction: the share of border edges that are also edges between two spots' lattice
 *   cells (each superpixel belongs to its nearest spot's cell). A checkerboard at the spot pitch
 *   has all its border there; a border drawn by the tissue has about the chance share
 *   (`latticeChance`: lattice edges ÷ all edges), ~2/pitch.
 * - boundaryGradient vs shiftedGradient: the mean image contrast across the border edges (|Δ grey|
 *   between the superpixel bands either side) against the same edges translated by half a spot
 *   pitch in each of the four axis directions. A border that follows the image sits on contrast;
 *   its shifted copy does not, so the ratio is > 1; a border unrelated to the image gives ≈ 1.
 */
import { badInput } from '../errors';

export interface BoundaryMeasure {
  /** number of 4-neighbour edges between differently labelled superpixels */
  boundaryEdges: number;
  /** share of those edges that separate two spot-lattice cells */
  latticeFraction: number;
  /** share of all labelled 4-neighbour edges that separate two lattice cells (chance level) */
  latticeChance: number;
  /** mean |Δ grey| across the border edges */
  boundaryGradient: number;
  /** mean |Δ grey| across the border edges shifted by ±shift along rows and columns */
  shiftedGradient: number;
  /** boundaryGradient ÷ shiftedGradient */
  gradientRatio: number;
}

export interface BoundaryInputs {
  rows: number;
  cols: number;
  /** per superpixel, the domain; < 0 = not labelled (outside tissue) */
  labels: Int32Array;
  /** per superpixel, its spot-lattice cell (latticeCells); < 0 = none */
  cells: Int32Array;
  /** per superpixel, image intensity (e.g. grey of the mean RGB); NaN = unknown */
  grey: Float32Array | Float64Array;
  /** translation in superpixels for the control (half the spot pitch) */
  shift: number;
  /** superpixels averaged on each side of an edge, along its normal (default 2) */
  band?: number;
}

/**
 * Mean intensity of `band` superpixels starting at (r, c) and stepping (dr, dc); NaN if any is
 * outside the grid or unknown.
 */
function bandMean(
  grey: ArrayLike<number>,
  rows: number,
  cols: number,
  r: number,
  c: number,
  dr: number,
  dc: number,
  band: number,
): number {
  let s = 0;
  for (let i = 0; i < band; i++) {
    const rr = r + dr * i;
    const cc = c + dc * i;
    if (rr < 0 || cc < 0 || rr >= rows || cc >= cols) return NaN;
    const v = grey[rr * cols + cc]!;
    if (!Number.isFinite(v)) return NaN;
    s += v;
  }
  return s / band;
}

/** |Δ grey| across the edge between (r, c) and its neighbour at (r + dr, c + dc). */
function edgeContrast(
  grey: ArrayLike<number>,
  rows: number,
  cols: number,
  r: number,
  c: number,
  dr: number,
  dc: number,
  band: number,
): number {
  const a = bandMean(grey, rows, cols, r, c, -dr, -dc, band);
  const b = bandMean(grey, rows, cols, r + dr, c + dc, dr, dc, band);
  return Math.abs(a - b);
}

export function measureBoundaries(inp: BoundaryInputs): BoundaryMeasure {
  const { rows, cols, labels, cells, grey, shift } = inp;
  const band = inp.band ?? 2;
  const n = rows * cols;
  if (labels.length !== n || cells.length !== n || grey.length !== n) {
    throw badInput(`measureBoundaries: labels, cells and grey must each have rows × cols = ${n} entries.`);
  }
  if (!(Number.isInteger(shift) && shift >= 1))
    throw badInput('measureBoundaries: shift must be an integer ≥ 1.');
  if (!(Number.isInteger(band) && band >= 1))
    throw badInput('measureBoundaries: band must be an integer ≥ 1.');
  let boundary = 0;
  let onLattice = 0;
  let allEdges = 0;
  let latticeEdges = 0;
  let gSum = 0;
  let gN = 0;
  let sSum = 0;
  let sN = 0;
  const shifts: [number, number][] = [
    [shift, 0],
    [-shift, 0],
    [0, shift],
    [0, -shift],
  ];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = r * cols + c;
      const lp = labels[p]!;
      if (lp < 0) continue;
      // the edge to the right (dc = 1) and the edge below (dr = 1)
      for (const [dr, dc] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr >= rows || cc >= cols) continue;
        const q = rr * cols + cc;
        const lq = labels[q]!;
        if (lq < 0) continue;
        allEdges++;
        const cellEdge = cells[p]! >= 0 && cells[q]! >= 0 && cells[p] !== cells[q];
        if (cellEdge) latticeEdges++;
        if (lp === lq) continue;
        boundary++;
        if (cellEdge) onLattice++;
        const g = edgeContrast(grey, rows, cols, r, c, dr, dc, band);
        if (Number.isFinite(g)) {
          gSum += g;
          gN++;
        }
        for (const [sr, sc] of shifts) {
          const r2 = r + sr;
          const c2 = c + sc;
          if (r2 < 0 || c2 < 0 || r2 + dr >= rows || c2 + dc >= cols) continue;
          // the shifted edge must lie inside the labelled tissue, as the border does
          if (labels[r2 * cols + c2]! < 0 || labels[(r2 + dr) * cols + c2 + dc]! < 0) continue;
          const s = edgeContrast(grey, rows, cols, r2, c2, dr, dc, band);
          if (Number.isFinite(s)) {
            sSum += s;
            sN++;
          }
        }
      }
    }
  }
  const boundaryGradient = gN ? gSum / gN : NaN;
  const shiftedGradient = sN ? sSum / sN : NaN;
  return {
    boundaryEdges: boundary,
    latticeFraction: boundary ? onLattice / boundary : NaN,
    latticeChance: allEdges ? latticeEdges / allEdges : NaN,
    boundaryGradient,
    shiftedGradient,
    gradientRatio: boundaryGradient / shiftedGradient,
  };
}

/**
 * The spot lattice's cells on the superpixel grid: each superpixel centre goes to its nearest
 * spot (a Voronoi partition), or −1 when no spot is within `maxDistance` (superpixels). Spot
 * positions are in superpixel units: (row, col) of the centre, so superpixel (r, c) sits at
 * (r + 0.5, c + 0.5). Spots are bucketed by `maxDistance`, so each superpixel checks 9 buckets.
 */
export function latticeCells(
  rows: number,
  cols: number,
  spots: ReadonlyArray<{ row: number; col: number }>,
  maxDistance: number,
): Int32Array {
  if (!(maxDistance > 0)) throw badInput('latticeCells: maxDistance must be positive.');
  const b = maxDistance;
  const buckets = new Map<string, number[]>();
  spots.forEach((s, i) => {
    const key = `${Math.floor(s.row / b)},${Math.floor(s.col / b)}`;
    let list = buckets.get(key);
    if (!list) buckets.set(key, (list = []));
    list.push(i);
  });
  const out = new Int32Array(rows * cols).fill(-1);
  for (let r = 0; r < rows; r++) {
    const y = r + 0.5;
    const by = Math.floor(y / b);
    for (let c = 0; c < cols; c++) {
      const x = c + 0.5;
      const bx = Math.floor(x / b);
      let best = -1;
      let bestD = maxDistance * maxDistance;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const list = buckets.get(`${by + dy},${bx + dx}`);
          if (!list) continue;
          for (const i of list) {
            const d = (spots[i]!.row - y) ** 2 + (spots[i]!.col - x) ** 2;
            // ties go to the lower index so the partition does not depend on bucket order
            if (d < bestD || (d === bestD && best >= 0 && i < best)) {
              bestD = d;
              best = i;
            }
          }
        }
      out[r * cols + c] = best;
    }
  }
  return out;
}

/** Rec. 601 luma of an interleaved RGB image (rows × cols × 3); NaN where mask is 0. */
export function greyFromRgb(rgb: Float32Array, mask?: Uint8Array): Float32Array {
  const n = rgb.length / 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = mask && !mask[i] ? NaN : 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!;
  }
  return out;
}

/**
 * Square cells of side `side` superpixels from the grid origin: HISTEX infers the latent in
 * side × side blocks (methods/histex/pipeline.ts `block`), so a latent dominated by the block's
 * gene tokens is constant per block and its borders lie on this lattice.
 */
export function blockCells(rows: number, cols: number, side: number): Int32Array {
  if (!(Number.isInteger(side) && side >= 1)) throw badInput('blockCells: side must be an integer ≥ 1.');
  const perRow = Math.ceil(cols / side);
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.floor(r / side) * perRow + Math.floor(c / side);
  return out;
}

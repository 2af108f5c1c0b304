/**
 * Spot geometry for HISTEX on any platform: footprints as bags of superpixels, the expression
 * enhancement (paper eq. 1–3 as methods.md §12 rows 5–6 recommend) and the k-nearest gene tokens.
 */
import type { SuperpixelGrid } from '../types';

export interface TrainingSpot {
  /** centre (full-res px): the mean of the members' positions for a pseudo-spot */
  x: number;
  y: number;
  /** the disks making up the footprint (one for a real spot, the members for a pseudo-spot) */
  disks: { x: number; y: number }[];
  /** lattice indices of the spot (or of the pseudo-spot on its sub-lattice), when known */
  row?: number;
  col?: number;
}

/**
 * Superpixels whose centres lie inside the footprint: a disk of radius `radiusPx` around each of the
 * spot's disks, union for pseudo-spots. Returned as flat indices r·cols + c, ascending, unique.
 */
export function footprint(
  grid: SuperpixelGrid,
  disks: readonly { x: number; y: number }[],
  radiusPx: number,
): number[] {
  const set = new Set<number>();
  const k = grid.sizePx;
  const r2 = radiusPx * radiusPx;
  for (const d of disks) {
    const c0 = Math.max(0, Math.floor((d.x - radiusPx - grid.originX) / k - 0.5));
    const c1 = Math.min(grid.width - 1, Math.ceil((d.x + radiusPx - grid.originX) / k - 0.5));
    const r0 = Math.max(0, Math.floor((d.y - radiusPx - grid.originY) / k - 0.5));
    const r1 = Math.min(grid.height - 1, Math.ceil((d.y + radiusPx - grid.originY) / k - 0.5));
    for (let r = r0; r <= r1; r++)
      for (let c = c0; c <= c1; c++) {
        const dx = grid.originX + (c + 0.5) * k - d.x;
        const dy = grid.originY + (r + 0.5) * k - d.y;
        if (dx * dx + dy * dy <= r2) set.add(r * grid.width + c);
      }
  }
  return [...set].sort((a, b) => a - b);
}

export interface Bags {
  /** padded bag size */
  tokens: number;
  /** per bag: superpixel indices (length = bag size) */
  members: number[][];
  /** bags × tokens, 1 = real instance */
  mask: Float32Array;
}

/** Bags padded to the largest (or to `tokens` when given); padding repeats nothing and is masked. */
export function padBags(members: number[][], tokens?: number): Bags {
  const n = tokens ?? Math.max(1, ...members.map((m) => m.length));
  const mask = new Float32Array(members.length * n);
  members.forEach((m, b) => {
    if (m.length > n) throw new RangeError(`bag ${b} has ${m.length} superpixels, more than ${n}`);
    mask.fill(1, b * n, b * n + m.length);
  });
  return { tokens: n, members, mask };
}

export interface EnhancedSpots {
  /** HR node positions (full-res px) */
  x: Float64Array;
  y: Float64Array;
  /** nodes × genes values (same units as the input) */
  values: Float64Array;
  genes: number;
  /** how many nodes are measured spots (they come first) */
  measured: number;
}

/**
 * Exact midpoint enhancement (eq. 1–2 with align_corners = True) on the measured lattice:
 * HR nodes are the measured spots, the midpoints of lattice-adjacent measured pairs (value = mean of
 * the two), and — on square lattices — the centres of cells whose four corners are measured (value =
 * mean of four). A node exists only when all its parents are measured (the mask rule, §12 row 6).
 * Adjacency comes from lattice indices when every spot has them (square: 4-neighbours; hex in
 * offset/doubled form: (0, ±2), (±1, ±1)), else from positions (pairs within 1.25× the median
 * nearest-neighbour distance).
 */
export function enhance(
  spots: readonly { x: number; y: number; row?: number; col?: number }[],
  values: Float64Array,
  genes: number,
  lattice: 'square' | 'hex' | 'none',
): EnhancedSpots {
  const n = spots.length;
  const xs: number[] = [];
  const ys: number[] = [];
  const parents: number[][] = [];
  for (let i = 0; i < n; i++) {
    xs.push(spots[i]!.x);
    ys.push(spots[i]!.y);
    parents.push([i]);
  }
  const edges: [number, number][] = [];
  const haveIdx = spots.every((s) => Number.isInteger(s.row) && Number.isInteger(s.col));
  const key = (r: number, c: number) => `${r},${c}`;
  const at = new Map<string, number>();
  if (haveIdx) spots.forEach((s, i) => at.set(key(s.row!, s.col!), i));
  let hexDoubled = false;
  if (haveIdx && lattice === 'hex') {
    // offset-doubled (Visium: row + col even): neighbours (0, ±2), (±1, ±1)
    hexDoubled = spots.every((s) => (s.row! + s.col!) % 2 === (spots[0]!.row! + spots[0]!.col!) % 2);
  }
  if (haveIdx && (lattice === 'square' || hexDoubled)) {
    const offs =
      lattice === 'square'
        ? [
            [0, 1],
            [1, 0],
          ]
        : [
            [0, 2],
            [1, 1],
            [1, -1],
          ];
    spots.forEach((s, i) => {
      for (const [dr, dc] of offs) {
        const j = at.get(key(s.row! + dr!, s.col! + dc!));
        if (j !== undefined) edges.push([i, j]);
      }
    });
    if (lattice === 'square')
      spots.forEach((s, i) => {
        const b = at.get(key(s.row!, s.col! + 1));
        const c = at.get(key(s.row! + 1, s.col!));
        const d = at.get(key(s.row! + 1, s.col! + 1));
        if (b !== undefined && c !== undefined && d !== undefined) {
          xs.push((s.x + spots[b]!.x + spots[c]!.x + spots[d]!.x) / 4);
          ys.push((s.y + spots[b]!.y + spots[c]!.y + spots[d]!.y) / 4);
          parents.push([i, b, c, d]);
        }
      });
  } else if (n > 1) {
    const nn = new Float64Array(n).fill(Infinity);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (i !== j)
          nn[i] = Math.min(nn[i]!, Math.hypot(spots[i]!.x - spots[j]!.x, spots[i]!.y - spots[j]!.y));
    const sorted = Float64Array.from(nn).sort();
    const lim = 1.25 * sorted[Math.floor(n / 2)]!;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++)
        if (Math.hypot(spots[i]!.x - spots[j]!.x, spots[i]!.y - spots[j]!.y) <= lim) edges.push([i, j]);
  }
  for (const [i, j] of edges) {
    xs.push((spots[i]!.x + spots[j]!.x) / 2);
    ys.push((spots[i]!.y + spots[j]!.y) / 2);
    parents.push([i, j]);
  }
  const m = xs.length;
  const out = new Float64Array(m * genes);
  parents.forEach((p, h) => {
    for (const i of p)
      for (let g = 0; g < genes; g++)
        out[h * genes + g] = out[h * genes + g]! + values[i * genes + g]! / p.length;
  });
  return { x: Float64Array.from(xs), y: Float64Array.from(ys), values: out, genes, measured: n };
}

/** Indices of the k nearest points to (x, y), nearest first (ties by index); brute force. */
export function kNearest(px: Float64Array, py: Float64Array, x: number, y: number, k: number): number[] {
  const n = px.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = (px[i]! - x) ** 2 + (py[i]! - y) ** 2;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => d[a]! - d[b]! || a - b);
  const out = idx.slice(0, Math.min(k, n));
  while (out.length < k && n > 0) out.push(out[out.length - 1]!);
  return out;
}

/** Per-gene min-max over rows: (v − min)/(max − min + 1e-12) (methods.md §1.5). */
export function minMaxColumns(
  values: Float64Array,
  genes: number,
): { scaled: Float32Array; min: Float64Array; max: Float64Array } {
  const n = values.length / genes;
  const min = new Float64Array(genes).fill(Infinity);
  const max = new Float64Array(genes).fill(-Infinity);
  for (let i = 0; i < n; i++)
    for (let g = 0; g < genes; g++) {
      const v = values[i * genes + g]!;
      if (v < min[g]!) min[g] = v;
      if (v > max[g]!) max[g] = v;
    }
  const scaled = new Float32Array(n * genes);
  for (let i = 0; i < n; i++)
    for (let g = 0; g < genes; g++)
      scaled[i * genes + g] = (values[i * genes + g]! - min[g]!) / (max[g]! - min[g]! + 1e-12);
  return { scaled, min, max };
}

/**
 * Benchmark protocols (benchmark.md): pseudo-spot coarsening, the seeded hold-out split, the
 * `coarse` baseline and the two controls that tell information from mere spread (`<method>:permuted`
 * and `noise`).
 */
import type { CsrMatrix, LatticeKind } from '../io/sample';
import { badInput } from '../errors';
import type { DenseMatrix } from './matrix';
import { Rng } from './random';

export interface SpotPosition {
  x: number;
  y: number;
  row?: number;
  col?: number;
}

export interface PseudoSpot {
  /** indices of the original spots, ascending */
  members: number[];
  /** mean of the members' positions (full-res px) */
  x: number;
  y: number;
  /** the sub-lattice cell this group came from (square: floor(col/k), floor(row/k); hex: centre row/col) */
  key: string;
}

export interface Coarsening {
  pseudoSpots: PseudoSpot[];
  /** pseudo-spots × genes: the SUM of member counts */
  counts: CsrMatrix;
  /** per original spot: its pseudo-spot, or −1 when its group had fewer than 2 spots */
  groupOf: Int32Array;
  /** original spots that belong to a kept pseudo-spot, ascending: the spots the protocol evaluates */
  evaluated: Uint32Array;
}

/**
 * Groups spots into pseudo-spots (benchmark.md step 2). Square lattices: by (⌊col/k⌋, ⌊row/k⌋) with
 * k = `block` (2 for legacy ST; 7 for Visium HD 8 µm bins, i.e. 56 µm pseudo-spots, see
 * bench/harness.ts). Hexagonal lattices: into 7-spot hexagons (a centre and its six neighbours)
 * that tile the lattice — see hexGroupKey. Groups with fewer than minMembers (2) measured spots are
 * dropped.
 */
export function coarsenSpots(
  spots: readonly SpotPosition[],
  counts: CsrMatrix,
  lattice: LatticeKind,
  options: { minMembers?: number; block?: number } = {},
): Coarsening {
  const n = spots.length;
  if (counts.nRows !== n) throw badInput(`counts have ${counts.nRows} rows but there are ${n} spots`);
  if (lattice === 'none')
    throw badInput('Coarsening needs a spot lattice (square or hexagonal); this sample has none.');
  const rows = new Float64Array(n);
  const cols = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = spots[i]!;
    if (s.row === undefined || s.col === undefined || !Number.isInteger(s.row) || !Number.isInteger(s.col))
      throw badInput(`Spot ${i} has no integer array row/col; coarsening works on lattice indices.`);
    rows[i] = s.row;
    cols[i] = s.col;
  }
  const k = options.block ?? 2;
  if (!Number.isInteger(k) || k < 2) throw badInput(`A pseudo-spot block must be ≥ 2 spots wide, got ${k}.`);
  if (lattice === 'hex' && k !== 2)
    throw badInput(
      'Hexagonal lattices are coarsened into 7-spot hexagons; a block size applies to square lattices only.',
    );
  const keys =
    lattice === 'square'
      ? Array.from({ length: n }, (_, i) => `${Math.floor(cols[i]! / k)},${Math.floor(rows[i]! / k)}`)
      : hexGroupKeys(spots, rows, cols);
  const byKey = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = byKey.get(k);
    if (g) g.push(i);
    else byKey.set(k, [i]);
  });
  const minMembers = options.minMembers ?? 2;
  const pseudoSpots: PseudoSpot[] = [];
  const groupOf = new Int32Array(n).fill(-1);
  // Order pseudo-spots by their first member so the output does not depend on Map iteration details.
  const groups = [...byKey.entries()]
    .filter(([, m]) => m.length >= minMembers)
    .sort((a, b) => a[1][0]! - b[1][0]!);
  for (const [key, members] of groups) {
    let x = 0;
    let y = 0;
    for (const i of members) {
      x += spots[i]!.x;
      y += spots[i]!.y;
      groupOf[i] = pseudoSpots.length;
    }
    pseudoSpots.push({ members, x: x / members.length, y: y / members.length, key });
  }
  const evaluated = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => groupOf[i]! >= 0));
  return { pseudoSpots, counts: sumRows(counts, pseudoSpots), groupOf, evaluated };
}

function sumRows(m: CsrMatrix, groups: readonly PseudoSpot[]): CsrMatrix {
  const indptr = new Uint32Array(groups.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  const acc = new Float64Array(m.nCols);
  const touched: number[] = [];
  groups.forEach((g, gi) => {
    for (const i of g.members)
      for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) {
        const c = m.indices[q]!;
        if (acc[c] === 0) touched.push(c);
        acc[c] = acc[c]! + m.data[q]!;
      }
    touched.sort((a, b) => a - b);
    for (const c of touched) {
      if (acc[c] !== 0) {
        indices.push(c);
        data.push(acc[c]!);
      }
      acc[c] = 0;
    }
    touched.length = 0;
    indptr[gi + 1] = indices.length;
  });
  return {
    nRows: groups.length,
    nCols: m.nCols,
    indptr,
    indices: Uint32Array.from(indices),
    data: Float32Array.from(data),
  };
}

/**
 * 7-spot hexagon tiling of a hexagonal lattice.
 *
 * Indices are first brought to doubled coordinates (u, v): v = the axis along which lattice rows
 * run, u steps by 2 between neighbours in a row and by 1 to the rows above and below, with u + v of
 * one parity. Visium's (array_row, array_col) are already like that (v = row, u = col); so are the
 * MOB ST arrays' (y, x). Which of the two index axes plays "u" is decided from the positions: the
 * ±2 step along u is the shorter one in pixels (100 µm for Visium against 173 µm along the other
 * axis). Offset-row indices (row + col of mixed parity) are converted with the row shift measured
 * from the positions.
 *
 * In axial coordinates q = (u − v)/2, r = v the six neighbours are (±1,0), (0,±1), (1,−1), (−1,1),
 * and ρ(q, r) = (q + 3r) mod 7 takes the values 1, 6, 3, 4, 5, 2 on them: every residue once. So the
 * points with ρ = 0 form a sub-lattice of index 7 whose hexagons (centre + 6 neighbours) tile the
 * plane, and a spot with residue ρ belongs to the centre at (its position − the neighbour offset
 * with that residue).
 */
function hexGroupKeys(spots: readonly SpotPosition[], rows: Float64Array, cols: Float64Array): string[] {
  const n = spots.length;
  const parity = (v: number): number => ((v % 2) + 2) % 2;
  const p0 = parity(rows[0]! + cols[0]!);
  let doubled = true;
  for (let i = 0; i < n; i++) if (parity(rows[i]! + cols[i]!) !== p0) doubled = false;
  let u: Float64Array;
  let v: Float64Array;
  const fit = n >= 4 ? fitAffine(spots, rows, cols) : null;
  if (doubled) {
    // Which axis is "u": the one whose step of 2 is shorter in pixels (default: col, as Visium).
    let colIsU = true;
    if (fit) colIsU = Math.hypot(fit.ax[0], fit.ay[0]) <= Math.hypot(fit.ax[1], fit.ay[1]);
    u = colIsU ? Float64Array.from(cols) : Float64Array.from(rows);
    v = colIsU ? Float64Array.from(rows) : Float64Array.from(cols);
    if (p0 === 1) for (let i = 0; i < n; i++) u[i] = u[i]! - 1; // make u + v even
  } else {
    // Offset rows: col counts spots within a row, odd rows shifted half a step one way.
    const shiftSign = fit && fit.oddShift < 0 ? -1 : 1;
    v = Float64Array.from(rows);
    u = Float64Array.from({ length: n }, (_, i) => 2 * cols[i]! + (parity(rows[i]!) === 1 ? shiftSign : 0));
    // u + v is now even for shift +1 and -1 alike when rows are 0-based parity; normalise:
    for (let i = 0; i < n; i++) if (parity(u[i]! + v[i]!) === 1) u[i] = u[i]! - 1;
  }
  // doubled-coordinate offsets of the six neighbours indexed by residue
  const OFF: Record<number, [number, number]> = {
    1: [2, 0],
    6: [-2, 0],
    3: [1, 1],
    4: [-1, -1],
    5: [1, -1],
    2: [-1, 1],
  };
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const q = (u[i]! - v[i]!) / 2;
    const r = v[i]!;
    const rho = (((q + 3 * r) % 7) + 7) % 7;
    const [du, dv] = rho === 0 ? [0, 0] : OFF[rho]!;
    keys.push(`${u[i]! - du},${v[i]! - dv}`);
  }
  return keys;
}

/** Least-squares x, y ≈ a + b·col + c·row (+ d·[row odd]); gives the pixel steps of the two axes. */
function fitAffine(
  spots: readonly SpotPosition[],
  rows: Float64Array,
  cols: Float64Array,
): { ax: [number, number]; ay: [number, number]; oddShift: number } | null {
  const n = spots.length;
  const feats = (i: number): number[] => [1, cols[i]!, rows[i]!, ((rows[i]! % 2) + 2) % 2];
  const solve = (target: (i: number) => number): number[] | null => {
    const k = 4;
    const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const f = feats(i);
      const t = target(i);
      if (!Number.isFinite(t)) continue;
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) A[a]![b] = A[a]![b]! + f[a]! * f[b]!;
        A[a]![k] = A[a]![k]! + f[a]! * t;
      }
    }
    // Gaussian elimination with partial pivoting; singular (e.g. all rows one parity) → drop the last term.
    const size = A.every((r) => r[3] === 0) ? 3 : k;
    for (let c = 0; c < size; c++) {
      let piv = c;
      for (let r = c + 1; r < size; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
      if (Math.abs(A[piv]![c]!) < 1e-9) return null;
      [A[c], A[piv]] = [A[piv]!, A[c]!];
      for (let r = 0; r < size; r++) {
        if (r === c) continue;
        const f = A[r]![c]! / A[c]![c]!;
        for (let q = c; q <= k; q++) A[r]![q] = A[r]![q]! - f * A[c]![q]!;
      }
    }
    const out = new Array<number>(k).fill(0);
    for (let c = 0; c < size; c++) out[c] = A[c]![k]! / A[c]![c]!;
    return out;
  };
  const bx = solve((i) => spots[i]!.x);
  const by = solve((i) => spots[i]!.y);
  if (!bx || !by) return null;
  return { ax: [bx[1]!, bx[2]!], ay: [by[1]!, by[2]!], oddShift: bx[3]! * Math.sign(bx[1]! || 1) };
}

/** Seeded random hold-out: `fraction` of the spots (rounded down) hidden, the rest kept for training. */
export function holdoutSplit(
  n: number,
  seed: number,
  fraction = 0.5,
): { train: Uint32Array; test: Uint32Array } {
  if (!(fraction > 0 && fraction < 1)) throw badInput(`hold-out fraction must be in (0, 1), got ${fraction}`);
  const perm = new Rng(seed).permutation(n);
  const nTest = Math.floor(n * fraction);
  return {
    test: Uint32Array.from(perm.subarray(0, nTest)).sort(),
    train: Uint32Array.from(perm.subarray(nTest)).sort(),
  };
}

/**
 * The `coarse` baseline at the evaluated spots: each spot gets its pseudo-spot's counts divided by
 * the member count. Rows follow `c.evaluated`; columns are `genes` (indices into the count matrix).
 */
export function coarseBaseline(c: Coarsening, genes: ArrayLike<number>): DenseMatrix {
  const g = genes.length;
  const colOf = new Map<number, number>();
  for (let j = 0; j < g; j++) colOf.set(genes[j]!, j);
  const perGroup = new Float64Array(c.pseudoSpots.length * g);
  for (let p = 0; p < c.pseudoSpots.length; p++) {
    const nm = c.pseudoSpots[p]!.members.length;
    for (let q = c.counts.indptr[p]!; q < c.counts.indptr[p + 1]!; q++) {
      const j = colOf.get(c.counts.indices[q]!);
      if (j !== undefined) perGroup[p * g + j] = c.counts.data[q]! / nm;
    }
  }
  const out = new Float64Array(c.evaluated.length * g);
  c.evaluated.forEach((spot, r) => {
    const p = c.groupOf[spot]!;
    out.set(perGroup.subarray(p * g, (p + 1) * g), r * g);
  });
  return { nRows: c.evaluated.length, nCols: g, data: out };
}

/** Group index per row of an evaluated-spots matrix. */
function rowGroups(c: Coarsening): Int32Array {
  return Int32Array.from(c.evaluated, (s) => c.groupOf[s]!);
}

/**
 * One draw of the `<method>:permuted` control (benchmark.md step 6). For every evaluated spot s in
 * pseudo-spot g, its modulation is the vector of ratios pred[s] / mean_{t∈g} pred[t] (all genes;
 * ratio 1 where the pseudo-spot mean is 0). Each spot receives the modulation of a random OTHER spot
 * (a uniformly random derangement over all evaluated spots), multiplied by its own pseudo-spot mean;
 * then every pseudo-spot is rescaled per gene so its mean prediction is exactly what it was.
 */
export function permutedPrediction(pred: DenseMatrix, c: Coarsening, rng: Rng): DenseMatrix {
  const { nRows: n, nCols: g } = pred;
  if (n !== c.evaluated.length) throw badInput('The prediction must have one row per evaluated spot.');
  const grp = rowGroups(c);
  const nG = c.pseudoSpots.length;
  const mean = groupMeans(pred, grp, nG);
  const ratio = new Float64Array(n * g);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < g; j++) {
      const m = mean[grp[i]! * g + j]!;
      ratio[i * g + j] = m !== 0 ? pred.data[i * g + j]! / m : 1;
    }
  const perm = rng.derangement(n);
  const out = new Float64Array(n * g);
  for (let i = 0; i < n; i++) {
    const src = perm[i]!;
    for (let j = 0; j < g; j++) out[i * g + j] = mean[grp[i]! * g + j]! * ratio[src * g + j]!;
  }
  const got = groupMeans({ nRows: n, nCols: g, data: out }, grp, nG);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < g; j++) {
      const want = mean[grp[i]! * g + j]!;
      const have = got[grp[i]! * g + j]!;
      if (have !== 0) out[i * g + j] = (out[i * g + j]! * want) / have;
      else out[i * g + j] = want; // all borrowed ratios were 0: fall back to the flat mean
    }
  return { nRows: n, nCols: g, data: out };
}

/**
 * One draw of the `noise` control: coarse × exp(σ·z) with one standard normal z per spot (σ = 0.2),
 * rescaled so every pseudo-spot's mean is unchanged (coarse is constant within a pseudo-spot, so the
 * factor 1 / mean_g exp(σz) is the same for all genes).
 */
export function noisePrediction(coarse: DenseMatrix, c: Coarsening, rng: Rng, sigma = 0.2): DenseMatrix {
  const { nRows: n, nCols: g } = coarse;
  if (n !== c.evaluated.length) throw badInput('The prediction must have one row per evaluated spot.');
  const grp = rowGroups(c);
  const f = Float64Array.from({ length: n }, () => Math.exp(sigma * rng.normal()));
  const sum = new Float64Array(c.pseudoSpots.length);
  const cnt = new Float64Array(c.pseudoSpots.length);
  for (let i = 0; i < n; i++) {
    sum[grp[i]!] = sum[grp[i]!]! + f[i]!;
    cnt[grp[i]!] = cnt[grp[i]!]! + 1;
  }
  const out = new Float64Array(n * g);
  for (let i = 0; i < n; i++) {
    const k = f[i]! / (sum[grp[i]!]! / cnt[grp[i]!]!);
    for (let j = 0; j < g; j++) out[i * g + j] = coarse.data[i * g + j]! * k;
  }
  return { nRows: n, nCols: g, data: out };
}

function groupMeans(m: DenseMatrix, grp: Int32Array, nG: number): Float64Array {
  const g = m.nCols;
  const sum = new Float64Array(nG * g);
  const cnt = new Float64Array(nG);
  for (let i = 0; i < m.nRows; i++) {
    const p = grp[i]!;
    cnt[p] = cnt[p]! + 1;
    for (let j = 0; j < g; j++) sum[p * g + j] = sum[p * g + j]! + m.data[i * g + j]!;
  }
  for (let p = 0; p < nG; p++)
    for (let j = 0; j < g; j++) sum[p * g + j] = cnt[p]! > 0 ? sum[p * g + j]! / cnt[p]! : 0;
  return sum;
}

/**
 * Averages a score over seeded control draws: `draws` calls of make(rng) (20 for `permuted`, 5 for
 * `noise` in the benchmark), every numeric field of the scores averaged.
 */
export function averageOverDraws<S extends { [K in keyof S]: number }>(
  seed: number,
  draws: number,
  make: (rng: Rng) => DenseMatrix,
  score: (pred: DenseMatrix) => S,
): S {
  const rng = new Rng(seed);
  const acc: Record<string, number> = {};
  for (let d = 0; d < draws; d++) {
    const s = score(make(rng)) as Record<string, number>;
    for (const [k, v] of Object.entries(s)) acc[k] = (acc[k] ?? 0) + v / draws;
  }
  return acc as unknown as S;
}

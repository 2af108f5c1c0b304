/**
 * HISTEX gene-expression enhancement (methods.md §3.1, paper eq. 1–3, ambiguity rows 5–6), on any
 * square or hexagonal lattice, and the `interp` baseline that reads it at requested positions.
 *
 * Enhancement (eq. 1–2, "exact midpoint insertion"): in HR coordinates (A, B) = 2·(a, b) every
 * integer point is an HR node. Even-even nodes are the measured spots; the others are midpoints of
 * their PARENTS:
 *   square: (odd, even) and (even, odd) are edge midpoints (2 parents); (odd, odd) is the centre of a
 *           lattice square, the 4-spot centroid (the paper's 2×2 bilinear centre);
 *   hex (axial): (odd, even), (even, odd), (odd, odd) are the midpoints along the three neighbour
 *           directions (1,0), (0,1), (1,−1); the HR lattice is the hexagonal lattice at half pitch,
 *           4× the spot density, as the paper's 2× upsampling of its (sheared) grid is.
 * Value = mean of the parents' values; position = mean of the parents' positions.
 *
 * Mask B (eq. 3), two rules:
 *   'all-parents' (default, ambiguity row 6): keep a node iff every parent is measured;
 *   'fidelity' (the released code): missing spots count as 0 and a node is kept iff it is measured or
 *       ≥ 2 of its HR-lattice neighbours are measured. The measured HR-neighbours of a node are exactly
 *       its parents (8-neighbourhood at half pitch for square, 6 for hex), so this is "≥ 2 parents
 *       measured", value = (sum of measured parents) / (number of parents).
 * The two rules differ only on square-lattice centres with 2 or 3 of their 4 corners measured.
 *
 * Reading between nodes (our addition; eq. 1–3 define only the nodes): piecewise-linear on the HR
 * mesh (bilinear in a square HR cell, barycentric in a hexagonal HR triangle), weights renormalised
 * over the kept corners; where no corner with positive weight is kept (e.g. a hidden spot whose
 * every adjacent midpoint was dropped) the mean of the nearest kept nodes (lattice metric, ties
 * averaged) is used.
 */
import type { DenseMatrix } from '../../analysis/matrix';
import { badInput, throwIfAborted } from '../../errors';
import type { LatticeCoord, SpotLattice, SrInput, SrMethod, SpotOutput } from '../types';
import {
  fitLatticeAffine,
  latticeCoordsOf,
  latticeDist2,
  latticeToPx,
  pxToLattice,
  type LatticeAffine,
} from '../../analysis/lattice';

export type MaskRule = 'all-parents' | 'fidelity';

export interface HrNode {
  /** HR integer coordinates, 2 × the canonical lattice coordinates */
  A: number;
  B: number;
  /** full-res px */
  x: number;
  y: number;
  /** true for a measured spot (an even-even node that was measured) */
  measured: boolean;
  /** indices of the measured spots among the node's parents */
  parents: number[];
}

export interface Enhanced {
  lattice: SpotLattice;
  nodes: HrNode[];
  /** nodes × genes */
  values: DenseMatrix;
  /** "A,B" → node index */
  index: Map<string, number>;
}

const key = (A: number, B: number): string => `${A},${B}`;
const isOdd = (v: number): boolean => ((v % 2) + 2) % 2 === 1;

/** Parent lattice coordinates of HR node (A, B) (see the file comment). */
export function hrParents(kind: SpotLattice, A: number, B: number): LatticeCoord[] {
  const oa = isOdd(A);
  const ob = isOdd(B);
  if (!oa && !ob) return [{ a: A / 2, b: B / 2 }];
  if (oa && !ob)
    return [
      { a: (A - 1) / 2, b: B / 2 },
      { a: (A + 1) / 2, b: B / 2 },
    ];
  if (!oa && ob)
    return [
      { a: A / 2, b: (B - 1) / 2 },
      { a: A / 2, b: (B + 1) / 2 },
    ];
  if (kind === 'hex')
    return [
      { a: (A - 1) / 2, b: (B + 1) / 2 },
      { a: (A + 1) / 2, b: (B - 1) / 2 },
    ];
  return [
    { a: (A - 1) / 2, b: (B - 1) / 2 },
    { a: (A + 1) / 2, b: (B - 1) / 2 },
    { a: (A - 1) / 2, b: (B + 1) / 2 },
    { a: (A + 1) / 2, b: (B + 1) / 2 },
  ];
}

/** HR offsets of the non-spot nodes that have a given spot among their parents. */
function childOffsets(kind: SpotLattice): [number, number][] {
  const edges: [number, number][] = [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ];
  return kind === 'square' ? [...edges, [1, 1], [1, -1], [-1, 1], [-1, -1]] : [...edges, [1, -1], [-1, 1]];
}

/**
 * Eq. 1–3 on measured spots with integer canonical coordinates. `positions` are full-res px;
 * `affine` places parents that are missing (fidelity rule only).
 */
export function enhance(
  kind: SpotLattice,
  coords: readonly LatticeCoord[],
  positions: readonly { x: number; y: number }[],
  values: DenseMatrix,
  rule: MaskRule = 'all-parents',
  affine?: LatticeAffine,
): Enhanced {
  const n = coords.length;
  const g = values.nCols;
  if (values.nRows !== n || positions.length !== n)
    throw badInput(`enhance: ${n} coordinates, ${positions.length} positions, ${values.nRows} value rows`);
  const spotAt = new Map<string, number>();
  coords.forEach((c, i) => {
    if (!Number.isInteger(c.a) || !Number.isInteger(c.b))
      throw badInput(`Spot ${i} is not on a lattice node (${c.a}, ${c.b}).`);
    const k = key(2 * c.a, 2 * c.b);
    if (spotAt.has(k)) throw badInput(`Two spots share lattice node (${c.a}, ${c.b}).`);
    spotAt.set(k, i);
  });
  const aff = affine ?? (n >= 3 ? fitLatticeAffine(coords, positions) : undefined);
  const nodes: HrNode[] = [];
  const rows: number[][] = [];
  const index = new Map<string, number>();
  const consider = (A: number, B: number): void => {
    const k = key(A, B);
    if (index.has(k)) return;
    const parents = hrParents(kind, A, B);
    const found = parents.map((p) => spotAt.get(key(2 * p.a, 2 * p.b)));
    const measured = found.filter((f): f is number => f !== undefined);
    const isSpot = parents.length === 1;
    const keep = isSpot
      ? measured.length === 1
      : rule === 'all-parents'
        ? measured.length === parents.length
        : measured.length >= 2;
    if (!keep) return;
    if (measured.length < parents.length && !aff)
      throw badInput('enhance: too few spots to place missing parents.');
    let x = 0;
    let y = 0;
    parents.forEach((p, t) => {
      const f = found[t];
      const q = f !== undefined ? positions[f]! : latticeToPx(aff!, p);
      x += q.x;
      y += q.y;
    });
    const v = new Array<number>(g).fill(0);
    for (const f of measured) for (let j = 0; j < g; j++) v[j] = v[j]! + values.data[f * g + j]!;
    // Mean over ALL parents: with 'all-parents' every one is measured; with 'fidelity' the missing
    // ones are the zeros the released code put in empty grid cells.
    for (let j = 0; j < g; j++) v[j] = v[j]! / parents.length;
    index.set(k, nodes.length);
    nodes.push({ A, B, x: x / parents.length, y: y / parents.length, measured: isSpot, parents: measured });
    rows.push(v);
  };
  coords.forEach((c) => {
    const A = 2 * c.a;
    const B = 2 * c.b;
    consider(A, B);
    for (const [dA, dB] of childOffsets(kind)) consider(A + dA, B + dB);
  });
  const data = new Float64Array(nodes.length * g);
  rows.forEach((r, i) => data.set(r, i * g));
  return { lattice: kind, nodes, values: { nRows: nodes.length, nCols: g, data }, index };
}

/** Corner weights of the HR cell containing HR point (P, Q) (see the file comment). */
function cellWeights(kind: SpotLattice, P: number, Q: number): [number, number, number][] {
  const snap = (v: number): number => (Math.abs(v - Math.round(v)) < 1e-9 ? Math.round(v) : v);
  P = snap(P);
  Q = snap(Q);
  const A0 = Math.floor(P);
  const B0 = Math.floor(Q);
  const fa = P - A0;
  const fb = Q - B0;
  if (kind === 'square')
    return [
      [A0, B0, (1 - fa) * (1 - fb)],
      [A0 + 1, B0, fa * (1 - fb)],
      [A0, B0 + 1, (1 - fa) * fb],
      [A0 + 1, B0 + 1, fa * fb],
    ];
  // Axial triangles: {(0,0),(1,0),(0,1)} below the anti-diagonal, {(1,1),(1,0),(0,1)} above it; the
  // shared edge (1,0)–(0,1) is a neighbour pair (direction (1,−1)), so both are lattice triangles.
  if (fa + fb <= 1)
    return [
      [A0, B0, 1 - fa - fb],
      [A0 + 1, B0, fa],
      [A0, B0 + 1, fb],
    ];
  return [
    [A0 + 1, B0 + 1, fa + fb - 1],
    [A0 + 1, B0, 1 - fb],
    [A0, B0 + 1, 1 - fa],
  ];
}

/** Reads the enhanced lattice at canonical (possibly fractional) lattice coordinates. */
export function readEnhanced(enh: Enhanced, at: readonly LatticeCoord[]): DenseMatrix {
  const g = enh.values.nCols;
  const out = new Float64Array(at.length * g);
  const vals = enh.values.data;
  if (enh.nodes.length === 0) throw badInput('No enhanced node survived the mask; nothing to read.');
  at.forEach((c, k) => {
    const P = 2 * c.a;
    const Q = 2 * c.b;
    let wsum = 0;
    const used: [number, number][] = [];
    for (const [A, B, w] of cellWeights(enh.lattice, P, Q)) {
      if (w <= 1e-12) continue;
      const ni = enh.index.get(key(A, B));
      if (ni === undefined) continue;
      used.push([ni, w]);
      wsum += w;
    }
    if (wsum <= 0) {
      // Nearest kept nodes in the lattice metric (HR units are half a pitch), ties averaged.
      let best = Infinity;
      const near: number[] = [];
      enh.nodes.forEach((nd, ni) => {
        const d = latticeDist2(enh.lattice, nd.A - P, nd.B - Q);
        if (d < best * (1 - 1e-9)) {
          best = d;
          near.length = 0;
          near.push(ni);
        } else if (d <= best * (1 + 1e-9)) near.push(ni);
      });
      for (const ni of near) used.push([ni, 1]);
      wsum = near.length;
    }
    for (const [ni, w] of used)
      for (let j = 0; j < g; j++) out[k * g + j] = out[k * g + j]! + (w / wsum) * vals[ni * g + j]!;
  });
  return { nRows: at.length, nCols: g, data: out };
}

export interface InterpOptions {
  rule?: MaskRule;
  /**
   * Divide each spot's values by its number of member disks before interpolating (default true).
   * Pseudo-spots are SUMS over 1–4 (square) or 2–7 (hex) members, so their raw values mix expression
   * with footprint area; per-member values are what one original-sized spot would hold. With equal
   * footprints (every real sample) this only rescales all values by one constant.
   */
  perMember?: boolean;
}

/** The enhancement of an SrInput's spots (for HISTEX's gene tokens too): nodes in full-res px. */
export function enhanceInput(
  input: SrInput,
  options: InterpOptions = {},
): Enhanced & { affine: LatticeAffine } {
  const { coords } = latticeCoordsOf(input.spots, input.lattice);
  const affine = fitLatticeAffine(coords, input.spots);
  const { nRows: n, nCols: g } = input.values;
  let values = input.values;
  if (options.perMember ?? true) {
    const d = new Float64Array(n * g);
    for (let i = 0; i < n; i++) {
      const m = Math.max(1, input.spots[i]!.members.length);
      for (let j = 0; j < g; j++) d[i * g + j] = input.values.data[i * g + j]! / m;
    }
    values = { nRows: n, nCols: g, data: d };
  }
  const enh = enhance(input.lattice, coords, input.spots, values, options.rule ?? 'all-parents', affine);
  return { ...enh, affine };
}

export const interpMethod: SrMethod = {
  name: 'interp',
  kind: 'spot',
  description:
    'HISTEX expression enhancement: exact midpoint interpolation on the measured lattice (mask rule), read at the targets',
  predict(input, options, progress, signal) {
    throwIfAborted(signal);
    const opts: InterpOptions = {};
    if (options['rule'] === 'fidelity' || options['rule'] === 'all-parents') opts.rule = options['rule'];
    if (typeof options['perMember'] === 'boolean') opts.perMember = options['perMember'];
    const enh = enhanceInput(input, opts);
    progress({ fraction: 0.5, message: `${enh.nodes.length} enhanced nodes` });
    const at = input.targets.map((t) => t.lattice ?? pxToLattice(enh.affine, t.x, t.y));
    const out: SpotOutput = { kind: 'spot', values: readEnhanced(enh, at) };
    progress({ fraction: 1 });
    return Promise.resolve(out);
  },
};

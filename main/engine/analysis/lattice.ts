/**
 * Spot lattices in one canonical frame (LatticeCoord below): square (a = col, b = row) and
 * hexagonal axial coordinates (neighbours (±1,0), (0,±1), ±(1,−1)). Coordinates come from the
 * platform's array indices when present, else they are inferred from the positions; an affine fit
 * maps them to full-res pixels and back, so nothing here assumes a pixel size or a spot pitch.
 */
import { badInput } from '../errors';

export type SpotLattice = 'square' | 'hex';

/**
 * Canonical lattice coordinates (a, b). Square: a = column, b = row, neighbours (±1, 0), (0, ±1).
 * Hexagonal: axial coordinates, neighbours (±1, 0), (0, ±1), ±(1, −1). Fractional values are
 * allowed for targets that fall between lattice nodes (original spots seen from a pseudo-spot lattice).
 */
export interface LatticeCoord {
  a: number;
  b: number;
}

export interface PositionedSpot {
  x: number;
  y: number;
  row?: number;
  col?: number;
  lattice?: LatticeCoord;
}

/** x = x0 + xa·a + xb·b, y = y0 + ya·a + yb·b (least squares over the spots). */
export interface LatticeAffine {
  x0: number;
  xa: number;
  xb: number;
  y0: number;
  ya: number;
  yb: number;
}

/** Solves the normal equations of a small least-squares problem; null when singular. */
export function leastSquares(features: readonly number[][], target: readonly number[]): number[] | null {
  const k = features[0]?.length ?? 0;
  const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  features.forEach((f, i) => {
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) A[p]![q] = A[p]![q]! + f[p]! * f[q]!;
      A[p]![k] = A[p]![k]! + f[p]! * target[i]!;
    }
  });
  // Gauss–Jordan with partial pivoting; k ≤ 4 so this is exact enough and cheap.
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    const scale = Math.max(1, ...A.map((r) => Math.abs(r[c]!)));
    if (Math.abs(A[piv]![c]!) < 1e-12 * scale) return null;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let q = c; q <= k; q++) A[r]![q] = A[r]![q]! - f * A[c]![q]!;
    }
  }
  return A.map((r, c) => r[k]! / r[c]!);
}

export function fitLatticeAffine(
  coords: readonly LatticeCoord[],
  pos: readonly { x: number; y: number }[],
): LatticeAffine {
  const feats = coords.map((c) => [1, c.a, c.b]);
  const bx = leastSquares(
    feats,
    pos.map((p) => p.x),
  );
  const by = leastSquares(
    feats,
    pos.map((p) => p.y),
  );
  if (!bx || !by)
    throw badInput(
      'The spots do not span a 2-D lattice (all on one line?); cannot relate lattice to pixels.',
    );
  return { x0: bx[0]!, xa: bx[1]!, xb: bx[2]!, y0: by[0]!, ya: by[1]!, yb: by[2]! };
}

export function latticeToPx(f: LatticeAffine, c: LatticeCoord): { x: number; y: number } {
  return { x: f.x0 + f.xa * c.a + f.xb * c.b, y: f.y0 + f.ya * c.a + f.yb * c.b };
}

export function pxToLattice(f: LatticeAffine, x: number, y: number): LatticeCoord {
  const det = f.xa * f.yb - f.xb * f.ya;
  const dx = x - f.x0;
  const dy = y - f.y0;
  return { a: (f.yb * dx - f.xb * dy) / det, b: (-f.ya * dx + f.xa * dy) / det };
}

/** Squared distance in lattice units (pitch = 1): Euclidean for square, the hexagonal metric for axial. */
export function latticeDist2(kind: SpotLattice, da: number, db: number): number {
  return kind === 'square' ? da * da + db * db : da * da + db * db + da * db;
}

const parity = (v: number): number => ((v % 2) + 2) % 2;

/**
 * Axial coordinates from hexagonal array indices, by the same rules as analysis/protocols.ts's
 * hexGroupKeys (kept identical so pseudo-spot keys and these coordinates agree): indices of one
 * parity (row + col) are doubled coordinates, the axis whose step of 2 is shorter in pixels being
 * "u"; otherwise offset rows, odd rows shifted by the half step measured from the positions.
 * Then q = (u − v)/2, r = v.
 */
export function hexAxialFromIndices(spots: readonly PositionedSpot[]): LatticeCoord[] {
  const n = spots.length;
  const rows = spots.map((s) => s.row!);
  const cols = spots.map((s) => s.col!);
  const p0 = parity(rows[0]! + cols[0]!);
  const doubled = rows.every((r, i) => parity(r + cols[i]!) === p0);
  const feats = spots.map((_, i) => [1, cols[i]!, rows[i]!, parity(rows[i]!)]);
  const usable = n >= 4;
  const solve = (t: (s: PositionedSpot) => number): number[] | null => {
    if (!usable) return null;
    const full = leastSquares(feats, spots.map(t));
    if (full) return full;
    const r = leastSquares(
      feats.map((f) => f.slice(0, 3)),
      spots.map(t),
    );
    return r ? [...r, 0] : null;
  };
  const bx = solve((s) => s.x);
  const by = solve((s) => s.y);
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  if (doubled) {
    let colIsU = true;
    if (bx && by) colIsU = Math.hypot(bx[1]!, by[1]!) <= Math.hypot(bx[2]!, by[2]!);
    for (let i = 0; i < n; i++) {
      u[i] = colIsU ? cols[i]! : rows[i]!;
      v[i] = colIsU ? rows[i]! : cols[i]!;
      if (p0 === 1) u[i] = u[i]! - 1;
    }
  } else {
    const oddShift = bx && by ? bx[3]! * Math.sign(bx[1]! || 1) : 1;
    const shiftSign = oddShift < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) {
      v[i] = rows[i]!;
      u[i] = 2 * cols[i]! + (parity(rows[i]!) === 1 ? shiftSign : 0);
      if (parity(u[i]! + v[i]!) === 1) u[i] = u[i]! - 1;
    }
  }
  return Array.from({ length: n }, (_, i) => ({ a: (u[i]! - v[i]!) / 2, b: v[i]! }));
}

/**
 * Lattice coordinates inferred from positions alone. The pitch is the median nearest-neighbour
 * distance; the lattice orientation is the circular mean of the nearest-neighbour directions folded
 * by the lattice symmetry (90° square, 60° hexagonal). Coordinates are then grown breadth-first from
 * spot to neighbouring spot (within 1.5 pitches), each step rounded in that basis: a step is short, so
 * jitter (HER2ST: ≈ 0.08 pitch RMS) and a slight scale or shear of the scan never accumulate into a
 * wrong index the way rounding far-away spots against one origin would. Disconnected islands start
 * from their nearest already-placed spot.
 */
export function inferLatticeCoords(
  pos: readonly { x: number; y: number }[],
  kind: SpotLattice,
): LatticeCoord[] {
  const n = pos.length;
  if (n < 3) throw badInput(`Inferring a lattice needs at least 3 spots, got ${n}.`);
  const d2 = (i: number, j: number): number => (pos[j]!.x - pos[i]!.x) ** 2 + (pos[j]!.y - pos[i]!.y) ** 2;
  const nn: { dx: number; dy: number; d: number }[] = [];
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bj = -1;
    for (let j = 0; j < n; j++) {
      const d = d2(i, j);
      if (j !== i && d > 0 && d < best) {
        best = d;
        bj = j;
      }
    }
    nn.push({ dx: pos[bj]!.x - pos[i]!.x, dy: pos[bj]!.y - pos[i]!.y, d: Math.sqrt(best) });
  }
  const ds = nn.map((v) => v.d).sort((p, q) => p - q);
  const pitch = ds[ds.length >> 1]!;
  const sym = kind === 'square' ? 4 : 6; // directions equivalent under the lattice's rotations
  let c = 0;
  let s = 0;
  for (const v of nn) {
    if (Math.abs(v.d - pitch) > 0.25 * pitch) continue; // only true nearest neighbours vote
    const th = Math.atan2(v.dy, v.dx) * sym;
    c += Math.cos(th);
    s += Math.sin(th);
  }
  const theta = Math.atan2(s, c) / sym;
  const second = theta + (kind === 'square' ? Math.PI / 2 : Math.PI / 3);
  const basis: LatticeAffine = {
    x0: 0,
    y0: 0,
    xa: pitch * Math.cos(theta),
    ya: pitch * Math.sin(theta),
    xb: pitch * Math.cos(second),
    yb: pitch * Math.sin(second),
  };
  const step = (from: number, to: number): LatticeCoord => {
    const l = pxToLattice(basis, pos[to]!.x - pos[from]!.x, pos[to]!.y - pos[from]!.y);
    return { a: Math.round(l.a), b: Math.round(l.b) };
  };
  const coords: (LatticeCoord | undefined)[] = new Array<LatticeCoord | undefined>(n);
  const reach = (1.5 * pitch) ** 2;
  let placed = 0;
  while (placed < n) {
    // seed: the first unplaced spot, placed from its nearest placed spot (or at the origin)
    let seed = -1;
    let from = -1;
    let bestD = Infinity;
    for (let i = 0; i < n && seed < 0; i++) if (!coords[i]) seed = i;
    if (placed > 0)
      for (let j = 0; j < n; j++)
        if (coords[j] && d2(seed, j) < bestD) {
          bestD = d2(seed, j);
          from = j;
        }
    if (from < 0) coords[seed] = { a: 0, b: 0 };
    else {
      const st = step(from, seed);
      coords[seed] = { a: coords[from]!.a + st.a, b: coords[from]!.b + st.b };
    }
    placed++;
    const queue = [seed];
    for (let h = 0; h < queue.length; h++) {
      const i = queue[h]!;
      for (let j = 0; j < n; j++) {
        if (coords[j] || d2(i, j) > reach) continue;
        const st = step(i, j);
        coords[j] = { a: coords[i]!.a + st.a, b: coords[i]!.b + st.b };
        placed++;
        queue.push(j);
      }
    }
  }
  return coords as LatticeCoord[];
}

/**
 * Canonical coordinates of every spot: the given `lattice` field when all spots have one, else the
 * array indices when all have them, else inferred from the positions.
 */
export function latticeCoordsOf(
  spots: readonly PositionedSpot[],
  kind: SpotLattice,
): { coords: LatticeCoord[]; source: 'given' | 'indices' | 'positions' } {
  if (spots.length > 0 && spots.every((s) => s.lattice !== undefined))
    return { coords: spots.map((s) => s.lattice!), source: 'given' };
  const haveIdx = spots.every(
    (s) => s.row !== undefined && s.col !== undefined && Number.isInteger(s.row) && Number.isInteger(s.col),
  );
  if (spots.length > 0 && haveIdx) {
    const coords =
      kind === 'square' ? spots.map((s) => ({ a: s.col!, b: s.row! })) : hexAxialFromIndices(spots);
    return { coords, source: 'indices' };
  }
  return { coords: inferLatticeCoords(spots, kind), source: 'positions' };
}

/** A spot with its canonical lattice coordinates and full-res position. */
export interface LatticePoint {
  x: number;
  y: number;
  a: number;
  b: number;
}

// Denser lattices (HisToSGE's generation, the interpolation baseline, the generic spot-set path).
// New spots are placed from the measured lattice only: a generated point p = s + f_a·u + f_b·v
// (u = (1, 0), v = (0, 1) neighbour vectors) is put at the interpolation of its parent spots'
// MEASURED pixel positions, so no pixel pitch is assumed.

/** Offsets (f_a, f_b) ∈ [0, 1)² of one lattice cell for a density fold (the first is (0, 0)). */
export function cellOffsets(lattice: SpotLattice, fold: number): [number, number][] {
  const k = Math.round(Math.sqrt(fold));
  const out: [number, number][] = [];
  if (k >= 1 && k * k === fold) {
    // k× subdivision of both neighbour vectors: k² nodes per cell, fold k² in density.
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out.push([i / k, j / k]);
    return out;
  }
  const h = Math.round(Math.sqrt(fold / 2));
  if (lattice === 'square' && 2 * h * h === fold) {
    // The checkerboard of the 2h-subdivision: a square lattice rotated 45°, fold 2h² (2×, 8×).
    const m = 2 * h;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if ((i + j) % 2 === 0) out.push([i / m, j / m]);
    return out;
  }
  throw badInput(
    `fold ${fold} is not a lattice subdivision: use k² (4, 9, 16…)` +
      (lattice === 'square' ? ' or 2k² (2, 8, 18…) on square lattices.' : ' on hexagonal lattices.'),
  );
}

/**
 * Parents of p = s + f_a·u + f_b·v with their weights. Square: bilinear on the cell
 * {s, s+u, s+v, s+u+v}. Hexagonal: barycentric on the triangle holding p — (s, s+u, s+v) when
 * f_a + f_b ≤ 1, else (s+u, s+v, s+u+v) — because u + v is not a hexagonal neighbour but u − v is.
 * Weights below 1e-9 are dropped, so an edge midpoint has exactly its two endpoints.
 */
export function parents(
  lattice: SpotLattice,
  fa: number,
  fb: number,
): { da: number; db: number; w: number }[] {
  const raw =
    lattice === 'square'
      ? [
          { da: 0, db: 0, w: (1 - fa) * (1 - fb) },
          { da: 1, db: 0, w: fa * (1 - fb) },
          { da: 0, db: 1, w: (1 - fa) * fb },
          { da: 1, db: 1, w: fa * fb },
        ]
      : fa + fb <= 1 + 1e-12
        ? [
            { da: 0, db: 0, w: 1 - fa - fb },
            { da: 1, db: 0, w: fa },
            { da: 0, db: 1, w: fb },
          ]
        : [
            { da: 1, db: 0, w: 1 - fb },
            { da: 0, db: 1, w: 1 - fa },
            { da: 1, db: 1, w: fa + fb - 1 },
          ];
  return raw.filter((p) => p.w > 1e-9);
}

export interface GeneratedSpot extends LatticePoint {
  /** true for a measured spot kept in the output */
  measured: boolean;
  /** indices (into the measured spots) of the parents; the spot itself for a measured spot */
  parents: number[];
  /** the parents' interpolation weights (sum 1), as placed: bilinear (square) or barycentric (hex) */
  weights: number[];
}

/**
 * Measured spots plus the new spots of a `fold`× denser lattice. A new spot is kept only when all
 * its parents were measured (it lies between measured spots, never past the edge) and it is on
 * tissue; duplicates (the same lattice coordinate reached twice, e.g. from duplicate input spots)
 * are removed.
 */
export function generatePositions(
  measured: readonly LatticePoint[],
  lattice: SpotLattice,
  fold: number,
  onTissue: (x: number, y: number) => boolean,
): GeneratedSpot[] {
  const offsets = cellOffsets(lattice, fold);
  const key = (a: number, b: number) => `${Math.round(a * 1e6)},${Math.round(b * 1e6)}`;
  const at = new Map<string, number>();
  measured.forEach((s, i) => {
    const k = key(s.a, s.b);
    if (!at.has(k)) at.set(k, i);
  });
  const seen = new Set<string>();
  const out: GeneratedSpot[] = [];
  measured.forEach((s, i) => {
    const k = key(s.a, s.b);
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ ...s, measured: true, parents: [i], weights: [1] });
  });
  for (const s of measured) {
    for (const [fa, fb] of offsets) {
      if (fa === 0 && fb === 0) continue;
      const a = s.a + fa;
      const b = s.b + fb;
      const k = key(a, b);
      if (seen.has(k)) continue;
      const ps = parents(lattice, fa, fb);
      const idx = ps.map((p) => at.get(key(s.a + p.da, s.b + p.db)));
      if (idx.some((v) => v === undefined)) continue;
      let x = 0;
      let y = 0;
      ps.forEach((p, q) => {
        const m = measured[idx[q]!]!;
        x += p.w * m.x;
        y += p.w * m.y;
      });
      if (!onTissue(x, y)) continue;
      seen.add(k);
      out.push({ x, y, a, b, measured: false, parents: idx as number[], weights: ps.map((p) => p.w) });
    }
  }
  return out;
}

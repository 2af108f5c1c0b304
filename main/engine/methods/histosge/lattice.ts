/**
 * Lattice side of HisToSGE: position-embedding indices, attention sequences (chunks of L spots) and
 * the generation of denser spots (methods.md §4.2 "Generation", §12 rows 13–14).
 *
 * Coordinates are the canonical lattice frame of types.ts (square: a = col, b = row; hexagonal:
 * axial, neighbours (±1, 0), (0, ±1), ±(1, −1)). New spots are placed from the measured lattice
 * only: a generated point p = s + f_a·u + f_b·v (u = (1, 0), v = (0, 1) neighbour vectors) is put at
 * the interpolation of its parent spots' MEASURED pixel positions, so no pixel pitch is assumed.
 */
import { badInput } from '../../errors';
import type { LatticeCoord, SpotLattice } from '../types';

export interface LatticePoint {
  x: number;
  y: number;
  a: number;
  b: number;
}

/** Origin of the embedding tables: the measured spots' minimum lattice coordinates. */
export interface PeFrame {
  aMin: number;
  bMin: number;
  size: number;
}

export function peFrame(coords: readonly LatticeCoord[], minSize: number): PeFrame {
  let aMin = Infinity;
  let bMin = Infinity;
  let aMax = -Infinity;
  let bMax = -Infinity;
  for (const c of coords) {
    aMin = Math.min(aMin, Math.floor(c.a));
    bMin = Math.min(bMin, Math.floor(c.b));
    aMax = Math.max(aMax, Math.ceil(c.a));
    bMax = Math.max(bMax, Math.ceil(c.b));
  }
  if (!Number.isFinite(aMin)) throw badInput('HisToSGE needs at least one spot.');
  // +2: a point just past the last measured index still has a `hi` row.
  return { aMin, bMin, size: Math.max(minSize, aMax - aMin + 2, bMax - bMin + 2) };
}

/**
 * (lo, hi, fraction) of a coordinate in the table: a = lo + f with f ∈ [0, 1), clamped to the
 * table (points outside the measured range reuse the border embedding rather than reading garbage).
 */
export function peIndex(v: number, min: number, size: number): [number, number, number] {
  const t = Math.min(size - 1, Math.max(0, v - min));
  const lo = Math.floor(t);
  const f = t - lo;
  return f < 1e-9 ? [lo, lo, 0] : [lo, Math.min(size - 1, lo + 1), f];
}

export type ChunkOrder = 'tiles' | 'anndata';

/**
 * Spots in chunks of at most L (the last may be short; it is padded with the attention mask).
 * 'anndata': input order, as the original (barcode order, not spatial). 'tiles': bands of ⌈√L⌉
 * lattice rows, each band read column by column in a serpentine, so consecutive L spots form a
 * compact ≈ √L × √L patch of tissue and attention mixes neighbours.
 */
export function chunks(coords: readonly LatticeCoord[], L: number, order: ChunkOrder): number[][] {
  const idx = coords.map((_, i) => i);
  if (order === 'tiles') {
    const band = Math.max(1, Math.ceil(Math.sqrt(L)));
    let bMin = Infinity;
    for (const c of coords) bMin = Math.min(bMin, c.b);
    const bandOf = (i: number) => Math.floor((coords[i]!.b - bMin) / band);
    idx.sort((i, j) => {
      const bi = bandOf(i);
      const bj = bandOf(j);
      if (bi !== bj) return bi - bj;
      const dir = bi % 2 === 0 ? 1 : -1;
      const ci = coords[i]!;
      const cj = coords[j]!;
      return ci.a !== cj.a ? dir * (ci.a - cj.a) : ci.b - cj.b;
    });
  }
  const out: number[][] = [];
  for (let k = 0; k < idx.length; k += L) out.push(idx.slice(k, k + L));
  return out;
}

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

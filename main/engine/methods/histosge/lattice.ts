/**
 * Lattice side of HisToSGE: position-embedding indices and attention sequences (chunks of L spots)
 * in the canonical lattice frame of analysis/lattice.ts, where the generation of denser spots
 * (methods.md §4.2 "Generation", §12 rows 13–14) lives because the interpolation baseline and the
 * generic spot-set path place spots the same way.
 */
import { badInput } from '../../errors';
import type { LatticeCoord } from '../../analysis/lattice';

export {
  cellOffsets,
  generatePositions,
  parents,
  type GeneratedSpot,
  type LatticePoint,
} from '../../analysis/lattice';

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

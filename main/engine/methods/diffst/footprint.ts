/**
 * Which measured spot a point of the slide belongs to, from the spots' own footprints (SrSpot:
 * the union of its members' disks). Diff-ST places its 2× nodes with the lattice → px affine fitted
 * to the spot centres; a pseudo-spot cut by the tissue edge has its centre at its members'
 * centroid, off its block's centre, so the fitted affine can put a member's area outside its
 * parent's lattice cell, and the 2× node nearest to it is then a child of an unmeasured neighbour.
 * Reading by footprint gives every point inside a measured spot a value from that spot's children.
 */
import type { DiskCentre } from '../types';

export interface Footprints {
  /** the raster pixel (parent) of the spot whose footprint holds (x, y), or −1 */
  ownerAt(x: number, y: number): number;
  /** bounding box of all footprints (full-res px) */
  bounds: { x0: number; y0: number; x1: number; y1: number };
}

/**
 * Footprints of the spots (members' disks of `diameterPx`), each spot standing for raster pixel
 * `spotPixel[s]`. A point covered by several disks belongs to the nearest member's spot.
 */
export function spotFootprints(
  spots: readonly { members: readonly DiskCentre[] }[],
  spotPixel: ArrayLike<number>,
  diameterPx: number,
): Footprints {
  const r = diameterPx / 2;
  if (!(r > 0)) throw new RangeError(`footprint diameter must be positive, got ${diameterPx}`);
  const xs: number[] = [];
  const ys: number[] = [];
  const owner: number[] = [];
  spots.forEach((s, k) => {
    for (const m of s.members) {
      xs.push(m.x);
      ys.push(m.y);
      owner.push(spotPixel[k]!);
    }
  });
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < xs.length; k++) {
    x0 = Math.min(x0, xs[k]! - r);
    y0 = Math.min(y0, ys[k]! - r);
    x1 = Math.max(x1, xs[k]! + r);
    y1 = Math.max(y1, ys[k]! + r);
  }
  // Buckets of side r: a member within r of a point lies in the point's bucket or a neighbour.
  const buckets = new Map<string, number[]>();
  const key = (bx: number, by: number) => `${bx},${by}`;
  for (let k = 0; k < xs.length; k++) {
    const kk = key(Math.floor(xs[k]! / r), Math.floor(ys[k]! / r));
    const b = buckets.get(kk);
    if (b) b.push(k);
    else buckets.set(kk, [k]);
  }
  return {
    bounds: { x0, y0, x1, y1 },
    ownerAt(x, y) {
      const bx = Math.floor(x / r);
      const by = Math.floor(y / r);
      let best = r * r;
      let found = -1;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          for (const k of buckets.get(key(bx + dx, by + dy)) ?? []) {
            const d = (xs[k]! - x) ** 2 + (ys[k]! - y) ** 2;
            if (d <= best) {
              best = d;
              found = owner[k]!;
            }
          }
      return found;
    },
  };
}

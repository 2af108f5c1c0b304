/**
 * The `coarse` baseline (benchmark.md "Protocol coarsen" step 5): every target gets the value of the
 * measured (pseudo-)spot whose footprint holds it, divided by that spot's member count — i.e. the
 * pseudo-spot's mean per original spot, flat inside the pseudo-spot.
 *
 * Which footprint holds a target is decided geometrically (the nearest member-disk centre), so the
 * method needs no protocol bookkeeping; for targets outside every footprint (holdout) this is the
 * nearest measured spot. In the coarsen protocol the result is exactly analysis/coarseBaseline's.
 */
import { throwIfAborted } from '../../errors';
import type { SrMethod } from '../types';

export const coarseMethod: SrMethod = {
  name: 'coarse',
  kind: 'spot',
  description: "each target gets its (pseudo-)spot's value divided by the member count (no spread)",
  predict(input, _options, progress, signal) {
    throwIfAborted(signal);
    const { nCols: g, data } = input.values;
    const perMember = input.space === 'counts';
    const disks: { x: number; y: number; spot: number }[] = [];
    input.spots.forEach((s, i) => s.members.forEach((m) => disks.push({ x: m.x, y: m.y, spot: i })));
    const out = new Float64Array(input.targets.length * g);
    input.targets.forEach((t, k) => {
      let best = Infinity;
      let spot = -1;
      for (const d of disks) {
        const d2 = (d.x - t.x) ** 2 + (d.y - t.y) ** 2;
        if (d2 < best) {
          best = d2;
          spot = d.spot;
        }
      }
      const m = perMember ? Math.max(1, input.spots[spot]!.members.length) : 1;
      for (let j = 0; j < g; j++) out[k * g + j] = data[spot * g + j]! / m;
    });
    progress({ fraction: 1 });
    return Promise.resolve({
      kind: 'spot',
      values: { nRows: input.targets.length, nCols: g, data: out },
    });
  },
};

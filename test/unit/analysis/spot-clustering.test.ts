import { describe, expect, it } from 'vitest';
import { smoothOverNeighbours } from '../../../main/engine/analysis/spot-clustering';

describe('spatially smoothed spot scores', () => {
  it('averages each spot half-and-half with its first-ring neighbours (hand-checked)', () => {
    // a 3-spot row at pitch 1 and one far spot: NN distances 1, 1, 1, 10 → median 1, radius 1.5
    const pos = [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: 2, y: 0 },
      { x: 12, y: 0 },
    ];
    const s = Float64Array.of(0, 4, 8, 100);
    const out = smoothOverNeighbours(s, 1, pos);
    expect(Array.from(out)).toEqual([0.5 * 0 + 0.5 * 4, 0.5 * 4 + 0.5 * 4, 0.5 * 8 + 0.5 * 4, 100]);
  });
});

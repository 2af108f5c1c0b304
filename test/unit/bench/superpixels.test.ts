/** The superpixel → spot reading of benchmark.md step 3, by hand on a small grid. */
import { describe, expect, it } from 'vitest';
import { superpixelsToSpots, type SuperpixelOutput } from '../../../main/engine/methods/types';

// origin (10, 20), 4 px superpixels, 5 wide × 4 high, 2 genes: value(i, j, g) = 10i + j + 100g.
// Centres: x = 12, 16, 20, 24, 28 (j = 0..4); y = 22, 26, 30, 34 (i = 0..3).
function map(present?: Uint8Array): SuperpixelOutput {
  const values = new Float32Array(4 * 5 * 2);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 5; j++)
      for (let g = 0; g < 2; g++) values[(i * 5 + j) * 2 + g] = 10 * i + j + 100 * g;
  const m: SuperpixelOutput = {
    kind: 'superpixel',
    grid: { originX: 10, originY: 20, sizePx: 4, width: 5, height: 4 },
    nGenes: 2,
    values,
  };
  if (present) m.present = present;
  return m;
}

describe('superpixelsToSpots', () => {
  it('means the superpixels whose centres are inside the disk', () => {
    // disk at (20, 28), r = 4.5: offsets (0, ±2) → d² 4 and (±4, ±2) → 20 ≤ 20.25 are in; (0, ±6) → 36 is out.
    // So j ∈ {1, 2, 3}, i ∈ {1, 2}: mean 10i = 15, mean j = 2.
    const r = superpixelsToSpots(map(), [{ x: 20, y: 28 }], 9);
    expect(Array.from(r.data)).toEqual([17, 117]);
  });

  it('skips superpixels that are not present', () => {
    const present = new Uint8Array(20).fill(1);
    present[1 * 5 + 3] = 0; // (i 1, j 3)
    // remaining (1,1) (1,2) (2,1) (2,2) (2,3): 10i mean 16, j mean 1.8
    const r = superpixelsToSpots(map(present), [{ x: 20, y: 28 }], 9);
    expect(r.data[0]).toBeCloseTo(17.8, 12);
    expect(r.data[1]).toBeCloseTo(117.8, 12);
  });

  it('a disk smaller than a superpixel takes the superpixel under its centre; outside the grid is NaN', () => {
    // (13, 23): nearest centre (12, 22) is √2 away > r = 0.5 → superpixel (0, 0)
    const r = superpixelsToSpots(
      map(),
      [
        { x: 13, y: 23 },
        { x: 0, y: 0 },
      ],
      1,
    );
    expect(Array.from(r.data.subarray(0, 2))).toEqual([0, 100]);
    expect(Number.isNaN(r.data[2])).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  brushRing,
  closeRing,
  rectangleRing,
  ringArea,
} from '../../../renderer/src/features/annotations/shapes';

describe('annotation shapes', () => {
  it('rectangles are closed axis-aligned rings from any two corners', () => {
    const r = rectangleRing([10, 4], [2, 8]);
    expect(r).toEqual([
      [2, 4],
      [10, 4],
      [10, 8],
      [2, 8],
      [2, 4],
    ]);
    expect(ringArea(r)).toBe(32);
    expect(
      closeRing([
        [0, 0],
        [1, 0],
        [1, 1],
      ]),
    ).toHaveLength(4);
  });

  it('a brush dab is a closed ring holding a disk of the brush radius', () => {
    const ring = brushRing([[100, 100]], 8);
    expect(ring[0]).toEqual(ring.at(-1));
    // rasterised at radius/4 cells: the disk's area within a few cells' worth
    expect(ringArea(ring)).toBeGreaterThan(Math.PI * 64 * 0.85);
    expect(ringArea(ring)).toBeLessThan(Math.PI * 64 * 1.2);
    for (const [x, y] of ring) expect(Math.hypot(x - 100, y - 100)).toBeLessThan(8 + 3);
  });

  it('a stroke is a capsule; a closed loop stroke is filled', () => {
    const line = brushRing(
      [
        [0, 0],
        [100, 0],
      ],
      5,
    );
    // capsule: 100 × 10 + π·25
    expect(ringArea(line) / (1000 + Math.PI * 25)).toBeCloseTo(1, 1);
    const loop = brushRing(
      [
        [0, 0],
        [100, 0],
        [100, 100],
        [0, 100],
        [0, 0],
      ],
      5,
    );
    // the square's inside counts: ≈ 110 × 110 with rounded corners
    expect(ringArea(loop)).toBeGreaterThan(105 * 105);
    expect(ringArea(loop)).toBeLessThan(111 * 111);
  });
});

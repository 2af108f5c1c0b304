/** TESLA's weighting (methods.md §7) and numpy's linear quantile, by hand. */
import { describe, expect, it } from 'vitest';
import { quantileLinear, teslaImpute } from '../../../main/engine/methods/baselines/index';

const f64 = (v: number[]) => Float64Array.from(v);

describe('TESLA imputation', () => {
  it('quantile matches numpy.quantile (linear)', () => {
    // sorted [1,1,2,3,4,5,6,9]; q = 0.3 → position 2.1 → 2 + 0.1·(3 − 2)
    expect(quantileLinear(f64([3, 1, 4, 1, 5, 9, 2, 6]), 0.3)).toBeCloseTo(2.1, 12);
    expect(quantileLinear(f64([3, 1, 4, 1, 5, 9, 2, 6]), 1)).toBe(9);
    expect(quantileLinear(f64([5]), 0.5)).toBe(5);
  });

  it('weights (d + 0.1)/min(d + 0.1) to the power −2 over neighbours within the threshold', () => {
    const spots = { x: f64([0, 10]), y: f64([0, 0]), z: f64([0, 0]) };
    const expr = { nCols: 1, data: f64([1, 0]) };
    // one superpixel at x = 2: distances 2, 8; num_nbs/N ≥ 1 → threshold = the largest distance
    const a = teslaImpute({ x: f64([2]), y: f64([0]), z: f64([0]) }, spots, expr, { numNbs: 10 });
    expect(a[0]).toBeCloseTo(1 / (1 + (2.1 / 8.1) ** 2), 12);
    // superpixels at x = 2 and 9: distances [2, 8, 9, 1]; num_nbs 1 → q = 0.5 → threshold 5:
    // each keeps only its near spot.
    const b = teslaImpute({ x: f64([2, 9]), y: f64([0, 0]), z: f64([0, 0]) }, spots, expr, { numNbs: 1 });
    expect(Array.from(b)).toEqual([1, 0]);
    // the colour axis counts like space: a superpixel equidistant in x but far in z from spot 0
    const c = teslaImpute({ x: f64([5]), y: f64([0]), z: f64([-3]) }, { ...spots, z: f64([3, -3]) }, expr, {
      numNbs: 10,
    });
    // d0 = √(25 + 36) = √61, d1 = 5
    expect(c[0]).toBeCloseTo(
      (5.1 / (Math.sqrt(61) + 0.1)) ** 2 / (1 + (5.1 / (Math.sqrt(61) + 0.1)) ** 2),
      12,
    );
  });
});

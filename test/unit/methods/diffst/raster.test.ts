/** Rasters, the 2× coarsening, min-max, the co-expression adjacency, calibration, Spearman's ρ. */
import { describe, expect, it } from 'vitest';
import {
  calibrateToParents,
  childAffine,
  coarsen2,
  coexpressionAdjacency,
  dihedral,
  minMax,
  pixelAt,
  pixelCentre,
  rasteriseLattice,
  unMinMax,
  windowMinMax,
} from '../../../../main/engine/methods/diffst/raster';
import { ranks, spearman, uncertaintyVsError } from '../../../../main/engine/methods/diffst/uncertainty';
import { windowOrigins } from '../../../../main/engine/methods/diffst/pipeline';

// A 3×3 square lattice, 1 gene, value = 10·row + col, one spot missing at (row 1, col 2).
function lattice3() {
  const a: number[] = [];
  const b: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const v: number[] = [];
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) {
      if (r === 1 && c === 2) continue;
      a.push(c + 5);
      b.push(r + 7);
      // rotated by 90°: column steps go down, row steps go left
      x.push(1000 - 200 * r);
      y.push(50 + 200 * c);
      v.push(10 * r + c);
    }
  return rasteriseLattice(a, b, x, y, v, 1);
}

describe('Diff-ST rasters', () => {
  it('places lattice spots and fits the lattice → px affine (rotated lattice)', () => {
    const R = lattice3();
    expect([R.width, R.height]).toEqual([3, 3]);
    expect(Array.from(R.present)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1]);
    expect(R.values[1 * 3 + 1]).toBe(11);
    expect(R.pitch).toBeCloseTo(200, 9);
    const c = pixelCentre(R.affine, 2, 1);
    expect(c.x).toBeCloseTo(600, 9);
    expect(c.y).toBeCloseTo(250, 9);
    const back = pixelAt(R.affine, 600, 250);
    expect(back.i).toBeCloseTo(2, 9);
    expect(back.j).toBeCloseTo(1, 9);
  });

  it('coarsens 2×2 blocks (mean of measured children) for both parities', () => {
    const R = lattice3();
    const lr = coarsen2(R, 0, 0);
    expect([lr.width, lr.height]).toEqual([2, 2]);
    expect(lr.values[0]).toBeCloseTo((0 + 1 + 10 + 11) / 4, 6);
    // (0,1) covers HR (0..1, 2..3): (0,2) = 2 only, (1,2) is missing
    expect(lr.values[1]).toBeCloseTo(2, 6);
    expect(lr.values[3]).toBeCloseTo(22, 6);
    const odd = coarsen2(R, 1, 1);
    expect([odd.width, odd.height]).toEqual([2, 2]);
    expect(odd.values[0]).toBe(0);
    // (1,1) covers HR rows 1–2, cols 1–2: 11, (1,2) missing, 21, 22
    expect(odd.values[3]).toBeCloseTo((11 + 21 + 22) / 3, 6);
    // LR (0,0) with parity (0,0) is centred between HR (0,0) and (1,1)
    const c = pixelCentre(lr.affine, 0, 0);
    const h = pixelCentre(R.affine, 0.5, 0.5);
    expect(c.x).toBeCloseTo(h.x, 9);
    expect(c.y).toBeCloseTo(h.y, 9);
    expect(lr.pitch).toBeCloseTo(400, 9);
  });

  it('children of the 2× raster sit a quarter pitch from their parent', () => {
    const R = lattice3();
    const f = childAffine(R.affine);
    const kid = pixelCentre(f, 2 * 1 + 1, 2 * 1 + 0); // child (1, 0) of parent (1, 1)
    const at = pixelAt(R.affine, kid.x, kid.y);
    expect(at.i).toBeCloseTo(1.25, 9);
    expect(at.j).toBeCloseTo(0.75, 9);
  });

  it('windows, min-max and its inverse', () => {
    const R = lattice3();
    const mm = windowMinMax(R, 1, 1, 2);
    expect([mm.min[0], mm.max[0]]).toEqual([11, 22]);
    expect(minMax(16.5, 11, 22)).toBeCloseTo(0.5, 9);
    expect(unMinMax(0.5, 11, 22)).toBeCloseTo(16.5, 9);
    expect(minMax(3, 3, 3)).toBe(0);
    expect(windowMinMax(R, 5, 5, 2).any).toBe(false);
    expect(windowOrigins(9, 4)).toEqual([0, 2, 4, 5]);
    expect(windowOrigins(3, 8)).toEqual([0]);
  });

  it('co-expression adjacency: max(S_i/S_j, S_j/S_i), row-normalised', () => {
    const a = coexpressionAdjacency([1, 2, 0]);
    expect(Array.from(a).map((v) => +v.toFixed(6))).toEqual(
      [1 / 3, 2 / 3, 0, 2 / 3, 1 / 3, 0, 0, 0, 1].map((v) => +v.toFixed(6)),
    );
  });

  it('calibration shifts measured children so they average to the parent', () => {
    const lr = coarsen2(lattice3(), 0, 0);
    const hr = new Float32Array(16).fill(1);
    hr[0] = 3; // child (0,0) of parent (0,0)
    const present = new Uint8Array(16).fill(1);
    present[1] = 0; // child (0,1) unmeasured
    calibrateToParents(hr, lr, present);
    const kids = [0, 4, 5].map((q) => hr[q]!);
    expect(kids.reduce((s, v) => s + v, 0) / 3).toBeCloseTo(lr.values[0]!, 5);
    expect(kids[0]! - kids[1]!).toBeCloseTo(2, 5); // the pattern is kept
    expect(hr[1]).toBe(1); // the unmeasured child is left alone
    // non-negative: parent (0,1) = 2 with children 5 and −9 → shift +4 → 9, −5 → clamp → 9, 0 → ×4/9
    const hr2 = new Float32Array(16);
    hr2[2] = 5;
    hr2[3] = -9;
    const only = new Uint8Array(16);
    only[2] = 1;
    only[3] = 1;
    calibrateToParents(hr2, lr, only, true);
    expect(hr2[2]).toBeCloseTo(4, 5);
    expect(hr2[3]).toBe(0);
  });

  it('the 8 symmetries of the square are distinct bijections', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 8; k++) {
      const img = new Set<string>();
      const sig: number[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const [a, b] = dihedral(k, i, j, 3);
          img.add(`${a},${b}`);
          sig.push(a * 3 + b);
        }
      expect(img.size).toBe(9);
      seen.add(sig.join());
    }
    expect(seen.size).toBe(8);
    expect(dihedral(4, 0, 2, 3)).toEqual([2, 0]);
  });
});

describe('uncertainty vs error', () => {
  it('ranks with ties and Spearman', () => {
    expect(Array.from(ranks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // hand-computed: ranks a = [1,2,3,4], b = [2,1,4,3] → ρ = 1 − 6·4/(4·15) = 0.6
    expect(spearman([1, 2, 3, 4], [5, 1, 9, 7])).toBeCloseTo(0.6, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('an SD equal to the absolute error (in min-max units) has ρ = 1', () => {
    const truth = { nRows: 4, nCols: 1, data: Float64Array.from([0, 1, 2, 4]) };
    const pred = { nRows: 4, nCols: 1, data: Float64Array.from([0, 2, 2, 4]) };
    // min-maxed: truth [0, .25, .5, 1], pred [0, .5, .5, 1] → |err| = [0, .25, 0, 0]; SD ∝ that
    const sd = { nRows: 4, nCols: 1, data: Float64Array.from([0.1, 3, 0.2, 0.05]) };
    const r = uncertaintyVsError(truth, pred, sd);
    expect(r.rhoPairs).toBeGreaterThan(0.7);
    const exact = { nRows: 4, nCols: 1, data: Float64Array.from([0, 1, 0, 0]) };
    expect(uncertaintyVsError(truth, pred, exact).rhoPairs).toBeCloseTo(1, 12);
  });
});

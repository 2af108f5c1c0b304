import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  adjustedRandIndexFromTable,
  latticeImageLayout,
  maePerGene,
  minMaxPerGene,
  msePerGene,
  normalizedMutualInfo,
  pccPerGene,
  rmsePerGene,
  scoreCoarsen,
  ssim,
} from '../../../main/engine/analysis/metrics';
import type { DenseMatrix } from '../../../main/engine/analysis/matrix';

const dense = (rows: number[][]): DenseMatrix => ({
  nRows: rows.length,
  nCols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});

describe('ARI', () => {
  it('matches hand-computed values', () => {
    // truth {0,0,1,1}, pred {0,0,1,2}: contingency n00=2, n11=1, n12=1.
    // Σ C(nij,2) = 1; row sums 2,2 → Σ C = 2; column sums 2,1,1 → Σ C = 1; C(4,2) = 6.
    // expected = 2·1/6 = 1/3; max = (2+1)/2 = 3/2; ARI = (1 − 1/3)/(3/2 − 1/3) = (2/3)/(7/6) = 4/7.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 14);
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(4 / 7, 14);
    // {0,0,1,1} vs {0,1,0,1}: every cell 1 → Σ C = 0; Σ C rows = Σ C cols = 2; expected 4/6;
    // max 2 → (0 − 2/3)/(2 − 2/3) = −1/2.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 14);
  });

  it('handles identical, permuted and degenerate labellings like sklearn', () => {
    expect(adjustedRandIndex(['a', 'a', 'b', 'c'], ['a', 'a', 'b', 'c'])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])).toBe(1); // renamed clusters
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 0, 0, 0])).toBe(1); // both one cluster
    expect(adjustedRandIndex([0, 1, 2, 3], [5, 6, 7, 8])).toBe(1); // both all singletons
    // One cluster against all singletons: Σ C(nij) = 0, expected = 6·0/6 = 0, max = 3 → 0.
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
  });

  it('drops unlabelled points and excluded classes', () => {
    // Without index 2 the labellings agree perfectly; with it they would not.
    expect(adjustedRandIndex(['a', 'a', '', 'b', 'b'], [0, 0, 1, 1, 1])).toBe(1);
    expect(adjustedRandIndex(['a', 'a', 'x', 'b', 'b'], [0, 0, 1, 1, 1], ['x'])).toBe(1);
    expect(adjustedRandIndex(['a', 'a', 'x', 'b', 'b'], [0, 0, 1, 1, 1])).toBeLessThan(1);
    expect(adjustedRandIndex([0, 0, null, 1, 1], [0, 0, 1, 1, -1])).toBe(1);
  });

  it('agrees with the textbook contingency formula on a larger case', () => {
    const truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1];
    const pred = [1, 1, 0, 0, 0, 2, 2, 2, 2, 1, 1, 0];
    const table = [0, 1, 2].map((t) =>
      [0, 1, 2].map((p) => truth.filter((v, i) => v === t && pred[i] === p).length),
    );
    expect(adjustedRandIndex(truth, pred)).toBeCloseTo(adjustedRandIndexFromTable(table), 12);
  });
});

describe('NMI (arithmetic)', () => {
  it('matches a hand-computed value', () => {
    // {0,0,1,1} vs {0,0,1,2}: MI = ½ln(½/¼) + 2·¼ln(¼/⅛) = ln2; H(truth) = ln2;
    // H(pred) = −(½ln½ + 2·¼ln¼) = 1.5 ln2; NMI = ln2 / ((1 + 1.5)/2 · ln2) = 0.8.
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.8, 14);
  });
  it('edge cases', () => {
    expect(normalizedMutualInfo([1, 1, 2, 2], [7, 7, 3, 3])).toBeCloseTo(1, 14);
    expect(normalizedMutualInfo([0, 0, 0, 0], [1, 1, 1, 1])).toBe(1);
    expect(normalizedMutualInfo([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1])).toBe(0);
  });
});

describe('per-gene accuracy metrics', () => {
  // gene 0: truth 1,2,3,4 and prediction 2,4,5,9; gene 1 is constant in the prediction.
  const t = dense([
    [1, 5],
    [2, 6],
    [3, 7],
    [4, 9],
  ]);
  const p = dense([
    [2, 3],
    [4, 3],
    [5, 3],
    [9, 3],
  ]);

  it('min-max then RMSE, MSE, MAE by hand', () => {
    const tn = minMaxPerGene(t);
    const pn = minMaxPerGene(p);
    // truth → 0, 1/3, 2/3, 1; prediction (min 2, max 9) → 0, 2/7, 3/7, 1.
    // differences 0, −1/21, −5/21, 0: MSE = (1 + 25)/441/4 = 13/882, MAE = 6/21/4 = 1/14.
    expect(msePerGene(tn, pn)[0]).toBeCloseTo(13 / 882, 10);
    expect(rmsePerGene(tn, pn)[0]).toBeCloseTo(Math.sqrt(13 / 882), 10);
    expect(maePerGene(tn, pn)[0]).toBeCloseTo(1 / 14, 10);
    // A constant prediction min-maxes to all zeros (0/ε), not NaN.
    expect(Array.from(pn.data.filter((_, i) => i % 2 === 1))).toEqual([0, 0, 0, 0]);
  });

  it('PCC by hand, constant genes skipped', () => {
    // deviations t: −1.5, −.5, .5, 1.5; p: −3, −1, 0, 4 → Σtp = 11, Σt² = 5, Σp² = 26 → 11/√130.
    const r = pccPerGene(t, p);
    expect(r[0]).toBeCloseTo(11 / Math.sqrt(130), 14);
    expect(Number.isNaN(r[1])).toBe(true);
  });
});

describe('SSIM (scikit-image defaults)', () => {
  it('7×7 case worked by hand', () => {
    // A: row 0 all 1, rest 0 (7 ones). B: rows 0–1 all 1 (14 ones). One 7×7 window, so the cropped
    // SSIM map is a single pixel. N = 49, sample-covariance factor 49/48.
    //   μx = 7/49 = 1/7, μy = 14/49 = 2/7
    //   σx² = 49/48·(7/49 − 1/49) = 6/48 = 1/8;  σy² = 49/48·(14/49 − 4/49) = 10/48 = 5/24
    //   σxy = 49/48·(7/49 − 2/49) = 5/48          (Σxy = 7: the rows overlap in row 0)
    //   C1 = (0.01·1)² = 1e-4, C2 = (0.03·1)² = 9e-4
    //   SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
    //        = (4/49 + 1e-4)(10/48 + 9e-4) / ((5/49 + 1e-4)(1/3 + 9e-4))
    //        = 251387573/501841323 ≈ 0.5009303966783939 (exact fraction arithmetic)
    const A = new Float64Array(49);
    const B = new Float64Array(49);
    for (let j = 0; j < 7; j++) {
      A[j] = 1;
      B[j] = 1;
      B[7 + j] = 1;
    }
    expect(ssim(A, B, 7, 7)).toBeCloseTo(251387573 / 501841323, 14);
    expect(ssim(A, A, 7, 7)).toBeCloseTo(1, 14);
  });

  it('matches a scipy uniform_filter evaluation of the same formula on a 10×12 image', () => {
    // Reference: skimage's algorithm written out with scipy.ndimage.uniform_filter (size 7),
    // cov_norm 49/48, 3-px crop, mean → 0.017585743322425157.
    const H = 10;
    const W = 12;
    const a = new Float64Array(H * W);
    const b = new Float64Array(H * W);
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        a[i * W + j] = ((i * 7 + j * 3) % 11) / 10;
        b[i * W + j] = ((i * 5 + j * 2 + 1) % 13) / 12;
      }
    expect(ssim(a, b, H, W)).toBeCloseTo(0.017585743322425157, 13);
  });

  it('places spots on square and hex lattices one pixel per position', () => {
    const sq = latticeImageLayout([0, 0, 1], [3, 4, 3], 'square');
    expect([sq.height, sq.width, ...sq.pixel]).toEqual([2, 2, 0, 1, 2]);
    // Visium doubled coordinates: row 0 has even cols, row 1 odd cols; halving keeps them apart.
    const hx = latticeImageLayout([0, 0, 1, 1], [0, 2, 1, 3], 'hex');
    expect([hx.height, hx.width, ...hx.pixel]).toEqual([2, 2, 0, 1, 2, 3]);
    expect(() => latticeImageLayout([0, 0], [1, 1], 'square')).toThrow(/share one lattice position/);
  });

  it('scoreCoarsen of a perfect prediction', () => {
    const rows = Array.from({ length: 64 }, (_, i) => Math.floor(i / 8));
    const cols = Array.from({ length: 64 }, (_, i) => i % 8);
    const layout = latticeImageLayout(rows, cols, 'square');
    const m = dense(Array.from({ length: 64 }, (_, i) => [Math.sin(i), (i * 37) % 11]));
    const s = scoreCoarsen(m, m, layout);
    expect(s.rmse).toBe(0);
    expect(s.pcc).toBeCloseTo(1, 12);
    expect(s.ssim).toBeCloseTo(1, 12);
    expect(s.pccGenes).toBe(2);
  });
});

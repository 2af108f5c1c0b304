import { describe, expect, it } from 'vitest';
import { Rng } from '../../../main/engine/analysis/random';
import {
  csrColumnStats,
  denseColumnStats,
  log1pCsr,
  normalizeTotal,
  scale,
} from '../../../main/engine/analysis/normalise';
import { csrToDense } from '../../../main/engine/analysis/matrix';
import { relabelSmallComponents, smoothChannels } from '../../../main/engine/analysis/spatial';
import type { CsrMatrix } from '../../../main/engine/io/sample';
import { loadHer2st } from './her2st-fixture';

const her2stA1 = await loadHer2st('A1');

describe('Rng', () => {
  it('is reproducible, uniform in [0,1), and its normals have mean 0 and variance 1', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 10; i++) expect(a.nextUint32()).toBe(b.nextUint32());
    expect(new Rng(43).nextUint32()).not.toBe(new Rng(42).nextUint32());
    const r = new Rng(1);
    let m = 0;
    let v = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      m += z;
      v += z * z;
    }
    // standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance
    expect(Math.abs(m / n)).toBeLessThan(0.011);
    expect(Math.abs(v / n - 1)).toBeLessThan(0.016);
    for (let i = 0; i < 1000; i++) {
      const u = r.random();
      expect(u >= 0 && u < 1).toBe(true);
      expect(r.int(7)).toBeLessThan(7);
    }
    const d = r.derangement(10);
    d.forEach((p, i) => expect(p).not.toBe(i));
    expect(new Set(d).size).toBe(10);
  });
});

describe('normalisation', () => {
  // rows [1,3,0], [0,0,0], [2,2,4]
  const m: CsrMatrix = {
    nRows: 3,
    nCols: 3,
    indptr: Uint32Array.from([0, 2, 2, 5]),
    indices: Uint32Array.from([0, 1, 0, 1, 2]),
    data: Float32Array.from([1, 3, 2, 2, 4]),
  };
  it('normalize_total and log1p by hand', () => {
    // target 10: row 0 total 4 → ×2.5 → [2.5, 7.5, 0]; row 1 stays 0; row 2 total 8 → ×1.25 → [2.5, 2.5, 5]
    const nt = csrToDense(normalizeTotal(m, { targetSum: 10 }));
    expect(Array.from(nt.data)).toEqual([2.5, 7.5, 0, 0, 0, 0, 2.5, 2.5, 5]);
    const l = csrToDense(log1pCsr(normalizeTotal(m, { targetSum: 10 })));
    expect(l.data[1]).toBeCloseTo(Math.log(8.5), 6);
  });
  it('scale: zero mean, ddof-1 unit variance, symmetric clip', () => {
    // column 1,2,3,4: mean 2.5, sample sd √(5/3); (1 − 2.5)/√(5/3) = −1.161895…
    const d = { nRows: 4, nCols: 2, data: Float64Array.from([1, 7, 2, 7, 3, 7, 4, 7]) };
    const s = scale(d);
    expect(s.matrix.data[0]).toBeCloseTo(-1.5 / Math.sqrt(5 / 3), 14);
    expect(s.std[1]).toBe(1); // constant gene divides by 1, not 0
    expect(s.matrix.data[1]).toBe(0);
    const c = scale(d, { maxValue: 1 });
    expect(c.matrix.data[0]).toBe(-1);
    expect(c.matrix.data[6]).toBe(1);
  });
  it('sparse column statistics equal dense ones on HER2ST A1', () => {
    const s = her2stA1;
    const cols = Uint32Array.from([0, 5, 100, 2000, s.genes.indexOf('ERBB2')]);
    const sub = csrToDense(s.counts, { columns: cols });
    const dense = denseColumnStats(sub);
    const sparse = csrColumnStats(s.counts);
    cols.forEach((j, t) => {
      expect(sparse.mean[j]).toBeCloseTo(dense.mean[t]!, 12);
      expect(sparse.variance[j]).toBeCloseTo(dense.variance[t]!, 10);
    });
  });
});

describe('spatial post-processing', () => {
  it('uniform smoothing with reflect border, by hand', () => {
    // 1×3 image [1, 2, 4], size 3 (offsets −1…+1), BORDER_REFLECT: x0 → (1+1+2)/3, x1 → 7/3, x2 → (2+4+4)/3
    const out = smoothChannels(Float64Array.from([1, 2, 4]), 1, 3, 1, Uint8Array.from([1, 1, 1]), {
      size: 3,
    });
    expect(out[0]).toBeCloseTo(4 / 3, 6);
    expect(out[1]).toBeCloseTo(7 / 3, 6);
    expect(out[2]).toBeCloseTo(10 / 3, 6);
    // a masked pixel is ignored (normalised convolution) and stays NaN
    const m = smoothChannels(Float64Array.from([1, 100, 4]), 1, 3, 1, Uint8Array.from([1, 0, 1]), {
      size: 3,
    });
    expect(Number.isNaN(m[1])).toBe(true);
    expect(m[0]).toBeCloseTo(1, 6); // neighbours: 1 (reflected), 1, masked
  });
  it('small components take the most frequent neighbouring label', () => {
    // 4×4: label 0 everywhere, a one-pixel island of 1 and a two-pixel island of 2 at the border
    const L = Int32Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0]);
    const out = relabelSmallComponents(L, 4, 4, 3);
    expect(Array.from(out)).toEqual(new Array(16).fill(0));
    // with minSize 2 the two-pixel island survives (renumbered by size: 0 stays largest)
    const keep = relabelSmallComponents(L, 4, 4, 2);
    expect(keep[12]).toBe(1);
    expect(keep[5]).toBe(0);
  });
});

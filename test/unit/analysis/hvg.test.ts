import { describe, expect, it } from 'vitest';
import { loessFit, loessFitAt, loessVertices } from '../../../main/engine/analysis/loess';
import { seuratV3Hvg, topVarianceGenes } from '../../../main/engine/analysis/hvg';
import { csrColumnStats } from '../../../main/engine/analysis/normalise';
import { loadHer2st } from './her2st-fixture';

const her2stA1 = await loadHer2st('A1');

/** log10 mean and log10 variance of the non-constant HER2ST A1 genes: the data seurat_v3 smooths. */
function a1MeanVar(): { x: Float64Array; y: Float64Array } {
  const { mean, variance } = csrColumnStats(her2stA1.counts);
  const keep = Array.from(variance.keys()).filter((j) => variance[j]! > 0);
  return {
    x: Float64Array.from(keep, (j) => Math.log10(mean[j]!)),
    y: Float64Array.from(keep, (j) => Math.log10(variance[j]!)),
  };
}

describe('LOESS', () => {
  it('reproduces a quadratic exactly (local quadratic fit + cubic Hermite interpolation)', () => {
    // A degree-2 local fit of exact quadratic data returns the quadratic, its slope is exact, and
    // Hermite interpolation of a quadratic from values and slopes is exact: so both surfaces must
    // return y itself. x are real log10 means (ties included) to exercise the tree on real spacing.
    const { x } = a1MeanVar();
    const y = Float64Array.from(x, (v) => 1 + 2 * v - 0.5 * v * v);
    const fi = loessFit(x, y, { span: 0.3 });
    let maxErr = 0;
    for (let i = 0; i < x.length; i++) maxErr = Math.max(maxErr, Math.abs(fi[i]! - y[i]!));
    expect(maxErr).toBeLessThan(1e-9);
  });

  it('local fit equals an independent weighted least-squares solve (normal equations, Cramer)', () => {
    const x = Float64Array.from({ length: 40 }, (_, i) => i / 4 + ((i * 7) % 5) / 10);
    const y = Float64Array.from(x, (v, i) => Math.sin(v) + ((i * 13) % 7) / 20);
    const span = 0.5;
    const nf = Math.floor(40 * span);
    for (const q of [0.3, 4.1, 9.7]) {
      const d = Array.from(x, (v) => Math.abs(v - q));
      const h = [...d].sort((a, b) => a - b)[nf - 1]!;
      // weighted moments of 1, t, t² with tricube weights, t = x − q
      const S = new Array<number>(5).fill(0);
      const T = new Array<number>(3).fill(0);
      x.forEach((v, i) => {
        if (d[i]! >= h) return;
        const w = (1 - (d[i]! / h) ** 3) ** 3;
        const t = v - q;
        for (let k = 0; k < 5; k++) S[k] = S[k]! + w * t ** k;
        for (let k = 0; k < 3; k++) T[k] = T[k]! + w * t ** k * y[i]!;
      });
      const det3 = (m: number[][]): number =>
        m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
        m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
        m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
      const M = [
        [S[0]!, S[1]!, S[2]!],
        [S[1]!, S[2]!, S[3]!],
        [S[2]!, S[3]!, S[4]!],
      ];
      const D = det3(M);
      const b0 = det3(M.map((r, i) => [T[i]!, r[1]!, r[2]!])) / D;
      const b1 = det3(M.map((r, i) => [r[0]!, T[i]!, r[2]!])) / D;
      const got = loessFitAt(x, y, [q], { span });
      expect(got.value[0]).toBeCloseTo(b0, 10);
      expect(got.slope[0]).toBeCloseTo(b1, 9);
    }
  });

  it('interpolate agrees with direct fits at the k-d tree vertices and closely in between (real data)', () => {
    const { x, y } = a1MeanVar();
    const fit = loessFit(x, y, { span: 0.3 });
    const verts = loessVertices(x, 0.3);
    // 0.5 % margins + medians until cells hold ≤ ⌊n·0.3·0.2⌋ points: a few dozen vertices
    expect(verts.length).toBeGreaterThan(10);
    expect(verts.length).toBeLessThan(200);
    const inner = verts.slice(1, -1); // splits are data values; the box ends are not
    const direct = loessFitAt(x, y, inner, { span: 0.3 });
    inner.forEach((v, t) => {
      const i = x.indexOf(v);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(fit[i]).toBeCloseTo(direct.value[t]!, 10);
    });
    // between vertices: the interpolation error of the smooth mean–variance trend is small
    const sample = Array.from({ length: 60 }, (_, t) => Math.floor((t * x.length) / 60));
    const d = loessFitAt(
      x,
      y,
      sample.map((i) => x[i]!),
      { span: 0.3 },
    );
    const spread = Math.max(...y) - Math.min(...y);
    sample.forEach((i, t) => expect(Math.abs(fit[i]! - d.value[t]!)).toBeLessThan(2e-3 * spread));
  });
});

describe('seurat_v3 highly variable genes on HER2ST A1 raw counts', () => {
  const s = her2stA1;
  const res = seuratV3Hvg(s.counts, { nTopGenes: 200 });

  it('ranks by clipped standardised variance and flags exactly the top N', () => {
    expect(res.selected.length).toBe(200);
    expect(res.warnings).toEqual([]);
    const thr = Math.min(...Array.from(res.selected, (j) => res.variancesNorm[j]!));
    for (let j = 0; j < s.counts.nCols; j++)
      if (!res.highlyVariable[j]) expect(res.variancesNorm[j]!).toBeLessThanOrEqual(thr);
    expect(Array.from(res.ranked, (j) => res.rank[j])).toEqual(Array.from({ length: 200 }, (_, r) => r));
    for (let r = 1; r < 200; r++)
      expect(res.variancesNorm[res.ranked[r]!]!).toBeLessThanOrEqual(res.variancesNorm[res.ranked[r - 1]!]!);
  });

  it('normalised variance = variance of clipped standardised counts, recomputed per gene from the dense column', () => {
    const N = s.counts.nRows;
    const { x, y } = a1MeanVar();
    const fit = loessFit(x, y, { span: 0.3 });
    const nonConst = Array.from(res.variances.keys()).filter((j) => res.variances[j]! > 0);
    for (const j of [res.ranked[0]!, res.ranked[50]!, res.ranked[199]!, nonConst[100]!, nonConst[5000]!]) {
      const col = new Float64Array(N);
      for (let i = 0; i < N; i++)
        for (let q = s.counts.indptr[i]!; q < s.counts.indptr[i + 1]!; q++)
          if (s.counts.indices[q] === j) col[i] = s.counts.data[q]!;
      const m = col.reduce((a, b) => a + b, 0) / N;
      const sd = Math.sqrt(10 ** fit[nonConst.indexOf(j)]!);
      const clip = m + sd * Math.sqrt(N);
      let ss = 0;
      for (const c of col) ss += ((Math.min(c, clip) - m) / sd) ** 2;
      expect(res.variancesNorm[j]).toBeCloseTo(ss / (N - 1), 10);
    }
    // constant genes score 0 and are never chosen over a variable one
    const constant = Array.from(res.variances.keys()).filter((j) => res.variances[j] === 0);
    for (const j of constant.slice(0, 20)) expect(res.variancesNorm[j]).toBe(0);
  });

  it('picks known HER2+ tumour-microenvironment markers', () => {
    const top = Array.from(res.ranked.slice(0, 30), (j) => s.genes[j]);
    // immunoglobulins and luminal/secretory genes dominate the spatial variance of this section
    for (const g of ['IGKC', 'IGHA1', 'TFF3', 'MUC1']) expect(top).toContain(g);
  });
});

describe('top genes by variance of log1p(normalised counts)', () => {
  it('orders genes by the sample variance of log1p(counts · target / total), recomputed densely', () => {
    const s = her2stA1;
    const chosen = topVarianceGenes(s.counts, 50, { targetSum: 1e4 });
    const N = s.counts.nRows;
    const totals = Array.from({ length: N }, (_, i) => {
      let t = 0;
      for (let q = s.counts.indptr[i]!; q < s.counts.indptr[i + 1]!; q++) t += s.counts.data[q]!;
      return t;
    });
    const variance = (j: number): number => {
      const v = Array.from({ length: N }, (_, i) => {
        for (let q = s.counts.indptr[i]!; q < s.counts.indptr[i + 1]!; q++)
          if (s.counts.indices[q] === j) return Math.log1p((s.counts.data[q]! * 1e4) / totals[i]!);
        return 0;
      });
      const m = v.reduce((a, b) => a + b, 0) / N;
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / (N - 1);
    };
    const vFirst = variance(chosen[0]!);
    const vLast = variance(chosen[49]!);
    expect(vFirst).toBeGreaterThanOrEqual(vLast);
    const notChosen = Array.from({ length: 40 }, (_, t) => t * 97).filter((j) => !chosen.includes(j));
    for (const j of notChosen) expect(variance(j)).toBeLessThanOrEqual(vLast + 1e-6);
    expect(Array.from(chosen.slice(0, 5), (j) => s.genes[j])).toContain('IGKC');
  });
});

import { describe, expect, it } from 'vitest';
import { csrToDense, svdJacobi, symmetricEigen } from '../../../main/engine/analysis/matrix';
import { logNormalize } from '../../../main/engine/analysis/normalise';
import { seuratV3Hvg } from '../../../main/engine/analysis/hvg';
import { pca } from '../../../main/engine/analysis/pca';
import type { DenseMatrix } from '../../../main/engine/analysis/matrix';
import { loadHer2st } from './her2st-fixture';

const her2stA1 = await loadHer2st('A1');

describe('dense linear algebra', () => {
  it('symmetric eigen of hand matrices', () => {
    // [[2,1],[1,2]]: λ = 3 with (1,1)/√2, λ = 1 with (1,−1)/√2.
    const e = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(e.values[0]).toBeCloseTo(3, 14);
    expect(e.values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(e.vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(e.vectors[0]! * e.vectors[1]!).toBeGreaterThan(0);
    // diag(1, 5, 3) permuted to descending order
    const d = symmetricEigen(Float64Array.from([1, 0, 0, 0, 5, 0, 0, 0, 3]), 3);
    expect(Array.from(d.values)).toEqual([5, 3, 1]);
  });

  it('one-sided Jacobi SVD of a hand matrix', () => {
    // A = [[3,0],[4,5]]: AᵀA = [[25,20],[20,25]] with eigenvalues 45 and 5 → σ = √45, √5.
    const s = svdJacobi(Float64Array.from([3, 0, 4, 5]), 2, 2);
    expect(s.s[0]).toBeCloseTo(Math.sqrt(45), 13);
    expect(s.s[1]).toBeCloseTo(Math.sqrt(5), 13);
    // U S Vᵀ reproduces A
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        let v = 0;
        for (let r = 0; r < 2; r++) v += s.u[i * 2 + r]! * s.s[r]! * s.v[j * 2 + r]!;
        expect(v).toBeCloseTo([3, 0, 4, 5][i * 2 + j]!, 13);
      }
  });
});

/** Log-normalised expression of HER2ST A1 restricted to the top-p seurat_v3 genes (real data). */
function a1Matrix(p: number): DenseMatrix {
  const s = her2stA1;
  const hvg = seuratV3Hvg(s.counts, { nTopGenes: p });
  return csrToDense(logNormalize(s.counts), { columns: hvg.selected });
}

/** Sample covariance computed plainly in the test (independent of pca.ts). */
function covariance(x: DenseMatrix): Float64Array {
  const { nRows: n, nCols: p } = x;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] = mean[j]! + x.data[i * p + j]! / n;
  const c = new Float64Array(p * p);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < p; a++)
      for (let b = 0; b < p; b++)
        c[a * p + b] =
          c[a * p + b]! + ((x.data[i * p + a]! - mean[a]!) * (x.data[i * p + b]! - mean[b]!)) / (n - 1);
  return c;
}

/** Top eigenpairs by power iteration with deflation: an independent decomposition. */
function powerEigen(c: Float64Array, p: number, k: number): { values: number[]; vectors: Float64Array[] } {
  const values: number[] = [];
  const vectors: Float64Array[] = [];
  for (let r = 0; r < k; r++) {
    let v = Float64Array.from({ length: p }, (_, i) => Math.cos(i + r));
    let lambda = 0;
    for (let it = 0; it < 3000; it++) {
      const w = new Float64Array(p);
      for (let a = 0; a < p; a++) {
        let s = 0;
        for (let b = 0; b < p; b++) s += c[a * p + b]! * v[b]!;
        w[a] = s;
      }
      for (const u of vectors) {
        let d = 0;
        for (let a = 0; a < p; a++) d += u[a]! * w[a]!;
        for (let a = 0; a < p; a++) w[a] = w[a]! - d * u[a]!;
      }
      const nrm = Math.hypot(...w);
      const next = w.map((x) => x / nrm);
      const delta = Math.hypot(...next.map((x, i) => x - v[i]!));
      v = next;
      lambda = nrm;
      if (delta < 1e-13) break;
    }
    values.push(lambda);
    vectors.push(v);
  }
  return { values, vectors };
}

describe('PCA on HER2ST A1 (346 spots, log-normalised seurat_v3 genes)', () => {
  it('covariance path (p < n): eigen-equations, orthonormality, explained variance, independent power iteration', () => {
    const x = a1Matrix(120);
    const p = x.nCols;
    const k = 8;
    const res = pca(x, { nComponents: k, method: 'exact' });
    const C = covariance(x);
    let lambda1 = 0;
    for (let r = 0; r < k; r++) {
      const v = res.components.subarray(r * p, (r + 1) * p);
      const lambda = res.explainedVariance[r]!;
      if (r === 0) lambda1 = lambda;
      // ‖C v − λ v‖ small relative to λ₁
      let res2 = 0;
      for (let a = 0; a < p; a++) {
        let s = 0;
        for (let b = 0; b < p; b++) s += C[a * p + b]! * v[b]!;
        res2 += (s - lambda * v[a]!) ** 2;
      }
      expect(Math.sqrt(res2)).toBeLessThan(1e-10 * lambda1);
      for (let q = 0; q <= r; q++) {
        let d = 0;
        for (let a = 0; a < p; a++) d += v[a]! * res.components[q * p + a]!;
        expect(d).toBeCloseTo(q === r ? 1 : 0, 12);
      }
      // sign convention: largest |entry| positive
      let best = 0;
      for (let a = 1; a < p; a++) if (Math.abs(v[a]!) > Math.abs(v[best]!)) best = a;
      expect(v[best]!).toBeGreaterThan(0);
    }
    // descending, ratios sum below 1 and equal λ / trace(C)
    let trace = 0;
    for (let a = 0; a < p; a++) trace += C[a * p + a]!;
    for (let r = 0; r < k; r++) {
      expect(res.explainedVarianceRatio[r]).toBeCloseTo(res.explainedVariance[r]! / trace, 12);
      if (r > 0) expect(res.explainedVariance[r]!).toBeLessThanOrEqual(res.explainedVariance[r - 1]!);
    }
    // scores = centred data · components, and their variance is the eigenvalue
    for (let r = 0; r < 3; r++) {
      let ss = 0;
      for (let i = 0; i < x.nRows; i++) ss += res.scores[i * k + r]! ** 2;
      expect(ss / (x.nRows - 1)).toBeCloseTo(res.explainedVariance[r]!, 9);
    }
    // an independent decomposition: power iteration on the same covariance
    const pw = powerEigen(C, p, 3);
    for (let r = 0; r < 3; r++) {
      expect(pw.values[r]!).toBeCloseTo(res.explainedVariance[r]!, 8);
      let d = 0;
      for (let a = 0; a < p; a++) d += pw.vectors[r]![a]! * res.components[r * p + a]!;
      expect(Math.abs(d)).toBeCloseTo(1, 8);
    }
  });

  it('Gram path (p > n), exact against randomized', () => {
    const x = a1Matrix(400); // 346 spots < 400 genes → the n×n Gram matrix is decomposed
    const p = x.nCols;
    const k = 10;
    const exact = pca(x, { nComponents: k, method: 'exact' });
    const rnd = pca(x, { nComponents: k, method: 'randomized', seed: 3 });
    const rnd20 = pca(x, { nComponents: k, method: 'randomized', seed: 3, powerIterations: 20 });
    expect(rnd.method).toBe('randomized');
    for (let r = 0; r < k; r++) {
      // orthonormal Gram-path axes
      let nrm = 0;
      for (let a = 0; a < p; a++) nrm += exact.components[r * p + a]! ** 2;
      expect(nrm).toBeCloseTo(1, 12);
      // Randomized SVD is most accurate at the top of the spectrum; trailing components of a
      // slowly decaying real spectrum converge more slowly (Halko et al. §10), hence two tolerances.
      // slowly decaying real spectrum (σ₅…σ₁₀ = 22.5, 22.3, 21.9, 21.3, 20.9, 20.5 here) converge
      // more slowly (Halko et al. §10), hence two tolerances; more power iterations close the gap.
      expect(Math.abs(rnd.singularValues[r]! / exact.singularValues[r]! - 1)).toBeLessThan(
        r < 3 ? 1e-6 : 1e-2,
      );
      expect(Math.abs(rnd20.singularValues[r]! / exact.singularValues[r]! - 1)).toBeLessThan(1e-4);
    }
    for (let r = 0; r < 3; r++) {
      let d = 0;
      for (let a = 0; a < p; a++) d += exact.components[r * p + a]! * rnd.components[r * p + a]!;
      // same sign convention, so the cosine is +1, not just |cos|
      expect(d).toBeGreaterThan(0.9999);
    }
    // a different seed gives the same answer to working accuracy
    const rnd2 = pca(x, { nComponents: k, method: 'randomized', seed: 99 });
    expect(rnd2.explainedVariance[0]! / rnd.explainedVariance[0]!).toBeCloseTo(1, 9);
  });

  it('rejects impossible requests', () => {
    const x = { nRows: 3, nCols: 2, data: new Float64Array(6) };
    expect(() => pca(x, { nComponents: 3 })).toThrow(/exceeds/);
  });
});

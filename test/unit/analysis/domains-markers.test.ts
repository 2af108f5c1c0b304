import { describe, expect, it } from 'vitest';
import {
  defaultDomains,
  effectiveLabels,
  rankGenesGroups,
  resolveLabel,
  validateDomains,
} from '../../../main/engine/analysis';
import type { CsrMatrix } from '../../../main/engine/io/sample';

function csr(rows: number[][]): CsrMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const r of rows) {
    r.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return {
    nRows: rows.length,
    nCols: rows[0]!.length,
    indptr: Uint32Array.from(indptr),
    indices: Uint32Array.from(indices),
    data: Float32Array.from(data),
  };
}

describe('domains', () => {
  it('resolves merges, including chains, and maps labels', () => {
    const d = defaultDomains(4);
    d[3]!.mergedInto = 2;
    d[2]!.mergedInto = 0;
    expect(resolveLabel(d, 3)).toBe(0);
    expect(Array.from(effectiveLabels(d, [0, 1, 2, 3, 3]))).toEqual([0, 1, 0, 0, 0]);
  });

  it('refuses edits that add, drop, self-merge or loop', () => {
    const d = defaultDomains(3);
    expect(() => validateDomains(d, d.slice(0, 2))).toThrow(/keep the clustering/);
    expect(() =>
      validateDomains(
        d,
        d.map((x) => (x.label === 1 ? { ...x, mergedInto: 1 } : x)),
      ),
    ).toThrow(/not another domain/);
    const loop = d.map((x) => ({ ...x, mergedInto: x.label === 0 ? 1 : x.label === 1 ? 0 : null }));
    expect(() => validateDomains(d, loop)).toThrow(/circle/);
    expect(() =>
      validateDomains(
        d,
        d.map((x) => ({ ...x, color: 'blue' })),
      ),
    ).toThrow(/#rrggbb/);
    expect(() =>
      validateDomains(
        d,
        d.map((x) => ({ ...x, name: 'Tumour ' + x.label })),
      ),
    ).not.toThrow();
  });
});

describe('rankGenesGroups', () => {
  it('computes Welch t on log1p CP10k by hand for a 4-spot example', () => {
    // Each spot has library size 10, so CP10k = count × 1000 and values are log1p(1000·c).
    const m = csr([
      [9, 1],
      [8, 2],
      [1, 9],
      [2, 8],
    ]);
    const r = rankGenesGroups(m, [0, 0, 1, 1], 2);
    const top0 = r.get(0)![0]!;
    expect(top0.gene).toBe(0);
    const a = [Math.log1p(9000), Math.log1p(8000)];
    const b = [Math.log1p(1000), Math.log1p(2000)];
    const mean = (v: number[]) => (v[0]! + v[1]!) / 2;
    const variance = (v: number[]) => (v[0]! - v[1]!) ** 2 / 2;
    const t = (mean(a) - mean(b)) / Math.sqrt(variance(a) / 2 + variance(b) / 2);
    // The normalised matrix is float32 (CSR data), so agreement is to ~1e-6 relative.
    expect(top0.score).toBeCloseTo(t, 5);
    // mean CP10k 8500 vs 1500, pseudocount 1
    expect(top0.logFoldChange).toBeCloseTo(Math.log2(8501 / 1501), 6);
    expect(top0.fractionIn).toBe(1);
    expect(r.get(1)![0]!.gene).toBe(1);
  });

  it('drops genes seen in too few of the group’s spots and keeps fold changes finite-sized', () => {
    // gene 1 is in 1 of 20 group-0 spots (5 %) and nowhere else
    const rows = Array.from({ length: 40 }, (_, i) => [10, i === 0 ? 1 : 0, i < 20 ? 0 : 3]);
    const labels = rows.map((_, i) => (i < 20 ? 0 : 1));
    const kept = rankGenesGroups(csr(rows), labels, 3).get(0)!;
    expect(kept.map((g) => g.gene)).not.toContain(1);
    const all = rankGenesGroups(csr(rows), labels, 3, { minFractionIn: 0 }).get(0)!;
    const rare = all.find((g) => g.gene === 1)!;
    // spot 0 has 11 counts: CP10k 909.09…, mean over 20 spots 45.45…; outside 0
    expect(rare.logFoldChange).toBeCloseTo(Math.log2((10000 / 11 / 20 + 1) / 1), 4);
    expect(rare.logFoldChange).toBeLessThan(6);
  });

  it('leaves unassigned spots (label < 0) out', () => {
    const m = csr([
      [5, 5],
      [5, 5],
      [9, 1],
    ]);
    const r = rankGenesGroups(m, [0, 1, -1], 2);
    expect([...r.keys()]).toEqual([0, 1]);
    expect(r.get(0)![0]!.meanOut).toBeCloseTo(Math.log1p(5000), 5);
  });
});

import { describe, expect, it } from 'vitest';
import {
  averageRanks,
  benjaminiHochberg,
  normalSf,
  pointInRegion,
  rankRegionGenes,
  regionAreaPx,
  wilcoxonZ,
  type RegionGeometry,
} from '../../../main/engine/analysis/regions';

describe('region geometry', () => {
  const square: RegionGeometry = {
    type: 'Polygon',
    coordinates: [
      [
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
        [0, 0],
      ],
      [
        [2, 2],
        [4, 2],
        [4, 4],
        [2, 4],
        [2, 2],
      ],
    ],
  };
  it('area is the exterior minus the hole', () => {
    expect(regionAreaPx(square)).toBe(96);
    expect(
      regionAreaPx({ type: 'MultiPolygon', coordinates: [square.coordinates as [number, number][][]] }),
    ).toBe(96);
  });
  it('points in the hole or outside are not in the region', () => {
    expect(pointInRegion(square, 5, 5)).toBe(true);
    expect(pointInRegion(square, 3, 3)).toBe(false);
    expect(pointInRegion(square, 11, 5)).toBe(false);
  });
});

describe('statistics against hand-checked values', () => {
  it('normal tail matches scipy.stats.norm.sf', () => {
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(normalSf(0.3) / 0.3820885778110474).toBeCloseTo(1, 13);
    expect(normalSf(5) / 2.866515718791933e-7).toBeCloseTo(1, 12);
    expect(normalSf(10) / 7.61985302416047e-24).toBeCloseTo(1, 12);
    expect(normalSf(-0.3)).toBeCloseTo(1 - 0.3820885778110474, 14);
  });
  it('average ranks share ties', () => {
    expect(Array.from(averageRanks([3, 1, 1, 2]))).toEqual([4, 1.5, 1.5, 3]);
  });
  it('Wilcoxon z as scanpy computes it (no tie correction)', () => {
    // ranks 1, 2 in the group: R1 = 3, n1 = 2, n2 = 3 → (3 − 6)/√3
    const z = wilcoxonZ([1, 2, 3, 4, 5], Uint8Array.from([1, 1, 0, 0, 0]));
    expect(z).toBeCloseTo(-Math.sqrt(3), 14);
    // 2·sf(√3) from scipy
    expect(2 * normalSf(Math.abs(z))).toBeCloseTo(0.0832645166635504, 14);
    // ties: ranks 1.5, 1.5 | 3.5, 3.5 → (3 − 5)/√(20/12)
    expect(wilcoxonZ([0, 0, 1, 1], Uint8Array.from([1, 1, 0, 0]))).toBeCloseTo(-2 / Math.sqrt(20 / 12), 14);
  });
  it('Benjamini–Hochberg as statsmodels fdr_bh', () => {
    const adj = benjaminiHochberg([0.01, 0.04, 0.03, 0.2]);
    expect(adj[0]).toBeCloseTo(0.04, 14);
    expect(adj[1]).toBeCloseTo(0.16 / 3, 14);
    expect(adj[2]).toBeCloseTo(0.16 / 3, 14);
    expect(adj[3]).toBeCloseTo(0.2, 14);
  });
  it('ranks region genes on log1p CP10k and leaves out rarely expressed genes', () => {
    // 4 spots × 3 genes; every spot has 10 counts so CP10k = counts · 1000
    const rows = [
      [9, 1, 0],
      [8, 2, 0],
      [1, 9, 0],
      [2, 7, 1],
    ];
    const data: number[] = [];
    const indices: number[] = [];
    const indptr = [0];
    for (const r of rows) {
      r.forEach((v, j) => {
        if (v) {
          data.push(v);
          indices.push(j);
        }
      });
      indptr.push(data.length);
    }
    const counts = {
      nRows: 4,
      nCols: 3,
      indptr: Uint32Array.from(indptr),
      indices: Uint32Array.from(indices),
      data: Float32Array.from(data),
    };
    const inRegion = Uint8Array.from([1, 1, 0, 0]);
    // gene 2 is in 1 of 2 outside spots (50 %): tested at minFraction 0.5, left out at 0.6
    expect(rankRegionGenes(counts, inRegion, { minFraction: 0.6 }).map((g) => g.gene)).toEqual([0, 1]);
    const r = rankRegionGenes(counts, inRegion, { minFraction: 0.5 });
    expect(r.map((g) => g.gene)).toEqual([0, 2, 1]);
    // gene 0: region ranks 3, 4 → R1 = 7 → z = (7 − 5)/√(20/12)
    const z = 2 / Math.sqrt(20 / 12);
    expect(r[0]!.score).toBeCloseTo(z, 12);
    expect(r[0]!.pValue).toBeCloseTo(2 * normalSf(z), 14);
    // 3 tested genes, p of genes 0 and 1 equal (±z), gene 2 larger: BH = min(p·3/2, …)
    expect(r[0]!.pAdj).toBeCloseTo(Math.min(1, (2 * normalSf(z) * 3) / 2), 12);
    // log2 of mean expm1(log1p(cp10k)) = mean CP10k: (9000 + 8000)/2 vs (1000 + 2000)/2
    // (log1p values are stored as float32, hence 5 digits)
    expect(r[0]!.logFoldChange).toBeCloseTo(Math.log2((8500 + 1e-9) / (1500 + 1e-9)), 5);
    expect(r[0]!.fractionIn).toBe(1);
  });
});

describe('rankRegionGenes on HER2ST-sized sparse data', () => {
  it('gives the same z as the dense Wilcoxon on every gene', async () => {
    const { readSample } = await import('../../../main/engine/io');
    const { logNormalize } = await import('../../../main/engine/analysis');
    const { sharedData } = await import('../../helpers/paths');
    const s = await readSample(sharedData('her2st', 'C3'));
    const inRegion = Uint8Array.from(s.spots, (p, i) => (p.x < s.spots[0]!.x || i % 7 === 0 ? 1 : 0));
    const r = rankRegionGenes(s.counts, inRegion, { nTop: 30 });
    const x = logNormalize(s.counts);
    for (const g of r) {
      const col = new Float64Array(x.nRows);
      for (let row = 0; row < x.nRows; row++)
        for (let p = x.indptr[row]!; p < x.indptr[row + 1]!; p++)
          if (x.indices[p] === g.gene) col[row] = x.data[p]!;
      expect(g.score).toBeCloseTo(wilcoxonZ(col, inRegion), 9);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { kmeans, sortLabelsBySize } from '../../../main/engine/analysis/kmeans';
import { adjustedRandIndex } from '../../../main/engine/analysis/metrics';
import { csrToDense } from '../../../main/engine/analysis/matrix';
import { logNormalize } from '../../../main/engine/analysis/normalise';
import { seuratV3Hvg } from '../../../main/engine/analysis/hvg';
import { pca } from '../../../main/engine/analysis/pca';
import type { DenseMatrix } from '../../../main/engine/analysis/matrix';
import { loadHer2st } from './her2st-fixture';

const her2stA1 = await loadHer2st('A1');

describe('k-means', () => {
  it('hand case: two 1-D groups, labels by size, centres and inertia', () => {
    const x: DenseMatrix = {
      nRows: 7,
      nCols: 1,
      data: Float64Array.from([10, 0, 10.1, 0.1, 10.2, 0.2, 10.3]),
    };
    const r = kmeans(x, { k: 2, seed: 1 });
    // the 4-point group is label 0 (largest first); centres 10.15 and 0.1;
    // inertia = (.15²+.05²+.05²+.15²) + (.1²+0+.1²) = 0.05 + 0.02 = 0.07
    expect(Array.from(r.labels)).toEqual([0, 1, 0, 1, 0, 1, 0]);
    expect(r.centers[0]).toBeCloseTo(10.15, 12);
    expect(r.centers[1]).toBeCloseTo(0.1, 12);
    expect(r.inertia).toBeCloseTo(0.07, 12);
    expect(r.sizes).toEqual([4, 3]);
  });

  it('sortLabelsBySize keeps background and breaks ties by old label', () => {
    // sizes: label 2 → 3, label 1 → 2, label 0 → 1, so 2→0, 1→1, 0→2
    const s = sortLabelsBySize(Int32Array.from([2, 2, 0, 1, 1, -1, 2]));
    expect(Array.from(s.labels)).toEqual([0, 0, 2, 1, 1, -1, 0]);
    expect(s.sizes).toEqual([3, 2, 1]);
    expect(Array.from(sortLabelsBySize(Int32Array.from([1, 0])).labels)).toEqual([1, 0]);
  });

  // Real-derived groups: HER2ST A1 spots in the space of their first 5 principal components
  // (log-normalised top-300 seurat_v3 genes), split into three arbitrary thirds that are then moved
  // 30 standard deviations apart along different directions. Within-group structure is real.
  const s = her2stA1;
  const hv = seuratV3Hvg(s.counts, { nTopGenes: 300 });
  const pcs = pca(csrToDense(logNormalize(s.counts), { columns: hv.selected }), { nComponents: 5 });
  const n = s.counts.nRows;
  const truth = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
  const sd = Math.sqrt(pcs.explainedVariance[0]!);
  const data = new Float64Array(n * 5);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 5; c++) data[i * 5 + c] = pcs.scores[i * 5 + c]! + (truth[i] === c ? 30 * sd : 0);
  const x: DenseMatrix = { nRows: n, nCols: 5, data };

  it('recovers well-separated groups (Lloyd, k-means++ restarts), reproducibly', () => {
    const r = kmeans(x, { k: 3, seed: 0, nInit: 10 });
    expect(r.algorithm).toBe('lloyd');
    expect(adjustedRandIndex(Array.from(truth), Array.from(r.labels))).toBe(1);
    const again = kmeans(x, { k: 3, seed: 0, nInit: 10 });
    expect(Array.from(again.labels)).toEqual(Array.from(r.labels));
    // centre = mean of its members
    for (let c = 0; c < 3; c++) {
      const members = Array.from(r.labels.keys()).filter((i) => r.labels[i] === c);
      const m0 = members.reduce((a, i) => a + data[i * 5]!, 0) / members.length;
      expect(r.centers[c * 5]).toBeCloseTo(m0, 9);
    }
  });

  it('mini-batch variant recovers them too', () => {
    const r = kmeans(x, { k: 3, seed: 5, algorithm: 'minibatch', batchSize: 64 });
    expect(r.algorithm).toBe('minibatch');
    expect(adjustedRandIndex(Array.from(truth), Array.from(r.labels))).toBe(1);
  });

  it('spot clustering of A1 against the pathologist labels (benchmark clustering protocol)', () => {
    const labels = s.labels!;
    const classes = new Set(labels.filter((l) => l !== ''));
    const pc50 = pca(
      csrToDense(logNormalize(s.counts), { columns: seuratV3Hvg(s.counts, { nTopGenes: 1000 }).selected }),
      {
        nComponents: 50,
      },
    );
    const r = kmeans({ nRows: n, nCols: 50, data: pc50.scores }, { k: classes.size, seed: 0, nInit: 10 });
    const ari = adjustedRandIndex(labels, Array.from(r.labels));
    console.info(`HER2ST A1 spot K-means (k=${classes.size}) ARI vs pathologist labels: ${ari.toFixed(3)}`);
    // expression domains do follow the annotated regions, far above chance (ARI 0)
    expect(ari).toBeGreaterThan(0.1);
  });
});

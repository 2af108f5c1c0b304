import type { CsrMatrix } from '../io/sample';
import { logNormalize } from './normalise';

export interface RankedGene {
  gene: number;
  /** Welch t statistic of the group against the rest */
  score: number;
  /** log2 fold change of the means of expm1 values, scanpy's definition */
  logFoldChange: number;
  meanIn: number;
  meanOut: number;
  /** fraction of the group's spots that express the gene */
  fractionIn: number;
}

/**
 * Marker genes per group, like scanpy's rank_genes_groups(method='t-test') on log1p CP10k:
 * Welch's t of each group against all other labelled spots, top n by score. Labels < 0 are
 * left out (unassigned).
 */
export function rankGenesGroups(
  counts: CsrMatrix,
  labels: ArrayLike<number>,
  nTop = 20,
): Map<number, RankedGene[]> {
  const x = logNormalize(counts);
  const G = x.nCols;
  const groups = [...new Set(Array.from(labels).filter((l) => l >= 0))].sort((a, b) => a - b);
  const gi = new Map(groups.map((g, i) => [g, i]));
  const K = groups.length;
  const sum = new Float64Array(K * G);
  const sumSq = new Float64Array(K * G);
  const sumExp = new Float64Array(K * G);
  const nnz = new Float64Array(K * G);
  const n = new Float64Array(K);
  for (let r = 0; r < x.nRows; r++) {
    const k = gi.get(labels[r]!);
    if (k === undefined) continue;
    n[k]!++;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const j = k * G + x.indices[p]!;
      const v = x.data[p]!;
      sum[j]! += v;
      sumSq[j]! += v * v;
      sumExp[j]! += Math.expm1(v);
      if (v > 0) nnz[j]!++;
    }
  }
  const total = new Float64Array(G);
  const totalSq = new Float64Array(G);
  const totalExp = new Float64Array(G);
  for (let k = 0; k < K; k++) {
    for (let g = 0; g < G; g++) {
      total[g]! += sum[k * G + g]!;
      totalSq[g]! += sumSq[k * G + g]!;
      totalExp[g]! += sumExp[k * G + g]!;
    }
  }
  const nAll = n.reduce((a, b) => a + b, 0);
  const out = new Map<number, RankedGene[]>();
  for (let k = 0; k < K; k++) {
    const n1 = n[k]!;
    const n2 = nAll - n1;
    const ranked: RankedGene[] = [];
    for (let g = 0; g < G; g++) {
      const s1 = sum[k * G + g]!;
      const m1 = s1 / n1;
      const m2 = n2 > 0 ? (total[g]! - s1) / n2 : 0;
      const v1 = n1 > 1 ? (sumSq[k * G + g]! - n1 * m1 * m1) / (n1 - 1) : 0;
      const v2 = n2 > 1 ? (totalSq[g]! - sumSq[k * G + g]! - n2 * m2 * m2) / (n2 - 1) : 0;
      const se = Math.sqrt(Math.max(0, v1) / n1 + (n2 > 0 ? Math.max(0, v2) / n2 : 0));
      const score = se > 0 ? (m1 - m2) / se : 0;
      const e1 = sumExp[k * G + g]! / n1;
      const e2 = n2 > 0 ? (totalExp[g]! - sumExp[k * G + g]!) / n2 : 0;
      ranked.push({
        gene: g,
        score,
        logFoldChange: Math.log2((e1 + 1e-9) / (e2 + 1e-9)),
        meanIn: m1,
        meanOut: m2,
        fractionIn: nnz[k * G + g]! / n1,
      });
    }
    ranked.sort((a, b) => b.score - a.score);
    out.set(groups[k]!, ranked.slice(0, nTop));
  }
  return out;
}

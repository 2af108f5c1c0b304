import type { CsrMatrix } from '../io/sample';
import { logNormalize } from './normalise';

export interface RankedGene {
  gene: number;
  /** Welch t statistic of the group against the rest */
  score: number;
  /** log2((mean expm1 in + pseudocount)/(mean expm1 out + pseudocount)), CP10k scale */
  logFoldChange: number;
  meanIn: number;
  meanOut: number;
  /** fraction of the group's spots that express the gene */
  fractionIn: number;
}

export interface RankGenesOptions {
  /**
   * added to both mean CP10k values before the fold change (default 1 count per 10k). scanpy adds
   * 1e-9, which turns a gene seen in 2 % of a domain and nowhere else into log2FC ≈ 28.
   */
  pseudocount?: number;
  /** genes expressed in fewer than this fraction of the group's spots are not markers (default 0.1) */
  minFractionIn?: number;
}

/**
 * Marker genes per group, like scanpy's rank_genes_groups(method='t-test') on log1p CP10k:
 * Welch's t of each group against all other labelled spots, top n by score. Labels < 0 are
 * left out (unassigned). Unlike scanpy's raw output, the fold change has a pseudocount and
 * genes below a minimum expression fraction in the group are dropped (the idea of scanpy's
 * filter_rank_genes_groups, applied before the top n is taken).
 */
export function rankGenesGroups(
  counts: CsrMatrix,
  labels: ArrayLike<number>,
  nTop = 20,
  options: RankGenesOptions = {},
): Map<number, RankedGene[]> {
  const pseudocount = options.pseudocount ?? 1;
  const minFractionIn = options.minFractionIn ?? 0.1;
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
      const fractionIn = nnz[k * G + g]! / n1;
      if (fractionIn < minFractionIn) continue;
      ranked.push({
        gene: g,
        score,
        logFoldChange: Math.log2((e1 + pseudocount) / (e2 + pseudocount)),
        meanIn: m1,
        meanOut: m2,
        fractionIn,
      });
    }
    ranked.sort((a, b) => b.score - a.score);
    out.set(groups[k]!, ranked.slice(0, nTop));
  }
  return out;
}

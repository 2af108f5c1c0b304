/**
 * Drawn regions (annotations) and what is inside them: point-in-region tests, area, and the
 * region-vs-rest comparison scanpy users know from rank_genes_groups(method='wilcoxon'):
 * Mann–Whitney U as a normal z-score without tie correction (scanpy's default tie_correct=False),
 * two-sided p = 2·sf(|z|), Benjamini–Hochberg adjusted over all genes tested (statsmodels
 * fdr_bh, as scanpy), log2 fold change of the means of expm1 values (scanpy's definition).
 */
import type { CsrMatrix } from '../io/sample';
import { badInput } from '../errors';
import { logNormalize } from './normalise';

export {
  pointInRegion,
  polygonsOf,
  regionAreaPx,
  regionBounds,
  type PolygonRings,
  type Position,
  type RegionGeometry,
} from '../../../preload/contract/region-geometry';

/**
 * Standard normal upper tail sf(z) = ½·erfc(z/√2), accurate to ~1e-15 relative: the Taylor series
 * of erf below |x| = 2, Lentz's continued fraction for erfc above (Numerical Recipes §6.2), so tiny
 * p-values keep their order.
 */
export function normalSf(z: number): number {
  const x = z / Math.SQRT2;
  if (x < 0) return 1 - normalSf(-z);
  if (x < 2) {
    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 0.5 * (1 - (2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), via modified Lentz
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = x + a / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (0.5 * Math.exp(-x * x)) / (Math.sqrt(Math.PI) * f);
}

/** Benjamini–Hochberg adjusted p-values (statsmodels fdr_bh), same order as the input. */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const out = new Float64Array(m);
  let prev = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    prev = Math.min(prev, (p[i]! * m) / (r + 1));
    out[i] = Math.min(1, prev);
  }
  return out;
}

/** Average ranks (1-based) of values, ties sharing their mean rank. */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]!] === v[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** scanpy's Wilcoxon z of group (mask = 1) against the rest, without tie correction. */
export function wilcoxonZ(values: ArrayLike<number>, inGroup: Uint8Array): number {
  const ranks = averageRanks(values);
  let n1 = 0;
  let r1 = 0;
  for (let i = 0; i < ranks.length; i++)
    if (inGroup[i]) {
      n1++;
      r1 += ranks[i]!;
    }
  const n = ranks.length;
  const n2 = n - n1;
  const sd = Math.sqrt((n1 * n2 * (n + 1)) / 12);
  return sd > 0 ? (r1 - (n1 * (n + 1)) / 2) / sd : 0;
}

export interface RegionGene {
  gene: number;
  /** Wilcoxon z (positive = higher in the region) */
  score: number;
  pValue: number;
  /** Benjamini–Hochberg over all genes tested */
  pAdj: number;
  /** scanpy's log2((mean expm1 in + 1e-9)/(mean expm1 out + 1e-9)) on log1p CP10k */
  logFoldChange: number;
  /** fraction of the region's spots with a count > 0 */
  fractionIn: number;
  fractionOut: number;
}

/**
 * The genes that differ most between the spots in a region and the rest, on log1p CP10k, ranked
 * by z (up in the region first). Genes expressed in fewer than `minFraction` of the spots of both
 * sides are not tested (scanpy's filter_rank_genes_groups idea applied before the test); the BH
 * correction runs over the genes that were tested.
 */
export function rankRegionGenes(
  counts: CsrMatrix,
  inRegion: Uint8Array,
  opts: { nTop?: number; minFraction?: number } = {},
): RegionGene[] {
  const n = counts.nRows;
  if (inRegion.length !== n) throw badInput('rankRegionGenes: one flag per spot needed.');
  const n1 = inRegion.reduce((a, b) => a + b, 0);
  if (n1 === 0 || n1 === n) throw badInput('A region needs spots inside it and outside it to compare.');
  const x = logNormalize(counts);
  const G = x.nCols;
  // columns as dense vectors, built from the CSR rows once
  const nnzIn = new Float64Array(G);
  const nnzOut = new Float64Array(G);
  for (let r = 0; r < n; r++)
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      if (x.data[p]! <= 0) continue;
      if (inRegion[r]) nnzIn[x.indices[p]!]!++;
      else nnzOut[x.indices[p]!]!++;
    }
  const minFraction = opts.minFraction ?? 0.05;
  const tested: number[] = [];
  for (let g = 0; g < G; g++)
    if (nnzIn[g]! / n1 >= minFraction || nnzOut[g]! / (n - n1) >= minFraction) tested.push(g);
  // sparse columns of the tested genes (positive entries only; everything else is a tied zero)
  const colRows = new Map<number, number[]>(tested.map((g) => [g, []]));
  const colVals = new Map<number, number[]>(tested.map((g) => [g, []]));
  for (let r = 0; r < n; r++)
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.data[p]!;
      if (v <= 0) continue;
      colRows.get(x.indices[p]!)?.push(r);
      colVals.get(x.indices[p]!)?.push(v);
    }
  const n2 = n - n1;
  const sd = Math.sqrt((n1 * n2 * (n + 1)) / 12);
  const out: RegionGene[] = tested.map((g) => {
    const rows = colRows.get(g)!;
    const vals = colVals.get(g)!;
    const zeros = n - vals.length;
    // zeros share rank (zeros + 1)/2; positive values rank after them
    const ranks = averageRanks(vals);
    let r1 = 0;
    let zerosIn = n1;
    let eIn = 0;
    let eOut = 0;
    rows.forEach((r, i) => {
      if (inRegion[r]) {
        r1 += ranks[i]! + zeros;
        zerosIn--;
        eIn += Math.expm1(vals[i]!);
      } else eOut += Math.expm1(vals[i]!);
    });
    r1 += (zerosIn * (zeros + 1)) / 2;
    const score = sd > 0 ? (r1 - (n1 * (n + 1)) / 2) / sd : 0;
    eIn /= n1;
    eOut /= n2;
    return {
      gene: g,
      score,
      pValue: 2 * normalSf(Math.abs(score)),
      pAdj: 0,
      logFoldChange: Math.log2((eIn + 1e-9) / (eOut + 1e-9)),
      fractionIn: nnzIn[g]! / n1,
      fractionOut: nnzOut[g]! / n2,
    };
  });
  const adj = benjaminiHochberg(out.map((r) => r.pValue));
  out.forEach((r, i) => (r.pAdj = adj[i]!));
  out.sort((a, b) => b.score - a.score || a.gene - b.gene);
  return out.slice(0, opts.nTop ?? 20);
}

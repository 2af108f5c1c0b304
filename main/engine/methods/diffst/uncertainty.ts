/**
 * Does the predicted SD mean something? Spearman's ρ between the SD and the absolute error at the
 * evaluated spots, in the benchmark's units (per gene, truth and prediction min-maxed over the
 * evaluated spots; the SD divided by the prediction's range for that gene).
 */
import type { DenseMatrix } from '../../analysis/matrix';
import { averageRanks } from '../../analysis/regions';

/** Ranks with ties averaged (1-based): one implementation, the Wilcoxon test's. */
export const ranks = averageRanks;

/** Spearman's rank correlation (Pearson of the tie-averaged ranks); NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError('spearman: lengths differ');
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += ra[i]!;
    mb += rb[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - ma;
    const y = rb[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export interface UncertaintyScore {
  /** ρ over every (spot, gene) pair */
  rhoPairs: number;
  /** ρ over spots of the mean (over genes) SD and mean absolute error */
  rhoSpots: number;
  /** mean over genes of the per-gene ρ across spots */
  rhoPerGene: number;
}

/** truth, pred and sd are spots × genes at the same targets. */
export function uncertaintyVsError(truth: DenseMatrix, pred: DenseMatrix, sd: DenseMatrix): UncertaintyScore {
  const n = truth.nRows;
  const G = truth.nCols;
  const err = new Float64Array(n * G);
  const s = new Float64Array(n * G);
  const perGene: number[] = [];
  for (let g = 0; g < G; g++) {
    let tMin = Infinity;
    let tMax = -Infinity;
    let pMin = Infinity;
    let pMax = -Infinity;
    for (let i = 0; i < n; i++) {
      tMin = Math.min(tMin, truth.data[i * G + g]!);
      tMax = Math.max(tMax, truth.data[i * G + g]!);
      pMin = Math.min(pMin, pred.data[i * G + g]!);
      pMax = Math.max(pMax, pred.data[i * G + g]!);
    }
    const tr = tMax - tMin > 1e-12 ? tMax - tMin : 1;
    const pr = pMax - pMin > 1e-12 ? pMax - pMin : 1;
    const e = new Float64Array(n);
    const u = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const q = i * G + g;
      e[i] = Math.abs((truth.data[q]! - tMin) / tr - (pred.data[q]! - pMin) / pr);
      u[i] = sd.data[q]! / pr;
      err[q] = e[i]!;
      s[q] = u[i]!;
    }
    const r = spearman(u, e);
    if (Number.isFinite(r)) perGene.push(r);
  }
  const spotErr = new Float64Array(n);
  const spotSd = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let g = 0; g < G; g++) {
      spotErr[i] = spotErr[i]! + err[i * G + g]! / G;
      spotSd[i] = spotSd[i]! + s[i * G + g]! / G;
    }
  return {
    rhoPairs: spearman(s, err),
    rhoSpots: spearman(spotSd, spotErr),
    rhoPerGene: perGene.length ? perGene.reduce((a, b) => a + b, 0) / perGene.length : NaN,
  };
}

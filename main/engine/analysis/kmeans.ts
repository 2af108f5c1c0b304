/**
 * K-means as scikit-learn runs it (spec: benchmark.md "Protocol for clustering", methods.md §9.4
 * and ambiguity row 16): greedy k-means++ seeding with 2 + ⌊ln k⌋ local trials, Lloyd iterations
 * until the labels stop changing or the squared centre shift falls below tol × (mean feature
 * variance), empty clusters re-seeded from the points farthest from their centres, n_init restarts
 * keeping the lowest inertia, and a mini-batch variant (Sculley 2010 per-centre learning rates, early
 * stop on the smoothed batch inertia) for ≥ 100k points. All randomness comes from one seeded Rng, so
 * results are reproducible (though not bit-identical to sklearn, whose generator differs).
 * Labels are renumbered by cluster size, 0 = largest.
 */
import { badInput, throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { noProgress } from '../jobs/progress';
import type { DenseMatrix } from './matrix';
import { Rng } from './random';

export interface KMeansOptions {
  k: number;
  seed?: number;
  /** restarts (sklearn's n_init; the benchmark protocol uses 10) */
  nInit?: number;
  maxIter?: number;
  /** relative tolerance, multiplied by the mean per-feature variance as sklearn does */
  tol?: number;
  /** 'auto' = mini-batch from 100 000 points up */
  algorithm?: 'auto' | 'lloyd' | 'minibatch';
  batchSize?: number;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

export interface KMeansResult {
  /** per point, 0 = largest cluster */
  labels: Int32Array;
  /** k×d row-major, in label order */
  centers: Float64Array;
  sizes: number[];
  inertia: number;
  nIter: number;
  algorithm: 'lloyd' | 'minibatch';
}

export const MINIBATCH_THRESHOLD = 100_000;

export function kmeans(x: DenseMatrix, options: KMeansOptions): KMeansResult {
  const { nRows: n, nCols: d } = x;
  const k = options.k;
  if (!Number.isInteger(k) || k < 1) throw badInput(`k must be a positive integer, got ${k}`);
  if (k > n) throw badInput(`k = ${k} exceeds the number of points (${n}).`);
  for (let i = 0; i < x.data.length; i++)
    if (!Number.isFinite(x.data[i]!)) throw badInput('K-means input contains NaN or infinite values.');
  const rng = new Rng(options.seed ?? 0);
  const progress = options.progress ?? noProgress;
  let algorithm = options.algorithm ?? 'auto';
  if (algorithm === 'auto') algorithm = n >= MINIBATCH_THRESHOLD ? 'minibatch' : 'lloyd';
  let best: { labels: Int32Array; centers: Float64Array; inertia: number; nIter: number } | null = null;
  if (algorithm === 'lloyd') {
    const nInit = options.nInit ?? 10;
    const tol = (options.tol ?? 1e-4) * meanVariance(x);
    for (let r = 0; r < nInit; r++) {
      throwIfAborted(options.signal);
      const init = kmeansPlusPlus(x, k, rng);
      const run = lloyd(x, init, options.maxIter ?? 300, tol, options.signal);
      if (best === null || run.inertia < best.inertia) best = run;
      progress({ fraction: (r + 1) / nInit, message: `restart ${r + 1}/${nInit}` });
    }
  } else {
    best = miniBatch(x, k, rng, options, progress);
  }
  const sorted = sortLabelsBySize(best!.labels, k);
  const centers = new Float64Array(k * d);
  for (let old = 0; old < k; old++) {
    const nw = sorted.mapping[old]!;
    centers.set(best!.centers.subarray(old * d, (old + 1) * d), nw * d);
  }
  return {
    labels: sorted.labels,
    centers,
    sizes: sorted.sizes,
    inertia: best!.inertia,
    nIter: best!.nIter,
    algorithm,
  };
}

function meanVariance(x: DenseMatrix): number {
  const { nRows: n, nCols: d, data } = x;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + j]!;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j]! - m) ** 2;
    total += v / n;
  }
  return total / d;
}

function sqDistToCenter(x: DenseMatrix, i: number, c: Float64Array, ci: number): number {
  const d = x.nCols;
  let s = 0;
  const o = i * d;
  const oc = ci * d;
  for (let j = 0; j < d; j++) {
    const t = x.data[o + j]! - c[oc + j]!;
    s += t * t;
  }
  return s;
}

function sqDistPoints(x: DenseMatrix, a: number, b: number): number {
  const d = x.nCols;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x.data[a * d + j]! - x.data[b * d + j]!;
    s += t * t;
  }
  return s;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, as sklearn's _kmeans_plusplus): the first centre is a
 * uniformly random point; each next one is the best, by resulting potential, of 2 + ⌊ln k⌋ candidates
 * drawn with probability proportional to the squared distance to the nearest chosen centre.
 * `subset` restricts the candidates and the potential to some rows (mini-batch initialisation).
 */
export function kmeansPlusPlus(x: DenseMatrix, k: number, rng: Rng, subset?: Uint32Array): Float64Array {
  const d = x.nCols;
  const rows = subset ?? Uint32Array.from({ length: x.nRows }, (_, i) => i);
  const n = rows.length;
  const centers = new Float64Array(k * d);
  const nTrials = 2 + Math.floor(Math.log(k));
  const first = rows[rng.int(n)]!;
  centers.set(x.data.subarray(first * d, (first + 1) * d), 0);
  let closest: Float64Array = new Float64Array(n);
  let pot = 0;
  for (let r = 0; r < n; r++) {
    closest[r] = sqDistPoints(x, rows[r]!, first);
    pot += closest[r]!;
  }
  const cum = new Float64Array(n);
  const cand = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let r = 0; r < n; r++) cum[r] = acc += closest[r]!;
    let bestPot = Infinity;
    let bestRow = -1;
    let bestDist: Float64Array | null = null;
    for (let t = 0; t < nTrials; t++) {
      const target = rng.random() * pot;
      // searchsorted(cum, target, side='left'), clipped to the last index
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      const row = rows[lo]!;
      let cp = 0;
      for (let r = 0; r < n; r++) {
        const dd = Math.min(closest[r]!, sqDistPoints(x, rows[r]!, row));
        cand[r] = dd;
        cp += dd;
      }
      if (cp < bestPot) {
        bestPot = cp;
        bestRow = row;
        bestDist = Float64Array.from(cand);
      }
    }
    centers.set(x.data.subarray(bestRow * d, (bestRow + 1) * d), c * d);
    closest = bestDist!;
    pot = bestPot;
  }
  return centers;
}

function assign(
  x: DenseMatrix,
  centers: Float64Array,
  k: number,
  labels: Int32Array,
  dist?: Float64Array,
): number {
  let inertia = 0;
  for (let i = 0; i < x.nRows; i++) {
    let bl = 0;
    let bd = Infinity;
    for (let c = 0; c < k; c++) {
      const dd = sqDistToCenter(x, i, centers, c);
      if (dd < bd) {
        bd = dd;
        bl = c;
      }
    }
    labels[i] = bl;
    if (dist) dist[i] = bd;
    inertia += bd;
  }
  return inertia;
}

/** Lloyd's algorithm from given centres, as sklearn's _kmeans_single_lloyd. */
export function lloyd(
  x: DenseMatrix,
  init: Float64Array,
  maxIter: number,
  tolAbs: number,
  signal?: AbortSignal,
): { labels: Int32Array; centers: Float64Array; inertia: number; nIter: number } {
  const { nRows: n, nCols: d } = x;
  const k = init.length / d;
  let centers = Float64Array.from(init);
  const labels = new Int32Array(n);
  const old = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  let strict = false;
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if ((iter & 15) === 0) throwIfAborted(signal);
    assign(x, centers, k, labels, dist);
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c] = counts[c]! + 1;
      for (let j = 0; j < d; j++) sums[c * d + j] = sums[c * d + j]! + x.data[i * d + j]!;
    }
    relocateEmpty(x, sums, counts, labels, dist);
    const next = new Float64Array(k * d);
    let shift = 0;
    for (let c = 0; c < k; c++)
      for (let j = 0; j < d; j++) {
        // A cluster still empty after relocation (more empties than points) keeps its centre.
        const v = counts[c]! > 0 ? sums[c * d + j]! / counts[c]! : centers[c * d + j]!;
        next[c * d + j] = v;
        shift += (v - centers[c * d + j]!) ** 2;
      }
    centers = next;
    let same = true;
    for (let i = 0; i < n; i++)
      if (labels[i] !== old[i]) {
        same = false;
        break;
      }
    if (same) {
      strict = true;
      iter++;
      break;
    }
    if (shift <= tolAbs) {
      iter++;
      break;
    }
    old.set(labels);
  }
  // Labels must belong to the final centres (sklearn reruns the E-step for the same reason).
  const inertia = strict ? inertiaOf(x, centers, labels) : assign(x, centers, k, labels);
  return { labels, centers, inertia, nIter: iter };
}

function inertiaOf(x: DenseMatrix, centers: Float64Array, labels: Int32Array): number {
  let s = 0;
  for (let i = 0; i < x.nRows; i++) s += sqDistToCenter(x, i, centers, labels[i]!);
  return s;
}

/** sklearn's _relocate_empty_clusters_dense: the farthest points (from their own centre) seed empty clusters. */
function relocateEmpty(
  x: DenseMatrix,
  sums: Float64Array,
  counts: Float64Array,
  labels: Int32Array,
  dist: Float64Array,
): void {
  const k = counts.length;
  const d = x.nCols;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  const far = Array.from({ length: x.nRows }, (_, i) => i)
    .sort((a, b) => dist[b]! - dist[a]! || a - b)
    .slice(0, empty.length);
  empty.forEach((c, t) => {
    const i = far[t];
    if (i === undefined) return;
    const from = labels[i]!;
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j]!;
      sums[from * d + j] = sums[from * d + j]! - v;
      sums[c * d + j] = v;
    }
    counts[c] = 1;
    counts[from] = counts[from]! - 1;
  });
}

function miniBatch(
  x: DenseMatrix,
  k: number,
  rng: Rng,
  options: KMeansOptions,
  progress: ProgressFn,
): { labels: Int32Array; centers: Float64Array; inertia: number; nIter: number } {
  const { nRows: n, nCols: d } = x;
  const batch = Math.min(options.batchSize ?? 1024, n);
  const nInit = options.nInit ?? 3;
  let initSize = Math.min(3 * batch, n);
  if (initSize < k) initSize = Math.min(3 * k, n);
  // Pick the best of nInit k-means++ seedings, judged on a held-back validation sample.
  const valid = Uint32Array.from({ length: initSize }, () => rng.int(n));
  let centers: Float64Array | null = null;
  let bestInertia = Infinity;
  for (let r = 0; r < nInit; r++) {
    const sub = Uint32Array.from({ length: initSize }, () => rng.int(n));
    const c = kmeansPlusPlus(x, k, rng, sub);
    let inertia = 0;
    for (const i of valid) {
      let bd = Infinity;
      for (let q = 0; q < k; q++) bd = Math.min(bd, sqDistToCenter(x, i, c, q));
      inertia += bd;
    }
    if (inertia < bestInertia) {
      bestInertia = inertia;
      centers = c;
    }
  }
  const C = centers!;
  const weight = new Float64Array(k);
  const maxIter = options.maxIter ?? 100;
  const nSteps = Math.floor((maxIter * n) / batch);
  const alpha = Math.min(1, (batch * 2) / (n + 1));
  let ewa = 0;
  let ewaMin = Infinity;
  let noImprovement = 0;
  let step = 0;
  const idx = new Uint32Array(batch);
  const lab = new Int32Array(batch);
  for (; step < nSteps; step++) {
    if ((step & 31) === 0) {
      throwIfAborted(options.signal);
      progress({ fraction: Math.min(0.95, step / nSteps), message: `mini-batch step ${step}` });
    }
    for (let b = 0; b < batch; b++) idx[b] = rng.int(n);
    let inertia = 0;
    for (let b = 0; b < batch; b++) {
      const i = idx[b]!;
      let bl = 0;
      let bd = Infinity;
      for (let q = 0; q < k; q++) {
        const dd = sqDistToCenter(x, i, C, q);
        if (dd < bd) {
          bd = dd;
          bl = q;
        }
      }
      lab[b] = bl;
      inertia += bd;
    }
    // Per-centre running means: centre ← (w·centre + Σ batch points) / (w + n_batch).
    const sums = new Float64Array(k * d);
    const cnt = new Float64Array(k);
    for (let b = 0; b < batch; b++) {
      const i = idx[b]!;
      const q = lab[b]!;
      cnt[q] = cnt[q]! + 1;
      for (let j = 0; j < d; j++) sums[q * d + j] = sums[q * d + j]! + x.data[i * d + j]!;
    }
    for (let q = 0; q < k; q++) {
      if (cnt[q] === 0) continue;
      const w = weight[q]!;
      const nw = w + cnt[q]!;
      for (let j = 0; j < d; j++) C[q * d + j] = (C[q * d + j]! * w + sums[q * d + j]!) / nw;
      weight[q] = nw;
    }
    const batchInertia = inertia / batch;
    if (step === 0) {
      ewa = batchInertia;
      continue; // sklearn ignores the first step for convergence
    }
    ewa = ewa * (1 - alpha) + batchInertia * alpha;
    if (ewa < ewaMin) {
      noImprovement = 0;
      ewaMin = ewa;
    } else if (++noImprovement >= 10) {
      step++;
      break;
    }
  }
  const labels = new Int32Array(n);
  const inertia = assign(x, C, k, labels);
  return { labels, centers: C, inertia, nIter: step };
}

/**
 * Renumbers labels so 0 is the largest cluster, 1 the next, … (ties keep the old order); negative
 * labels (background / unassigned) are left as they are. `mapping[old] = new`.
 */
export function sortLabelsBySize(
  labels: Int32Array,
  k?: number,
): { labels: Int32Array; mapping: Int32Array; sizes: number[] } {
  let K = k ?? 0;
  if (k === undefined) for (const l of labels) if (l + 1 > K) K = l + 1;
  const counts = new Array<number>(K).fill(0);
  for (const l of labels) if (l >= 0) counts[l] = counts[l]! + 1;
  const order = Array.from({ length: K }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const mapping = new Int32Array(K);
  order.forEach((old, nw) => (mapping[old] = nw));
  const out = Int32Array.from(labels, (l) => (l >= 0 ? mapping[l]! : l));
  return { labels: out, mapping, sizes: order.map((o) => counts[o]!) };
}

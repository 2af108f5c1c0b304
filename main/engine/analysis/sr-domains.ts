/**
 * The feature space SR domains are clustered in (issue #15, docs/domains.md).
 *
 * 'latent' is HISTEX's SR annotation as published: k-means on the raw 128-d latent. On HER2ST its
 * clusters come out at the spot pitch, because the latent of a briefly trained model mostly encodes
 * which measured spot a superpixel is near (the gene tokens), not what the tissue looks like.
 *
 * 'tissue' puts the image back in charge of the borders:
 *  1. the latent and the histology features (the run's stored input features without the two
 *     position channels) are each reduced by PCA and scaled to unit total variance, so neither
 *     block dominates by its dimension;
 *  2. the latent block is smoothed with a joint (cross) bilateral filter guided by the histology
 *     block (Petschnigg et al. 2004; Eisemann & Durand 2004): a Gaussian over the grid with a
 *     radius of half a spot pitch, times a Gaussian of the histology distance, so the spot-pitch
 *     pattern is averaged out within tissue that looks alike while a change of tissue stops it;
 *  3. the embedding is [smoothed latent, w · histology], which k-means then clusters.
 */
import { badInput, throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { noProgress, subProgress } from '../jobs/progress';
import { kmeans } from './kmeans';
import { pca } from './pca';
import { relabelSmallComponents } from './spatial';

export type SrDomainSpace = 'latent' | 'tissue';

export interface SrDomainInput {
  rows: number;
  cols: number;
  /** superpixel index r·cols + c of each embedded superpixel */
  index: Int32Array;
  /** n × latentDim */
  latent: Float32Array;
  latentDim: number;
  /** n × histologyDim: the histology channels (no position channels), or null */
  histology: Float32Array | null;
  histologyDim: number;
}

export interface SrDomainOptions {
  space: SrDomainSpace;
  /** principal components kept per block (default 16) */
  components?: number;
  /** spatial window radius of the bilateral filter, superpixels (default 12 = half the 200 µm ST pitch) */
  radius?: number;
  /** histology distance scale of the filter in units of the block's RMS spread (default 0.5) */
  rangeSigma?: number;
  /** weight of the histology block in the embedding (default 1) */
  histologyWeight?: number;
  seed?: number;
  signal?: AbortSignal;
  /** fraction of the smoothing done */
  smoothingProgress?: (fraction: number) => void;
}

export interface SrDomainEmbedding {
  /** n × dim, row-major */
  data: Float64Array;
  dim: number;
}

/** PCA of an n × d block to k components, scaled so the components' variances sum to 1. */
function unitBlock(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  seed: number,
): { data: Float64Array; k: number } {
  const kk = Math.min(k, d, n);
  const r = pca({ nRows: n, nCols: d, data: Float64Array.from(x) }, { nComponents: kk, seed });
  const total = r.explainedVariance.reduce((a, b) => a + b, 0);
  const s = total > 0 ? 1 / Math.sqrt(total) : 1;
  const out = r.scores;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * s;
  return { data: out, k: kk };
}

/**
 * Joint bilateral filter of `values` (n × dv) on the grid, guided by `guide` (n × dg): each point
 * becomes the weighted mean of the points within `radius` with weight
 * exp(−|Δpos|²/2σs²) · exp(−|Δguide|²/2σr²), σs = radius/2. Pure; exported for its unit test.
 */
export function jointBilateral(
  rows: number,
  cols: number,
  index: Int32Array,
  values: Float64Array,
  dv: number,
  guide: Float64Array,
  dg: number,
  radius: number,
  sigmaRange: number,
  signal?: AbortSignal,
  progress?: (fraction: number) => void,
): Float64Array {
  const n = index.length;
  if (values.length !== n * dv || guide.length !== n * dg) throw badInput('jointBilateral: size mismatch');
  const at = new Int32Array(rows * cols).fill(-1);
  index.forEach((sp, i) => (at[sp] = i));
  const sigmaS = Math.max(radius / 2, 1e-9);
  const spatial = new Float64Array((2 * radius + 1) ** 2);
  for (let dy = -radius; dy <= radius; dy++)
    for (let dx = -radius; dx <= radius; dx++)
      spatial[(dy + radius) * (2 * radius + 1) + dx + radius] =
        dx * dx + dy * dy <= radius * radius ? Math.exp(-(dx * dx + dy * dy) / (2 * sigmaS * sigmaS)) : 0;
  const inv2r = 1 / (2 * sigmaRange * sigmaRange);
  const out = new Float64Array(n * dv);
  const acc = new Float64Array(dv);
  for (let i = 0; i < n; i++) {
    if ((i & 1023) === 0) {
      throwIfAborted(signal);
      if ((i & 8191) === 0) progress?.(i / n);
    }
    const r = Math.floor(index[i]! / cols);
    const c = index[i]! - r * cols;
    acc.fill(0);
    let wSum = 0;
    for (let dy = -radius; dy <= radius; dy++) {
      const rr = r + dy;
      if (rr < 0 || rr >= rows) continue;
      for (let dx = -radius; dx <= radius; dx++) {
        const cc = c + dx;
        if (cc < 0 || cc >= cols) continue;
        const j = at[rr * cols + cc]!;
        if (j < 0) continue;
        const ws = spatial[(dy + radius) * (2 * radius + 1) + dx + radius]!;
        if (ws === 0) continue;
        let d2 = 0;
        for (let g = 0; g < dg; g++) {
          const e = guide[i * dg + g]! - guide[j * dg + g]!;
          d2 += e * e;
        }
        const w = ws * Math.exp(-d2 * inv2r);
        wSum += w;
        for (let v = 0; v < dv; v++) acc[v] = acc[v]! + w * values[j * dv + v]!;
      }
    }
    for (let v = 0; v < dv; v++) out[i * dv + v] = acc[v]! / wSum;
  }
  return out;
}

export function srDomainEmbedding(inp: SrDomainInput, o: SrDomainOptions): SrDomainEmbedding {
  const n = inp.index.length;
  if (inp.latent.length !== n * inp.latentDim) throw badInput('srDomainEmbedding: latent size mismatch');
  if (o.space === 'latent') return { data: Float64Array.from(inp.latent), dim: inp.latentDim };
  if (!inp.histology || inp.histologyDim < 1) {
    throw badInput('Tissue-following domains need the run’s histology features; this run has none stored.');
  }
  if (inp.histology.length !== n * inp.histologyDim)
    throw badInput('srDomainEmbedding: histology size mismatch');
  const k = o.components ?? 16;
  const seed = o.seed ?? 0;
  const lat = unitBlock(inp.latent, n, inp.latentDim, k, seed);
  throwIfAborted(o.signal);
  const his = unitBlock(inp.histology, n, inp.histologyDim, k, seed);
  throwIfAborted(o.signal);
  // RMS distance between two random points of a unit-total-variance block is √2.
  const sigmaRange = (o.rangeSigma ?? 0.5) * Math.SQRT2;
  const radius = Math.max(1, Math.round(o.radius ?? 12));
  const smooth = jointBilateral(
    inp.rows,
    inp.cols,
    inp.index,
    lat.data,
    lat.k,
    his.data,
    his.k,
    radius,
    sigmaRange,
    o.signal,
    o.smoothingProgress,
  );
  const w = o.histologyWeight ?? 1;
  const dim = lat.k + his.k;
  const data = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < lat.k; a++) data[i * dim + a] = smooth[i * lat.k + a]!;
    for (let b = 0; b < his.k; b++) data[i * dim + lat.k + b] = w * his.data[i * his.k + b]!;
  }
  return { data, dim };
}

export interface SrDomainClusterOptions extends SrDomainOptions {
  k: number;
  /** connected pieces smaller than this many superpixels join their commonest neighbour (0 = off) */
  minComponent?: number;
  progress?: ProgressFn;
}

/**
 * SR domains of one run: the embedding above, k-means (mini-batch from 100k points, as the task
 * always did) and iStar's small-component clean-up on the grid. Labels are sorted by size, 0 =
 * largest; one per entry of `inp.index`.
 */
export function clusterSrDomains(inp: SrDomainInput, o: SrDomainClusterOptions): Int32Array {
  const progress = o.progress ?? noProgress;
  const emb = srDomainEmbedding(inp, {
    ...o,
    smoothingProgress: (f) =>
      progress({ fraction: 0.1 * f, message: 'Smoothing the latent along the tissue' }),
  });
  const n = inp.index.length;
  const km = kmeans(
    { nRows: n, nCols: emb.dim, data: emb.data },
    {
      k: o.k,
      seed: o.seed ?? 0,
      nInit: n >= 100_000 ? 3 : 10,
      signal: o.signal,
      progress: subProgress(progress, 0.1, 0.95),
    },
  );
  throwIfAborted(o.signal);
  const minComponent = o.minComponent ?? 20;
  if (minComponent <= 0) return km.labels;
  const img = new Int32Array(inp.rows * inp.cols).fill(-1);
  inp.index.forEach((sp, i) => (img[sp] = km.labels[i]!));
  const cleaned = relabelSmallComponents(img, inp.rows, inp.cols, minComponent);
  return Int32Array.from(inp.index, (sp) => cleaned[sp]!);
}

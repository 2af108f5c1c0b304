/**
 * Diff-ST end to end on one sample, with no HR truth from outside:
 *
 *   fitDiffst:    the measured (pseudo-)spots as a raster R; 2× coarsenings of R (4 parities) are
 *                 the LR maps, R the HR maps → patches (+ the 8 square symmetries) with their H&E
 *                 tile and cell patches → the denoiser trained through the shared trainer (AdamW,
 *                 EMA, per-update seeded t and ε, checkpoints, progress, cancel).
 *   sampleDiffst: R itself as the LR map → K ancestral samples per patch with respaced steps, in
 *                 ORT, with progress/ETA/cancel → per sample: un-normalise, stitch, calibrate to the
 *                 parents → mean map at 2× density and its per-pixel SD over the K samples.
 */
import { EngineError, cancelled } from '../../errors';
import type { ProgressFn } from '../../jobs/progress';
import { buildInference } from '../../onnx/model';
import { Rng, hashString, shuffledIndices } from '../../onnx/init';
import { createSession, toOrt, type OrtTensor } from '../../onnx/session';
import { train, type Dataset, type TrainResult } from '../../onnx/trainer';
import type { FloatArray } from '../../onnx/train-session';
import { diffstModel, type DiffstConfig } from '../../../../models/diffst';
import type { DiffstPreset } from './presets';
import { residualBase } from './residual-base';
import { crop, imageInputShape, type SlideRaster } from './image-input';
import { decodeGenes, encodeGenes, geneBasis, type GeneBasis } from './gene-basis';
import {
  childAffine,
  pixelCentre,
  type Affine,
  calibrateToParents,
  coarsen2,
  coexpressionAdjacency,
  dihedral,
  minMax,
  normalisedWindow,
  unMinMax,
  windowMinMax,
  type SpotRaster,
} from './raster';
import { ancestralStep, diffstSchedule, predictX0, respace, timestepEmbedding } from './schedule';

/** What the model sees for one patch, before a symmetry is applied. */
interface PatchItem {
  /** HR x_0 (G×H×H, normalised), measured-pixel mask (H×H) */
  x0: Float32Array;
  hrMask: Float32Array;
  /** LR (G×L×L, normalised) */
  lr: Float32Array;
  wsi: Float32Array;
  cells: Float32Array;
}

export interface DiffstGeometry {
  preset: DiffstPreset;
  genes: number;
  /** image read at tissue scale and cell scale for a given HR pitch */
  images: (hrPitch: number) => Promise<{ tissue: SlideRaster; cells: SlideRaster }>;
}

/** Image inputs of an HR patch whose pixel (0, 0) is centred at (cx, cy), HR pitch p. */
function patchImages(
  p: DiffstPreset,
  imgs: { tissue: SlideRaster; cells: SlideRaster },
  cx: number,
  cy: number,
  pitch: number,
  wsi: Float32Array,
  cells: Float32Array,
): void {
  const x0 = cx - pitch / 2;
  const y0 = cy - pitch / 2;
  crop(imgs.tissue, x0, y0, p.hr * p.imageScale, wsi, 0);
  const m = Math.round(Math.sqrt(p.cells));
  const cellSpan = (p.hr * pitch) / m;
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++)
      crop(
        imgs.cells,
        x0 + b * cellSpan,
        y0 + a * cellSpan,
        p.cellPx,
        cells,
        (a * m + b) * imgs.cells.channels * p.cellPx * p.cellPx,
      );
}

/** Pixel sizes of the two image reads for an HR pitch. */
export function imagePixelSizes(p: DiffstPreset, hrPitch: number): { tissue: number; cells: number } {
  const m = Math.round(Math.sqrt(p.cells));
  return { tissue: hrPitch / p.imageScale, cells: (p.hr * hrPitch) / (m * p.cellPx) };
}

/** LR window origins covering `n` pixels with windows of `size` at stride size/2 (≥ 1 window). */
export function windowOrigins(n: number, size: number, stride = Math.max(1, size / 2)): number[] {
  const out: number[] = [];
  for (let o = 0; ; o += stride) {
    out.push(Math.min(o, Math.max(0, n - size)));
    if (o + size >= n) break;
  }
  return [...new Set(out)];
}

/** Training patches of the 2× step learned on R (LR = coarsened R, HR = R), normalised per patch. */
export function trainingItems(
  R: SpotRaster,
  p: DiffstPreset,
  imgs: { tissue: SlideRaster; cells: SlideRaster },
): PatchItem[] {
  const G = R.genes;
  const H = p.hr;
  const L = H / 2;
  const items: PatchItem[] = [];
  for (const py of [0, 1] as const)
    for (const px of [0, 1] as const) {
      const lrR = coarsen2(R, py, px);
      for (let I0 = -L / 2; I0 <= lrR.height - L / 2; I0 += p.trainStride)
        for (let J0 = -L / 2; J0 <= lrR.width - L / 2; J0 += p.trainStride) {
          if (measuredFraction(lrR, I0, J0, L) < 0.25) continue;
          const mm = windowMinMax(lrR, I0, J0, L);
          const win = normalisedWindow(lrR, I0, J0, L, mm);
          const it: PatchItem = {
            x0: new Float32Array(G * H * H),
            hrMask: new Float32Array(H * H),
            lr: win.lr,
            wsi: new Float32Array(imgs.tissue.channels * (H * p.imageScale) ** 2),
            cells: new Float32Array(p.cells * imgs.cells.channels * p.cellPx * p.cellPx),
          };
          const base = residualBase(p.target, it.lr, win.present, G, L);
          const i0 = 2 * I0 - py;
          const j0 = 2 * J0 - px;
          for (let a = 0; a < H; a++)
            for (let b = 0; b < H; b++) {
              const i = i0 + a;
              const j = j0 + b;
              const measured = i >= 0 && j >= 0 && i < R.height && j < R.width && R.present[i * R.width + j];
              const la = a >> 1;
              const lb = b >> 1;
              // residual targets: x_0 is the HR map minus the upsampled LR (residual-base.ts)
              const off = (g: number) => (base ? base[g * H * H + a * H + b]! : 0);
              if (measured) {
                it.hrMask[a * H + b] = 1;
                const q = i * R.width + j;
                for (let g = 0; g < G; g++)
                  it.x0[g * H * H + a * H + b] =
                    minMax(R.values[q * G + g]!, mm.min[g]!, mm.max[g]!) - off(g);
              } else {
                // Unmeasured pixels carry their parent's LR value (the loss ignores them).
                for (let g = 0; g < G; g++)
                  it.x0[g * H * H + a * H + b] = it.lr[g * L * L + la * L + lb]! - off(g);
              }
            }
          const c0 = pixelCentre(R.affine, i0, j0);
          patchImages(p, imgs, c0.x, c0.y, R.pitch, it.wsi, it.cells);
          items.push(it);
        }
    }
  return items;
}

/** Fraction of an L×L window of r (origin may be negative) that is measured. */
function measuredFraction(r: SpotRaster, I0: number, J0: number, L: number): number {
  let n = 0;
  for (let i = I0; i < I0 + L; i++)
    for (let j = J0; j < J0 + L; j++)
      if (i >= 0 && j >= 0 && i < r.height && j < r.width && r.present[i * r.width + j]) n++;
  return n / (L * L);
}

/** Copies a C×n×n block applying symmetry k. */
function transformInto(
  src: Float32Array,
  so: number,
  dst: FloatArray,
  d0: number,
  C: number,
  n: number,
  k: number,
) {
  const nn = n * n;
  for (let c = 0; c < C; c++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const [a, b] = dihedral(k, i, j, n);
        dst[d0 + c * nn + a * n + b] = src[so + c * nn + i * n + j]!;
      }
}

/** The trainer's Dataset: row r = item ⌊r/8⌋ under symmetry r mod 8, with t and ε drawn per update. */
export function diffusionDataset(
  items: PatchItem[],
  p: DiffstPreset,
  G: number,
  seed: number,
  /** at most this many rows (a seeded subset), so one epoch is not longer than the update budget */
  maxRows = Infinity,
  /** channels of the items' x0 (the diffused gene directions; G when diffusing the genes) */
  K = G,
): Dataset {
  const all = items.length * 8;
  const rows =
    all <= maxRows
      ? null
      : shuffledIndices(all, new Rng(hashString('diffst:rows', seed)))
          .slice(0, Math.max(1, Math.floor(maxRows)))
          .sort((a, b) => a - b);
  const s = diffstSchedule();
  const H = p.hr;
  const L = H / 2;
  const Hi = H * p.imageScale;
  const c = p.cellPx;
  const I = imageInputShape(p.image).channels;
  return {
    size: rows ? rows.length : all,
    fill(indices, out, context) {
      const update = context?.update ?? 0;
      const get = (k: string) => out[k] as Float32Array;
      indices.forEach((index, r) => {
        const row = rows ? rows[index]! : index;
        const it = items[Math.floor(row / 8)]!;
        const k = row % 8;
        const rng = new Rng(hashString(`diffst:${update}:${r}`, seed));
        const t = rng.int(s.T);
        const n = K * H * H;
        const x0 = get('x0');
        transformInto(it.x0, 0, x0, r * n, K, H, k);
        transformInto(it.hrMask, 0, get('hrMask'), r * H * H, 1, H, k);
        transformInto(it.lr, 0, get('lowres'), r * G * L * L, G, L, k);
        transformInto(it.wsi, 0, get('wsi'), r * I * Hi * Hi, I, Hi, k);
        for (let m = 0; m < p.cells; m++)
          transformInto(it.cells, m * I * c * c, get('cells'), (r * p.cells + m) * I * c * c, I, c, k);
        const noise = get('noise');
        const xt = get('x_t');
        const a = s.sqrtAlphasCumprod[t]!;
        const b = s.sqrtOneMinusAlphasCumprod[t]!;
        for (let q = 0; q < n; q++) {
          const e = rng.normal();
          noise[r * n + q] = e;
          xt[r * n + q] = a * x0[r * n + q]! + b * e;
        }
        timestepEmbedding(t, p.channels, get('temb'), r * p.channels);
        get('sqrtRecipAc')[r] = s.sqrtRecipAlphasCumprod[t]!;
        get('sqrtRecipm1Ac')[r] = s.sqrtRecipm1AlphasCumprod[t]!;
        get('postCoef1')[r] = s.posteriorMeanCoef1[t]!;
        get('postCoef2')[r] = s.posteriorMeanCoef2[t]!;
        get('postLogVar')[r] = s.posteriorLogVarianceClipped[t]!;
        get('logBeta')[r] = Math.log(s.betas[t]!);
        get('isFirst')[r] = t === 0 ? 1 : 0;
      });
    },
  };
}

export function modelConfig(
  p: DiffstPreset,
  G: number,
  adjacency: Float32Array,
  latent = Math.min(G, p.latent),
): DiffstConfig {
  const image = imageInputShape(p.image);
  return {
    imageChannels: image.channels,
    imageDivisor: image.divisor,
    genes: G,
    latent,
    hr: p.hr,
    channels: p.channels,
    levels: p.levels,
    groups: p.groups,
    imageScale: p.imageScale,
    cells: p.cells,
    cellPx: p.cellPx,
    region: p.region,
    graphAlpha: p.graphAlpha,
    adjacency,
    disentangleWeight: p.disentangleWeight,
  };
}

export interface DiffstFit {
  preset: DiffstPreset;
  config: DiffstConfig;
  /** the gene directions the diffusion runs in */
  basis: GeneBasis;
  /** EMA weights (what sampling uses) */
  params: Map<string, FloatArray>;
  train: TrainResult;
  trainingRows: number;
  seconds: number;
}

export interface RunHooks {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** resumable training: the trainer's checkpoint folder */
  checkpointDir?: string;
}

/** Gene totals over the raster (for the co-expression adjacency). */
export function geneTotals(R: SpotRaster): Float64Array {
  const t = new Float64Array(R.genes);
  for (let q = 0; q < R.width * R.height; q++)
    if (R.present[q]) for (let g = 0; g < R.genes; g++) t[g] = t[g]! + R.values[q * R.genes + g]!;
  return t;
}

export async function fitDiffst(
  R: SpotRaster,
  p: DiffstPreset,
  imgs: { tissue: SlideRaster; cells: SlideRaster },
  seed: number,
  hooks: RunHooks = {},
): Promise<DiffstFit> {
  const t0 = performance.now();
  const G = R.genes;
  const items = trainingItems(R, p, imgs);
  if (items.length === 0)
    throw new EngineError('BAD_INPUT', 'Diff-ST found no training patch with measured spots.');
  const basis = geneBasis(
    items.map((it) => ({ x: it.x0, mask: it.hrMask })),
    G,
    p.latent,
  );
  const latentItems = items.map((it) => ({ ...it, x0: encodeGenes(basis, it.x0, p.hr * p.hr) }));
  const config = modelConfig(p, G, coexpressionAdjacency(geneTotals(R)), basis.k);
  const data = diffusionDataset(latentItems, p, G, seed, p.updates * p.batchSize, basis.k);
  const perEpoch = Math.ceil(data.size / p.batchSize);
  const result = await train({
    model: diffstModel(config),
    train: data,
    epochs: Math.max(1, Math.ceil(p.updates / perEpoch)),
    seed,
    lr: { kind: 'constant', lr: p.lr },
    batchSize: p.batchSize,
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: p.weightDecay },
    emaDecay: p.emaDecay,
    ...(hooks.checkpointDir ? { checkpoint: { dir: hooks.checkpointDir, everySteps: 100 } } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  return {
    preset: p,
    config,
    basis,
    params: result.ema ?? result.params,
    train: result,
    trainingRows: data.size,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The 2× map of a raster: mean and SD over K samples, (2h × 2w × G) in R's units. */
export interface SampledMap {
  width: number;
  height: number;
  genes: number;
  pitch: number;
  affine: Affine;
  mean: Float32Array;
  sd: Float32Array;
  /** children of measured parents */
  present: Uint8Array;
  samples: number;
  steps: number;
  seconds: number;
  /** chains averaged into `mean` (≥ samples) */
  meanSamples: number;
  /** the measurement maps of `SampleOptions.extras`, same layout as `mean` */
  extras?: Map<string, Float32Array>;
}

export interface SampleOptions {
  steps?: number;
  samples?: number;
  seed: number;
  /** shift each sample so its children average to the parent (default true) */
  calibrate?: boolean;
  /**
   * chains whose mean is the prediction (≥ samples; default the preset's `meanSamples`): the SD is
   * over the first `samples` chains, the mean over all of them, so the map does not carry the
   * sampling noise of K = 8 (docs/diffst.md, "Why the mean needs more chains")
   */
  meanSamples?: number;
  /**
   * measurement maps: per respaced step index in `x0At`, the mean over the chains of the model's
   * x̂_0 at that step (un-normalised, stitched and calibrated like the samples), and `mean<K>`,
   * the mean of the first K chains alone
   */
  extras?: { x0At?: number[] };
}

/** K ancestral samples (respaced steps) of the 2× map of R, batched through one ORT session. */
export async function sampleDiffst(
  fit: DiffstFit,
  R: SpotRaster,
  imgs: { tissue: SlideRaster; cells: SlideRaster },
  o: SampleOptions,
  hooks: RunHooks = {},
): Promise<SampledMap> {
  const t0 = performance.now();
  const p = fit.preset;
  const G = R.genes;
  const H = p.hr;
  const L = H / 2;
  const K = o.samples ?? p.samples;
  const steps = o.steps ?? p.sampleSteps;
  const sched = respace(diffstSchedule(), steps);
  const B = p.sampleBatch;
  const def = diffstModel(fit.config);
  const built = buildInference(def, fit.params, B);
  const { session } = await createSession(built.bytes, {});
  const hrPitch = R.pitch / 2;
  const Hi = H * p.imageScale;
  try {
    // Patches of R (LR windows) with their normalisation and images.
    const patches: {
      I0: number;
      J0: number;
      min: Float32Array;
      max: Float32Array;
      lr: Float32Array;
      /** the upsampled LR the residual is added back to (null for the 'map' target) */
      base: Float32Array | null;
      wsi: Float32Array;
      cells: Float32Array;
    }[] = [];
    for (const I0 of windowOrigins(R.height, L))
      for (const J0 of windowOrigins(R.width, L)) {
        const mm = windowMinMax(R, I0, J0, L);
        if (!mm.any) continue;
        const { lr, present: lrPresent } = normalisedWindow(R, I0, J0, L, mm);
        const base = residualBase(p.target, lr, lrPresent, G, L);
        const wsi = new Float32Array(imgs.tissue.channels * Hi * Hi);
        const cells = new Float32Array(p.cells * imgs.cells.channels * p.cellPx * p.cellPx);
        // HR pixel (0,0) of this patch is child (2·I0, 2·J0).
        const c0 = pixelCentre(childAffine(R.affine), 2 * I0, 2 * J0);
        patchImages(p, imgs, c0.x, c0.y, hrPitch, wsi, cells);
        patches.push({ I0, J0, min: mm.min, max: mm.max, lr, base, wsi, cells });
      }
    const chains = Math.max(K, o.meanSamples ?? p.meanSamples ?? K);
    const keepAt = [...new Set(o.extras?.x0At ?? [])].filter((i) => i >= 0 && i < steps);
    const rows = patches.flatMap((_, pi) => Array.from({ length: chains }, (_, k) => ({ pi, k })));
    const C = fit.basis.k;
    const n = C * H * H;
    const results = new Float32Array(rows.length * n);
    const x0Kept = new Map(keepAt.map((i) => [i, new Float32Array(rows.length * n)]));
    const feeds: Record<string, Float32Array> = {};
    for (const d of built.dataInputs) feeds[d.name] = new Float32Array(d.dims.reduce((a, b) => a * b, 1));
    const dims = new Map(built.dataInputs.map((d) => [d.name, d.dims]));
    const totalRuns = Math.ceil(rows.length / B) * steps;
    let runs = 0;
    for (let start = 0; start < rows.length; start += B) {
      const chunk = rows.slice(start, start + B);
      const x = new Float32Array(B * n);
      for (const f of Object.values(feeds)) f.fill(0);
      chunk.forEach(({ pi, k }, r) => {
        const pt = patches[pi]!;
        feeds['lowres']!.set(pt.lr, r * G * L * L);
        feeds['wsi']!.set(pt.wsi, r * pt.wsi.length);
        feeds['cells']!.set(pt.cells, r * pt.cells.length);
        const rng = new Rng(hashString(`diffst-sample:${pi}:${k}`, o.seed));
        for (let q = 0; q < n; q++) x[r * n + q] = rng.normal();
      });
      const noiseRng = new Rng(hashString(`diffst-noise:${start}`, o.seed));
      for (let i = steps - 1; i >= 0; i--) {
        if (hooks.signal?.aborted) throw cancelled();
        const t = sched.timestepMap[i]!;
        for (let r = 0; r < B; r++) timestepEmbedding(t, p.channels, feeds['temb'], r * p.channels);
        feeds['x_t']!.set(x);
        const ortFeeds: Record<string, OrtTensor> = {};
        for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt('float32', v, dims.get(k)!);
        const out = await session.run(ortFeeds);
        const y = out['out']!.data as Float32Array;
        const keep = x0Kept.get(i);
        for (let r = 0; r < chunk.length; r++)
          for (let g = 0; g < C; g++)
            for (let q = 0; q < H * H; q++) {
              const xi = r * n + g * H * H + q;
              const eps = y[r * 2 * n + g * H * H + q]!;
              const v = y[r * 2 * n + n + g * H * H + q]!;
              if (keep) keep[start * n + xi] = Math.max(-1, Math.min(1, predictX0(sched, i, x[xi]!, eps)));
              x[xi] = ancestralStep(sched, i, x[xi]!, eps, v, i > 0 ? noiseRng.normal() : 0);
            }
        runs++;
        const elapsed = (performance.now() - t0) / 1000;
        hooks.onProgress?.({
          fraction: runs / totalRuns,
          message: `sampling ${Math.min(start + B, rows.length)}/${rows.length} patch samples, step ${steps - i}/${steps}`,
          metrics: { step: runs, etaSeconds: (elapsed / runs) * (totalRuns - runs) },
        });
      }
      results.set(x.subarray(0, chunk.length * n), start * n);
    }

    // Per chain: un-normalise each patch, stitch (mean over overlaps), calibrate; then mean and SD.
    const W2 = 2 * R.width;
    const H2 = 2 * R.height;
    const present = new Uint8Array(W2 * H2);
    for (let I = 0; I < R.height; I++)
      for (let J = 0; J < R.width; J++)
        if (R.present[I * R.width + J])
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) present[(2 * I + a) * W2 + 2 * J + b] = 1;
    const acc = new Float32Array(W2 * H2 * G);
    const cnt = new Float32Array(W2 * H2);
    /** Σ and Σ² over chains 0..count−1 of the calibrated maps of `latents` (rows patch-major, `chains` per patch). */
    const moments = (latents: Float32Array, count: number) => {
      const sum = new Float64Array(W2 * H2 * G);
      const sumSq = new Float64Array(W2 * H2 * G);
      for (let k = 0; k < count; k++) {
        acc.fill(0);
        cnt.fill(0);
        patches.forEach((pt, pi) => {
          const z = decodeGenes(fit.basis, latents, (pi * chains + k) * n, H * H);
          for (let a = 0; a < H; a++)
            for (let b = 0; b < H; b++) {
              const i = 2 * pt.I0 + a;
              const j = 2 * pt.J0 + b;
              if (i >= H2 || j >= W2) continue;
              const q = i * W2 + j;
              cnt[q]!++;
              for (let g = 0; g < G; g++)
                acc[q * G + g] =
                  acc[q * G + g]! +
                  unMinMax(
                    z[g * H * H + a * H + b]! + (pt.base ? pt.base[g * H * H + a * H + b]! : 0),
                    pt.min[g]!,
                    pt.max[g]!,
                  );
            }
        });
        for (let q = 0; q < W2 * H2; q++)
          if (cnt[q]! > 0) for (let g = 0; g < G; g++) acc[q * G + g] = acc[q * G + g]! / cnt[q]!;
        if (o.calibrate !== false) calibrateToParents(acc, R, present, true);
        for (let q = 0; q < acc.length; q++) {
          const v = Math.max(0, acc[q]!);
          sum[q] = sum[q]! + v;
          sumSq[q] = sumSq[q]! + v * v;
        }
      }
      return { sum, sumSq };
    };
    const meanOf = (sum: Float64Array, count: number) => Float32Array.from(sum, (v) => v / count);
    const { sum, sumSq } = moments(results, K);
    const sd = new Float32Array(sum.length);
    for (let q = 0; q < sum.length; q++) {
      const m = sum[q]! / K;
      sd[q] = K > 1 ? Math.sqrt(Math.max(0, (sumSq[q]! - K * m * m) / (K - 1))) : 0;
    }
    const mean = chains > K ? meanOf(moments(results, chains).sum, chains) : meanOf(sum, K);
    const extras = new Map<string, Float32Array>();
    if (o.extras) extras.set(`mean${K}`, meanOf(sum, K));
    for (const [i, lat] of x0Kept) extras.set(`x0at${i}`, meanOf(moments(lat, chains).sum, chains));
    return {
      width: W2,
      height: H2,
      genes: G,
      pitch: hrPitch,
      affine: childAffine(R.affine),
      mean,
      sd,
      present,
      samples: K,
      meanSamples: chains,
      steps,
      seconds: (performance.now() - t0) / 1000,
      ...(extras.size ? { extras } : {}),
    };
  } finally {
    await session.release();
  }
}

/**
 * HISTEX end to end (methods.md §3): targets and gene tokens from the spots, MIL training of an
 * ensemble through the ONNX training engine, inference of the latent over tissue superpixels in
 * blocks, and gene maps computed lazily from the latent with the folded head.
 */
import { join } from 'node:path';
import { EngineError, cancelled } from '../../errors';
import type { ProgressFn } from '../../jobs/progress';
import { Graph } from '../../onnx/graph';
import { initParams } from '../../onnx/init';
import { createSession, toOrt, type OrtTensor } from '../../onnx/session';
import type { FloatArray } from '../../onnx/train-session';
import { train, type Dataset } from '../../onnx/trainer';
import {
  HEAD_BETA,
  ISTAR_HIDDEN,
  histexDefinition,
  histexForward,
  resolvedOptions,
  type HistexModelOptions,
} from '../../../../models/histex';
import { selectChannels, type HistexFeatures } from './features';
import { enhance, footprint, kNearest, minMaxColumns, padBags, type TrainingSpot } from './geometry';

export interface HistexOptions {
  /** 'histex' or the iStar-style pointwise MLP ("without BCA") */
  arch: 'histex' | 'istar';
  /** gene tokens per sample (k = 5 as released, 6 as in the paper) */
  k: number;
  dim: number;
  heads: number;
  scale: 'code' | 'paper';
  loss: 'mse' | 'l1';
  epochs: number;
  /** default min(32, N/16) for HISTEX, min(128, N/16) for iStar (at least 1) */
  batchSize?: number;
  lr: number;
  /** models in the ensemble (median) */
  ensemble: number;
  seed: number;
  /** HISTEX: off (code); iStar: on */
  shuffle: boolean;
  /** ablation: false = gene tokens from the measured spots only */
  enhancement: boolean;
  /** ablation: false = only the position channels reach the model */
  histology: boolean;
  /** stop a model when its epoch loss has not improved by `minDelta` (relative) for `patience` epochs */
  earlyStopping?: { patience: number; minDelta: number };
  /** wall-clock budget for all training, split evenly over the models */
  timeBudgetSeconds?: number;
  /** fold the activation-free head into one matrix in the step graph (identical maths) */
  foldHead: boolean;
}

const BASE: HistexOptions = {
  arch: 'histex',
  k: 5,
  dim: 128,
  heads: 8,
  scale: 'code',
  loss: 'mse',
  epochs: 500,
  lr: 1e-4,
  ensemble: 5,
  seed: 0,
  shuffle: false,
  enhancement: true,
  histology: true,
  foldHead: true,
};

/**
 * `paper`: the spec's settings (500 epochs, 5-model median). `default`: one HER2ST section with
 * 100 genes in under 10 minutes on 2 cores — 2 models, early stopping, a training budget.
 * `istar`: the §6 iStar settings (400 epochs, shuffle, batch min(128, N/16)).
 */
export const PRESETS: Record<'paper' | 'default' | 'istar', HistexOptions> = {
  paper: { ...BASE },
  // Measured on HER2ST B4/C2/C3 (coarsen, 100 genes, calibrated; docs/histex.md): with ~50–170
  // pseudo-spot bags per section longer training fits noise in the within-spot modulation — 60
  // epochs lost .013 mean PCC to 20 with the built-in input, and the paper's 500 × 5 fell below
  // `coarse` on C3 (.692 vs .714; 20 epochs: .763). 5 models gave no gain over 2. ~1–2 min/section.
  default: {
    ...BASE,
    epochs: 20,
    ensemble: 2,
    earlyStopping: { patience: 25, minDelta: 0.001 },
    timeBudgetSeconds: 420,
  },
  istar: { ...BASE, arch: 'istar', epochs: 400, shuffle: true },
};

export interface HistexInput {
  features: HistexFeatures;
  /** training bags: spots, or pseudo-spots with their member disks */
  spots: TrainingSpot[];
  /** spots × genes raw counts (the sum over each footprint) */
  counts: Float64Array;
  genes: number;
  /** footprint disk diameter in full-res px */
  spotDiameterPx: number;
  lattice: 'square' | 'hex' | 'none';
}

export interface HistexFit {
  options: HistexOptions;
  model: Required<HistexModelOptions>;
  features: HistexFeatures;
  /** per model: trained parameter values */
  params: Map<string, Float32Array>[];
  /** per model: epoch losses */
  history: number[][];
  stoppedEarly: boolean[];
  /** per model: the update its training resumed from (a checkpoint), or null */
  resumedFromStep: (number | null)[];
  /** density (counts per superpixel) normalisation: pred·(max − min) + min */
  min: Float64Array;
  max: Float64Array;
  /** enhanced nodes for inference gene tokens (min-max scaled values) */
  tokenX: Float64Array;
  tokenY: Float64Array;
  tokenValues: Float32Array;
  /** inference block side in superpixels */
  block: number;
  seconds: number;
}

export interface RunHooks {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** where training checkpoints go (one folder per model); a matching checkpoint there is resumed */
  checkpointDir?: string;
}

/** Bags, targets and gene tokens for the training spots. */
export function prepare(input: HistexInput, o: HistexOptions) {
  const f0 = input.features;
  const f = o.histology
    ? f0
    : selectChannels(
        f0,
        f0.channels.flatMap((c, i) => (c.startsWith('pos_') ? [i] : [])),
      );
  const G = input.genes;
  const radius = input.spotDiameterPx / 2;
  const members = input.spots.map((s) => footprint(f.grid, s.disks, radius));
  const keep = members.map((m, i) => (m.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (keep.length < 2)
    throw new EngineError(
      'BAD_INPUT',
      'Fewer than two spots overlap the feature map; check the image alignment.',
    );
  // Targets: the mean count density per superpixel c / |bag| (for the released 37-bin disks this
  // is cnts/37, and min-max makes it identical to min-max of cnts).
  const dens = new Float64Array(keep.length * G);
  keep.forEach((i, b) => {
    const n = members[i]!.length;
    for (let g = 0; g < G; g++) dens[b * G + g] = input.counts[i * G + g]! / n;
  });
  const { scaled: y, min, max } = minMaxColumns(dens, G);
  const spots = keep.map((i) => input.spots[i]!);
  const bags = padBags(keep.map((i) => members[i]!));
  // Enhanced nodes (HR lattice) or, for the ablation, the measured spots alone; min-max per gene
  // over the nodes, independently of the targets (§3.2).
  const en = o.enhancement
    ? enhance(spots, dens, G, input.lattice)
    : {
        x: Float64Array.from(spots, (s) => s.x),
        y: Float64Array.from(spots, (s) => s.y),
        values: dens,
      };
  const tokenValues = minMaxColumns(en.values, G).scaled;
  // Training gene tokens: the k nearest nodes to the TRAINING spot's centre (no index bug).
  const gene = new Float32Array(keep.length * o.k * G);
  spots.forEach((s, b) => {
    kNearest(en.x, en.y, s.x, s.y, o.k).forEach((node, j) =>
      gene.set(tokenValues.subarray(node * G, (node + 1) * G), (b * o.k + j) * G),
    );
  });
  const sizes = bags.members.map((m) => m.length).sort((a, b) => a - b);
  const block = Math.max(1, Math.round(Math.sqrt(sizes[Math.floor(sizes.length / 2)]!)));
  return { f, bags, y, min, max, gene, tokenX: en.x, tokenY: en.y, tokenValues, block };
}

type Prepared = ReturnType<typeof prepare>;

function batchSizeFor(o: HistexOptions, n: number): number {
  if (o.batchSize) return Math.min(o.batchSize, n);
  return Math.max(1, Math.min(o.arch === 'istar' ? 128 : 32, Math.floor(n / 16)));
}

/** Trains the ensemble (seeds seed, seed+1, …) and returns everything inference needs. */
export async function fitHistex(
  input: HistexInput,
  options: HistexOptions,
  hooks: RunHooks = {},
): Promise<HistexFit> {
  const started = performance.now();
  const o = options;
  const p = prepare(input, o);
  const nBags = p.bags.members.length;
  const G = input.genes;
  const F = p.f.dim;
  const N = p.bags.tokens;
  const model = resolvedOptions({
    features: F,
    genes: G,
    tokens: N,
    geneTokens: o.k,
    dim: o.dim,
    heads: o.heads,
    scale: o.scale,
    loss: o.loss,
    foldHead: o.foldHead,
    arch: o.arch,
  });
  const def = histexDefinition(model);
  const B = batchSizeFor(o, nBags);
  const progress = hooks.onProgress ?? (() => {});
  const params: Map<string, Float32Array>[] = [];
  const history: number[][] = [];
  const stoppedEarly: boolean[] = [];
  const resumedFromStep: (number | null)[] = [];
  const budget = o.timeBudgetSeconds;
  const data = bagDataset(p, nBags, F, G, o.k, N);
  for (let m = 0; m < o.ensemble; m++) {
    const perModel =
      budget !== undefined ? (budget - (performance.now() - started) / 1000) / (o.ensemble - m) : undefined;
    // One model of the ensemble through the app's one training loop (onnx/trainer.ts): its
    // checkpoints (one folder per model) let an interrupted job resume mid-training bit for bit.
    const r = await train({
      model: def,
      batchSize: B,
      optimizer: { kind: 'adam' },
      train: data,
      epochs: o.epochs,
      seed: o.seed + m,
      lr: { kind: 'constant', lr: o.lr },
      shuffle: o.shuffle,
      ...(o.earlyStopping
        ? {
            earlyStopping: {
              patience: o.earlyStopping.patience,
              minDelta: o.earlyStopping.minDelta,
              monitor: 'train' as const,
              relative: true,
              restoreBest: false,
            },
          }
        : {}),
      ...(perModel !== undefined ? { timeBudgetSeconds: perModel } : {}),
      ...(hooks.checkpointDir
        ? { checkpoint: { dir: join(hooks.checkpointDir, `model-${m}`), everySteps: CHECKPOINT_STEPS } }
        : {}),
      onProgress: (u) =>
        progress({
          ...u,
          fraction: (m + u.fraction) / o.ensemble,
          message: `model ${m + 1}/${o.ensemble}, ${u.message ?? ''}`,
          metrics: { ...(u.metrics ?? {}), model: m + 1 },
        }),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    const values = new Map<string, Float32Array>();
    for (const [k, v] of r.params) values.set(k, Float32Array.from(v));
    params.push(values);
    history.push(r.history.map((h) => h.trainLoss));
    stoppedEarly.push(r.stoppedEarly);
    resumedFromStep.push(r.resumedFromStep ?? null);
  }
  return {
    options: o,
    model,
    features: p.f,
    params,
    history,
    stoppedEarly,
    resumedFromStep,
    min: p.min,
    max: p.max,
    tokenX: p.tokenX,
    tokenY: p.tokenY,
    tokenValues: p.tokenValues,
    block: p.block,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Steps between checkpoints (epoch ends are checkpoints too). */
const CHECKPOINT_STEPS = 10;

/**
 * The training bags as the trainer's Dataset: per bag its superpixels' features (`his`, zero rows
 * for padding), the bag mask, the gene tokens (HISTEX only) and the min-max target.
 */
function bagDataset(p: Prepared, nBags: number, F: number, G: number, k: number, N: number): Dataset {
  return {
    size: nBags,
    fill(rows, out) {
      const his = out['his'] as Float32Array;
      const gene = out['gene'] as Float32Array | undefined;
      const bag = out['bag'] as Float32Array;
      const y = out['y'] as Float32Array;
      rows.forEach((b, r) => {
        const mem = p.bags.members[b]!;
        mem.forEach((s, t) => his.set(p.f.data.subarray(s * F, (s + 1) * F), (r * N + t) * F));
        bag.set(p.bags.mask.subarray(b * N, (b + 1) * N), r * N);
        gene?.set(p.gene.subarray(b * k * G, (b + 1) * k * G), r * k * G);
        y.set(p.y.subarray(b * G, (b + 1) * G), r * G);
      });
    },
  };
}

// ───────────────────────────── inference ─────────────────────────────

export interface LatentMap {
  /** flat superpixel indices (r·cols + c) the latent was computed for, ascending */
  index: Int32Array;
  /** per model: index.length × d */
  latents: Float32Array[];
  dim: number;
}

/** The median over models per element (the mean of the two middle values for an even count). */
export function medianOf(arrays: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
  const K = arrays.length;
  const n = arrays[0]?.length ?? 0;
  const res = out ?? new Float32Array(n);
  const tmp = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < K; m++) tmp[m] = arrays[m]![i]!;
    tmp.sort();
    res[i] = K % 2 === 1 ? tmp[(K - 1) / 2]! : (tmp[K / 2 - 1]! + tmp[K / 2]!) / 2;
  }
  return res;
}

/**
 * The latent z of every requested superpixel (default: every tissue superpixel), computed block by
 * block: the grid is cut into block × block squares (the training bag size, as HISTEX cuts 7×7),
 * each square's tissue superpixels form one context whose gene tokens are the k enhanced nodes
 * nearest to the square's centre. Memory is bounded by `blocksPerRun` blocks plus the output.
 */
export async function inferLatent(
  fit: HistexFit,
  hooks: RunHooks & { superpixels?: Int32Array; blocksPerRun?: number } = {},
): Promise<LatentMap> {
  const f = fit.features;
  const s = fit.block;
  const n = s * s;
  const F = f.dim;
  const G = fit.model.genes;
  const k = fit.model.geneTokens;
  const d = fit.model.arch === 'istar' ? (ISTAR_HIDDEN[ISTAR_HIDDEN.length - 1] as number) : fit.model.dim;
  const want = hooks.superpixels ?? tissueIndex(f);
  const wanted = new Uint8Array(f.grid.height * f.grid.width);
  for (const i of want) wanted[i] = 1;
  const index = Int32Array.from(want).sort();
  const pos = new Int32Array(f.grid.height * f.grid.width).fill(-1);
  index.forEach((sp, i) => (pos[sp] = i));
  // blocks that contain a wanted superpixel
  const bRows = Math.ceil(f.grid.height / s);
  const bCols = Math.ceil(f.grid.width / s);
  const blocks: number[] = [];
  for (let br = 0; br < bRows; br++)
    for (let bc = 0; bc < bCols; bc++) {
      let any = false;
      for (let r = br * s; r < Math.min(f.grid.height, (br + 1) * s) && !any; r++)
        for (let c = bc * s; c < Math.min(f.grid.width, (bc + 1) * s); c++)
          if (wanted[r * f.grid.width + c]) {
            any = true;
            break;
          }
      if (any) blocks.push(br * bCols + bc);
    }
  const Bi = Math.max(1, Math.min(hooks.blocksPerRun ?? 16, blocks.length));
  const mo = { ...fit.model, tokens: n };
  const latents = fit.params.map(() => new Float32Array(index.length * d));
  const his = new Float32Array(Bi * n * F);
  const gene = new Float32Array(Bi * k * G);
  const bag = new Float32Array(Bi * n);
  for (let m = 0; m < fit.params.length; m++) {
    const g = new Graph('float32');
    const hisT = g.input('his', [Bi, n, F]);
    const geneT = mo.arch === 'istar' ? null : g.input('gene', [Bi, k, G]);
    const bagT = g.input('bag', [Bi, n]);
    const { z } = histexForward(g, mo, hisT, geneT, bagT, true);
    const used = new Map<string, Float32Array>();
    for (const name of g.params.keys()) used.set(name, fit.params[m]!.get(name)!);
    const bytes = g.toModel({ outputs: { z }, paramValues: used, name: 'histex-latent' });
    const { session } = await createSession(bytes, {});
    try {
      for (let b0 = 0; b0 < blocks.length; b0 += Bi) {
        if (hooks.signal?.aborted) throw cancelled();
        his.fill(0);
        gene.fill(0);
        bag.fill(0);
        const chunk = blocks.slice(b0, b0 + Bi);
        chunk.forEach((blk, r) => {
          const br = Math.floor(blk / bCols);
          const bc = blk % bCols;
          let tissue = 0;
          for (let t = 0; t < n; t++) {
            const rr = br * s + Math.floor(t / s);
            const cc = bc * s + (t % s);
            if (rr >= f.grid.height || cc >= f.grid.width) continue;
            const sp = rr * f.grid.width + cc;
            his.set(f.data.subarray(sp * F, (sp + 1) * F), (r * n + t) * F);
            if (f.mask[sp]) {
              bag[r * n + t] = 1;
              tissue++;
            }
          }
          if (tissue === 0)
            for (let t = 0; t < n; t++) {
              const rr = br * s + Math.floor(t / s);
              const cc = bc * s + (t % s);
              if (rr < f.grid.height && cc < f.grid.width) bag[r * n + t] = 1;
            }
          const cx = f.grid.originX + (bc * s + s / 2) * f.grid.sizePx;
          const cy = f.grid.originY + (br * s + s / 2) * f.grid.sizePx;
          kNearest(fit.tokenX, fit.tokenY, cx, cy, k).forEach((node, j) =>
            gene.set(fit.tokenValues.subarray(node * G, (node + 1) * G), (r * k + j) * G),
          );
        });
        const feeds: Record<string, OrtTensor> = {
          his: toOrt('float32', his, [Bi, n, F]),
          bag: toOrt('float32', bag, [Bi, n]),
        };
        if (geneT) feeds['gene'] = toOrt('float32', gene, [Bi, k, G]);
        const out = await session.run(feeds);
        const zd = out['z']!.data as Float32Array;
        chunk.forEach((blk, r) => {
          const br = Math.floor(blk / bCols);
          const bc = blk % bCols;
          for (let t = 0; t < n; t++) {
            const rr = br * s + Math.floor(t / s);
            const cc = bc * s + (t % s);
            if (rr >= f.grid.height || cc >= f.grid.width) continue;
            const i = pos[rr * f.grid.width + cc]!;
            if (i >= 0) latents[m]!.set(zd.subarray((r * n + t) * d, (r * n + t + 1) * d), i * d);
          }
        });
        hooks.onProgress?.({
          fraction: (m + Math.min(1, (b0 + Bi) / blocks.length)) / fit.params.length,
          message: `inference model ${m + 1}/${fit.params.length}`,
        });
      }
    } finally {
      await session.release();
    }
  }
  return { index, latents, dim: d };
}

export function tissueIndex(f: HistexFeatures): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < f.mask.length; i++) if (f.mask[i]) out.push(i);
  return Int32Array.from(out);
}

/** Row-major matmul a [n×m] · b [m×p]. */
function matmul(
  a: Float64Array,
  b: Float64Array,
  n: number,
  m: number,
  p: number,
): Float64Array<ArrayBufferLike> {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const v = a[i * m + j]!;
      if (v === 0) continue;
      const o = i * p;
      const r = j * p;
      for (let c = 0; c < p; c++) out[o + c] = out[o + c]! + v * b[r + c]!;
    }
  return out;
}

export interface FoldedHead {
  /** rows: latent dims, then (HISTEX) feature dims; columns: genes */
  w: Float64Array;
  b: Float64Array;
  latentDim: number;
  featureDim: number;
  genes: number;
}

/**
 * The activation-free part after the latent as ONE affine map per gene: HISTEX
 * concat(z, his)·(W₁W₂W₃W₄W₅) + b; iStar z·W_out + b_out. Then out = ELU₀.₀₁(pre) + 0.01.
 */
export function foldHead(
  model: Required<HistexModelOptions>,
  params: ReadonlyMap<string, FloatArray>,
): FoldedHead {
  const G = model.genes;
  if (model.arch === 'istar') {
    const d = ISTAR_HIDDEN[ISTAR_HIDDEN.length - 1] as number;
    return {
      w: Float64Array.from(params.get('out/w')!),
      b: Float64Array.from(params.get('out/b')!),
      latentDim: d,
      featureDim: 0,
      genes: G,
    };
  }
  const widths = [...model.head, G];
  const ws = widths.map((_, i) => Float64Array.from(params.get(`head${i + 1}/w`)!));
  const ins = [model.dim + model.features, ...model.head];
  let prod: Float64Array<ArrayBufferLike> = ws[ws.length - 1]!;
  let bias = colSums(prod, ins[ins.length - 1]!, G);
  for (let i = ws.length - 2; i >= 0; i--) {
    prod = matmul(ws[i]!, prod, ins[i]!, widths[i]!, G);
    if (i >= 1) {
      const cs = colSums(prod, ins[i]!, G);
      for (let g = 0; g < G; g++) bias[g] = bias[g]! + cs[g]!;
    }
  }
  bias = bias.map((v) => v * HEAD_BETA);
  return { w: prod, b: bias, latentDim: model.dim, featureDim: model.features, genes: G };
}

function colSums(a: Float64Array, n: number, p: number): Float64Array {
  const s = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) s[j] = s[j]! + a[i * p + j]!;
  return s;
}

/**
 * Counts per superpixel for `genes` (indices into the fit's genes) at every superpixel of the latent
 * map: per model ELU₀.₀₁(pre) + 0.01 from its own latent, median over models, then
 * pred·(max − min) + min. Returns index.length × genes.length, row-major.
 */
export function geneValues(fit: HistexFit, latent: LatentMap, genes: readonly number[]): Float32Array {
  const n = latent.index.length;
  const ng = genes.length;
  const perModel = fit.params.map((pm) => {
    const h = foldHead(fit.model, pm);
    const out = new Float32Array(n * ng);
    const zs = latent.latents[fit.params.indexOf(pm)]!;
    const d = h.latentDim;
    const F = h.featureDim;
    const G = h.genes;
    const f = fit.features;
    for (let i = 0; i < n; i++) {
      const sp = latent.index[i]!;
      for (let q = 0; q < ng; q++) {
        const gi = genes[q]!;
        let v = h.b[gi]!;
        for (let j = 0; j < d; j++) v += zs[i * d + j]! * h.w[j * G + gi]!;
        for (let j = 0; j < F; j++) v += f.data[sp * F + j]! * h.w[(d + j) * G + gi]!;
        out[i * ng + q] = (v > 0 ? v : 0.01 * Math.expm1(v)) + 0.01;
      }
    }
    return out;
  });
  const med = medianOf(perModel);
  for (let i = 0; i < n; i++)
    for (let q = 0; q < ng; q++) {
      const gi = genes[q]!;
      med[i * ng + q] = med[i * ng + q]! * (fit.max[gi]! - fit.min[gi]!) + fit.min[gi]!;
    }
  return med;
}

/** The median latent over models (what HISTEX saves as embeddings-gene 'cls'). */
export function medianLatent(latent: LatentMap): Float32Array {
  return medianOf(latent.latents);
}

/** Seeded initial parameters, for tests. */
export function initialParams(model: HistexModelOptions, seed: number): Map<string, Float32Array> {
  const def = histexDefinition(model);
  const g = new Graph('float32');
  const o = resolvedOptions(model);
  const his = g.input('his', [1, o.tokens, o.features]);
  const gene = o.arch === 'istar' ? null : g.input('gene', [1, o.geneTokens, o.genes]);
  const bag = g.input('bag', [1, o.tokens]);
  void def;
  histexForward(g, o, his, gene, bag);
  const vals = initParams([...g.params.values()], seed, 'float32');
  const out = new Map<string, Float32Array>();
  for (const [k, v] of vals) out.set(k, Float32Array.from(v));
  return out;
}

/**
 * HisToSGE end to end (methods.md §4): per-spot inputs, chunks of L spots, training through the
 * ONNX training engine (Adam, MSE), prediction at any lattice points, and N-fold generation.
 *
 *   const src = await openSpotSource({ image, umPerPx });
 *   const fit = await fitHistosge({ source: src, spots, values, genes: G, lattice }, PRESETS.default);
 *   const y = await predictAt(fit, points);                    // points × genes, log1p(CP10k)
 *   const dense = await generate(fit, 4);                      // measured + new spots, predicted
 */
import { Rng } from '../../analysis/random';
import { EngineError, throwIfAborted } from '../../errors';
import type { ProgressFn } from '../../jobs/progress';
import { buildInference } from '../../onnx/model';
import { createSession, toOrt, type OrtTensor } from '../../onnx/session';
import { train, type Dataset } from '../../onnx/trainer';
import type { FloatArray } from '../../onnx/train-session';
import { PAPER_MODEL, histosgeDefinition, type HistosgeModelOptions } from '../../../../models/histosge';
import type { SpotLattice } from '../types';
import { inTissue, inputDim, spotInputs, type SpotSource } from './inputs';
import {
  chunks,
  generatePositions,
  peFrame,
  peIndex,
  type ChunkOrder,
  type GeneratedSpot,
  type LatticePoint,
  type PeFrame,
} from './lattice';

export interface HistosgeOptions {
  epochs: number;
  lr: number;
  /** chunks per batch (512 as released: every chunk of a section in one batch) */
  batchChunks: number;
  seqLen: number;
  order: ChunkOrder;
  /** patch side in µm (55), or 'spot' for the spot diameter */
  patchUm: number | 'spot';
  /** concat(features, position, RGB) as the paper (true), or features only as the code (false) */
  concat: boolean;
  /** gene-head hidden width (2048 as released) */
  headDim: number;
  mlpDim: number;
  seed: number;
  /**
   * Fraction of the measured spots held out of the loss (seeded) to stop training when their MSE
   * has not improved for `patience` epochs, keeping the best epoch's weights; 0 trains every epoch
   * on every spot (the released code).
   */
  validation: number;
  patience: number;
}

const BASE: HistosgeOptions = {
  epochs: 1000,
  lr: 1e-3,
  batchChunks: 512,
  seqLen: PAPER_MODEL.seqLen,
  order: 'tiles',
  patchUm: 55,
  concat: true,
  headDim: PAPER_MODEL.headDim,
  mlpDim: PAPER_MODEL.mlpDim,
  seed: 1234,
  validation: 0,
  patience: 0,
};

/**
 * `paper`: §4.2 as released (1000 epochs, batch 512 chunks, lr 1e-3, seed 1234). `default`: the
 * same network and optimiser with at most 300 epochs and early stopping on 10 % of the spots: the
 * ~0.65 M-parameter network memorises a section's few hundred spots long before 300 epochs, and a
 * linear read-out of the same input beats it on hidden spots (docs/histosge.md, "Overfitting").
 */
export const PRESETS: Record<'paper' | 'default', HistosgeOptions> = {
  paper: { ...BASE },
  default: { ...BASE, epochs: 300, validation: 0.1, patience: 20 },
};

export interface HistosgeData {
  source: SpotSource;
  /** measured spots with canonical lattice coordinates (integers) and full-res px */
  spots: readonly LatticePoint[];
  /** spots × genes targets, log1p(CP10k) */
  values: Float32Array | Float64Array;
  genes: number;
  lattice: SpotLattice;
  /** full-res px; used when patchUm = 'spot' */
  spotDiameterPx: number;
}

export interface HistosgeFit {
  options: HistosgeOptions;
  model: HistosgeModelOptions;
  data: HistosgeData;
  frame: PeFrame;
  patchPx: number;
  params: Map<string, FloatArray>;
  /** epoch losses (mean over real spots × genes) */
  history: number[];
  /** epoch MSE of the held-out spots (empty without `validation`); the weights are the best epoch's */
  validationHistory: number[];
  seconds: number;
  steps: number;
}

export interface RunHooks {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** Packed model inputs (and targets) for a list of chunks. */
interface Packed {
  x: Float32Array;
  pos: Float32Array;
  posW: Float32Array;
  valid: Float32Array;
  y?: Float32Array;
  yMask?: Float32Array;
}

function pack(
  fit: Pick<HistosgeFit, 'model' | 'frame'>,
  feats: Float32Array,
  pts: readonly LatticePoint[],
  list: readonly number[][],
  targets?: { values: ArrayLike<number>; genes: number },
): Packed {
  const { seqLen: L, inDim: D, embeddings } = fit.model;
  const n = list.length;
  const p: Packed = {
    x: new Float32Array(n * L * D),
    pos: new Float32Array(n * L * 4),
    posW: new Float32Array(n * L * 2),
    valid: new Float32Array(n * L),
  };
  if (targets) {
    p.y = new Float32Array(n * L * targets.genes);
    p.yMask = new Float32Array(n * L);
  }
  list.forEach((chunk, c) => {
    chunk.forEach((i, t) => {
      const r = c * L + t;
      p.x.set(feats.subarray(i * D, (i + 1) * D), r * D);
      const pt = pts[i]!;
      const [xl, xh, fx] = peIndex(pt.a, fit.frame.aMin, embeddings);
      const [yl, yh, fy] = peIndex(pt.b, fit.frame.bMin, embeddings);
      p.pos.set([xl, xh, yl, yh], r * 4);
      p.posW[r * 2] = fx;
      p.posW[r * 2 + 1] = fy;
      p.valid[r] = 1;
      if (targets) {
        const G = targets.genes;
        for (let g = 0; g < G; g++) p.y![r * G + g] = targets.values[i * G + g]!;
        p.yMask![r] = 1;
      }
    });
  });
  return p;
}

function chunkDataset(p: Packed, n: number, L: number, D: number, G: number): Dataset {
  return {
    size: n,
    fill(indices, out) {
      indices.forEach((c, r) => {
        (out['x'] as Float32Array).set(p.x.subarray(c * L * D, (c + 1) * L * D), r * L * D);
        (out['pos'] as Float32Array).set(p.pos.subarray(c * L * 4, (c + 1) * L * 4), r * L * 4);
        (out['posW'] as Float32Array).set(p.posW.subarray(c * L * 2, (c + 1) * L * 2), r * L * 2);
        (out['valid'] as Float32Array).set(p.valid.subarray(c * L, (c + 1) * L), r * L);
        (out['y'] as Float32Array).set(p.y!.subarray(c * L * G, (c + 1) * L * G), r * L * G);
        (out['yMask'] as Float32Array).set(p.yMask!.subarray(c * L, (c + 1) * L), r * L);
      });
    },
  };
}

/**
 * The held-out spots (a seeded `validation` fraction, at least one and never all), or null. They
 * stay in every chunk as inputs — the model sees no expression, so nothing leaks — and only their
 * place in the loss changes.
 */
export function heldOut(n: number, o: HistosgeOptions): Uint8Array | null {
  if (!(o.validation > 0)) return null;
  const k = Math.min(n - 1, Math.max(1, Math.round(o.validation * n)));
  if (k < 1) return null;
  const flag = new Uint8Array(n);
  const perm = new Rng(o.seed ^ 0x5e1ec7).permutation(n);
  for (let i = 0; i < k; i++) flag[perm[i]!] = 1;
  return flag;
}

/** The packed chunks with the loss on the held-out spots only (`held` true) or on the others. */
function withLoss(p: Packed, list: readonly number[][], flag: Uint8Array, held: boolean): Packed {
  const yMask = new Float32Array(p.yMask!.length);
  const L = p.valid.length / list.length;
  list.forEach((chunk, c) => chunk.forEach((i, t) => (yMask[c * L + t] = (flag[i] === 1) === held ? 1 : 0)));
  return { ...p, yMask };
}

export function modelOptions(o: HistosgeOptions, inDim: number, genes: number, embeddings: number) {
  return {
    ...PAPER_MODEL,
    inDim,
    genes,
    seqLen: o.seqLen,
    embeddings,
    headDim: o.headDim,
    mlpDim: o.mlpDim,
  } satisfies HistosgeModelOptions;
}

export function patchPxOf(o: HistosgeOptions, source: SpotSource, spotDiameterPx: number): number {
  return o.patchUm === 'spot' ? spotDiameterPx : o.patchUm / source.image.umPerPx;
}

export async function fitHistosge(
  data: HistosgeData,
  o: HistosgeOptions,
  hooks: RunHooks = {},
): Promise<HistosgeFit> {
  const t0 = performance.now();
  const n = data.spots.length;
  if (data.values.length !== n * data.genes)
    throw new EngineError('BAD_INPUT', `values: ${data.values.length} for ${n} spots × ${data.genes} genes`);
  const frame = peFrame(data.spots, PAPER_MODEL.embeddings);
  const model = modelOptions(o, inputDim(data.source, o.concat), data.genes, frame.size);
  const patchPx = patchPxOf(o, data.source, data.spotDiameterPx);
  const feats = spotInputs(data.source, data.spots, patchPx, o.concat);
  const list = chunks(data.spots, o.seqLen, o.order);
  const packed = pack({ model, frame }, feats, data.spots, list, { values: data.values, genes: data.genes });
  const held = heldOut(n, o);
  const batchSize = Math.min(o.batchChunks, list.length);
  const history: number[] = [];
  const validationHistory: number[] = [];
  const r = await train({
    model: histosgeDefinition(model),
    train: chunkDataset(
      held ? withLoss(packed, list, held, false) : packed,
      list.length,
      o.seqLen,
      model.inDim,
      data.genes,
    ),
    ...(held
      ? {
          validation: chunkDataset(
            withLoss(packed, list, held, true),
            list.length,
            o.seqLen,
            model.inDim,
            data.genes,
          ),
          earlyStopping: { patience: o.patience, restoreBest: true },
        }
      : {}),
    batchSize,
    epochs: o.epochs,
    seed: o.seed,
    lr: { kind: 'constant', lr: o.lr },
    optimizer: { kind: 'adam' },
    onProgress: (u) => {
      const m = u.metrics as { trainLoss?: number; validationLoss?: number } | undefined;
      if (m?.trainLoss !== undefined) history.push(m.trainLoss);
      if (m?.validationLoss !== undefined) validationHistory.push(m.validationLoss);
      hooks.onProgress?.(u);
    },
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    session: { provider: 'cpu' },
  });
  return {
    options: o,
    model,
    data,
    frame,
    patchPx,
    params: r.params,
    history,
    validationHistory,
    seconds: (performance.now() - t0) / 1000,
    steps: r.steps,
  };
}

/** Predictions (points × genes, row-major) at any lattice points, in chunks of L like training. */
export async function predictAt(
  fit: HistosgeFit,
  points: readonly LatticePoint[],
  hooks: RunHooks = {},
): Promise<Float32Array> {
  const { model } = fit;
  const L = model.seqLen;
  const G = model.genes;
  const feats = spotInputs(fit.data.source, points, fit.patchPx, fit.options.concat);
  const list = chunks(points, L, fit.options.order);
  const built = buildInference(histosgeDefinition(model), fit.params, 'batch');
  const { session } = await createSession(built.bytes, { provider: 'cpu' });
  const out = new Float32Array(points.length * G);
  try {
    const per = 64;
    for (let c0 = 0; c0 < list.length; c0 += per) {
      throwIfAborted(hooks.signal);
      const part = list.slice(c0, c0 + per);
      const p = pack(fit, feats, points, part);
      const B = part.length;
      const feeds: Record<string, OrtTensor> = {
        x: toOrt('float32', p.x, [B, L, model.inDim]),
        pos: toOrt('float32', p.pos, [B, L, 4]),
        posW: toOrt('float32', p.posW, [B, L, 2]),
        valid: toOrt('float32', p.valid, [B, L]),
      };
      const res = await session.run(feeds);
      const pred = res['pred']!.data as Float32Array;
      part.forEach((chunk, c) =>
        chunk.forEach((i, t) => out.set(pred.subarray((c * L + t) * G, (c * L + t + 1) * G), i * G)),
      );
      hooks.onProgress?.({ fraction: Math.min(1, (c0 + per) / list.length), message: 'predicting' });
    }
  } finally {
    await session.release();
  }
  return out;
}

export interface GeneratedSpots {
  fold: number;
  spots: GeneratedSpot[];
  /** spots × genes predicted log1p(CP10k), for measured and new spots alike */
  values: Float32Array;
  genes: number;
}

/** N-fold generation: the measured spots plus the new lattice points on tissue, all predicted. */
export async function generate(
  fit: HistosgeFit,
  fold: number,
  hooks: RunHooks = {},
): Promise<GeneratedSpots> {
  const src = fit.data.source;
  const spots = generatePositions(fit.data.spots, fit.data.lattice, fold, (x, y) => inTissue(src, x, y));
  const values = await predictAt(fit, spots, hooks);
  return { fold, spots, values, genes: fit.model.genes };
}

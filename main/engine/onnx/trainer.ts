/**
 * The training loop: epochs of seeded-shuffled batches through one step model, a learning-rate
 * schedule, optional validation with early stopping, progress with ETA, cancellation, and atomic
 * checkpoints every N steps from which a crashed job resumes bit-for-bit (on CPU: same model bytes,
 * same inputs, same thread count give the same floating-point results).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, cancelled, throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { readArrayFile, writeArrayFile } from '../store/array-file';
import { writeFileAtomic } from '../store/atomic-file';
import { sizeOf, type DType } from './graph';
import { Rng, hashString, shuffledIndices } from './init';
import { buildEvalModel, buildInference, names, type ModelDefinition, type StepConfig } from './model';
import { createSession, toOrt, type OrtTensor, type SessionOptions } from './session';
import { TrainSession, type FloatArray } from './train-session';

/** Row data for a set of sample indices. */
export interface Dataset {
  readonly size: number;
  /**
   * Writes the rows of `indices` (in that order) into `out[name]` for every model input and target:
   * row r of input `name` occupies [r·rowSize, (r+1)·rowSize). Rows beyond indices.length are padding
   * and are zeroed by the trainer before the call.
   */
  fill(
    indices: readonly number[],
    out: Record<string, FloatArray | BigInt64Array>,
    /**
     * Training batches only: the 0-based update this batch is for. Datasets that draw per-step
     * randomness (diffusion noise and timesteps) seed it from this, so a resumed run draws the same.
     */
    context?: { update: number },
  ): void;
}

export type LrSchedule =
  | { kind: 'constant'; lr: number }
  /** lr·gamma^⌊step/every⌋ */
  | { kind: 'step'; lr: number; every: number; gamma: number }
  /** Linear warm-up over `warmup` steps, then cosine from lr to minLr at the last step. */
  | { kind: 'cosine'; lr: number; minLr?: number; warmup?: number };

/** The learning rate of 0-based update `step` out of `total`. Pure. */
export function learningRate(s: LrSchedule, step: number, total: number): number {
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      return s.lr * Math.pow(s.gamma, Math.floor(step / s.every));
    case 'cosine': {
      const warm = s.warmup ?? 0;
      if (step < warm) return (s.lr * (step + 1)) / warm;
      const span = Math.max(1, total - warm - 1);
      const t = Math.min(1, (step - warm) / span);
      const min = s.minLr ?? 0;
      return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * t));
    }
  }
}

export interface TrainOptions extends StepConfig {
  model: ModelDefinition;
  train: Dataset;
  epochs: number;
  seed: number;
  lr: LrSchedule;
  /** Shuffle the training rows each epoch (seeded by seed and epoch). Default true. */
  shuffle?: boolean;
  validation?: Dataset;
  /**
   * Stop when the monitored loss (validation by default, or the epoch's training loss) has not
   * improved by minDelta — absolute, or a fraction of the best with `relative` — for `patience`
   * epochs; `restoreBest` (default true) returns the best epoch's parameters.
   */
  earlyStopping?: {
    patience: number;
    minDelta?: number;
    restoreBest?: boolean;
    monitor?: 'validation' | 'train';
    relative?: boolean;
  };
  /**
   * Stop after the epoch during which this many seconds of this call have passed (a resumed run
   * gets the budget again: wall-clock time is not part of the training state).
   */
  timeBudgetSeconds?: number;
  checkpoint?: { dir: string; everySteps: number };
  /** Start from these values instead of the seeded init (fine-tuning). */
  initialParams?: ReadonlyMap<string, FloatArray>;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  session?: SessionOptions;
  /**
   * Keep an exponential moving average of the parameters, ema ← d·ema + (1 − d)·p after every
   * update (diffusion models sample with it). Checkpointed with the run; returned as `ema`.
   */
  emaDecay?: number;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
}

export interface TrainResult {
  params: Map<string, FloatArray>;
  /** Updates done in total (including those before a resume). */
  steps: number;
  history: EpochRecord[];
  stoppedEarly: boolean;
  provider: string;
  resumedFromStep?: number;
  /** The moving average of the parameters, when `emaDecay` was set. */
  ema?: Map<string, FloatArray>;
}

/** Where training state is kept; one file, replaced atomically. */
export function checkpointPath(dir: string): string {
  return join(dir, 'checkpoint.stsr');
}

interface CheckpointMeta {
  format: 1;
  configHash: string;
  updates: number;
  epoch: number;
  /** Batches of `epoch` already done. */
  batchInEpoch: number;
  epochLossSum: number;
  epochRows: number;
  history: EpochRecord[];
  best: { loss: number; epoch: number } | null;
  badEpochs: number;
  stoppedEarly: boolean;
  tensors: { name: string; shape: number[]; offset: number }[];
}

/**
 * Hash of everything that must match for a checkpoint to continue the same run. The epoch count
 * is left out so a finished run can be extended.
 */
export function configHash(
  o: TrainOptions,
  paramShapes: readonly { name: string; shape: readonly number[] }[],
): string {
  const desc = {
    model: o.model.name,
    dtype: o.model.dtype,
    inputs: o.model.inputs,
    targets: o.model.targets,
    params: paramShapes.map((p) => [p.name, p.shape]),
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    clipNorm: o.clipNorm ?? null,
    lr: o.lr,
    seed: o.seed,
    shuffle: o.shuffle ?? true,
    trainSize: o.train.size,
    validationSize: o.validation?.size ?? null,
    earlyStopping: o.earlyStopping ?? null,
    ...(o.emaDecay !== undefined ? { emaDecay: o.emaDecay } : {}),
  };
  return createHash('sha256').update(JSON.stringify(desc)).digest('hex');
}

function saveCheckpoint(
  path: string,
  dtype: 'float32' | 'float64',
  meta: Omit<CheckpointMeta, 'tensors'>,
  tensors: Map<string, FloatArray>,
  shapes: Map<string, number[]>,
): void {
  const entries = [...tensors.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const total = entries.reduce((n, [, v]) => n + v.length, 0);
  const data = dtype === 'float32' ? new Float32Array(total) : new Float64Array(total);
  const index: CheckpointMeta['tensors'] = [];
  let offset = 0;
  for (const [name, v] of entries) {
    data.set(v, offset);
    index.push({ name, shape: shapes.get(name) ?? [v.length], offset });
    offset += v.length;
  }
  writeArrayFile(path, {
    dtype,
    shape: [total],
    data,
    meta: { ...meta, tensors: index } as unknown as Record<string, unknown>,
  });
}

function loadCheckpoint(path: string): { meta: CheckpointMeta; tensors: Map<string, FloatArray> } {
  const arr = readArrayFile(path);
  const meta = arr.meta as unknown as CheckpointMeta | undefined;
  if (!meta || meta.format !== 1)
    throw new EngineError('CORRUPT', `${path} is not a training checkpoint.`, { file: path });
  const data = arr.data as FloatArray;
  const tensors = new Map<string, FloatArray>();
  for (const t of meta.tensors) tensors.set(t.name, data.subarray(t.offset, t.offset + sizeOf(t.shape)));
  return { meta, tensors };
}

/** Feed buffers for one batch, allocated once and reused (ORT reads them during run only). */
class BatchBuffers {
  readonly arrays: Record<string, FloatArray | BigInt64Array> = {};
  readonly feeds: Record<string, OrtTensor> = {};
  private readonly mask: FloatArray;

  constructor(inputs: readonly { name: string; dims: number[]; dtype: DType }[]) {
    for (const d of inputs) {
      const n = sizeOf(d.dims);
      const arr =
        d.dtype === 'int64'
          ? new BigInt64Array(n)
          : d.dtype === 'float64'
            ? new Float64Array(n)
            : new Float32Array(n);
      if (d.name !== names.mask) this.arrays[d.name] = arr;
      this.feeds[d.name] = toOrt(d.dtype, arr, d.dims);
    }
    const m = this.feeds[names.mask];
    if (!m) throw new EngineError('INTERNAL', 'Step model has no mask input.');
    this.mask = m.data as FloatArray;
  }

  load(data: Dataset, indices: readonly number[], context?: { update: number }): void {
    // BigInt64Array (int64 inputs such as Gather indices) only takes bigint zeros.
    for (const a of Object.values(this.arrays)) {
      if (a instanceof BigInt64Array) a.fill(0n);
      else a.fill(0);
    }
    if (context) data.fill(indices, this.arrays, context);
    else data.fill(indices, this.arrays);
    this.mask.fill(0);
    this.mask.fill(1, 0, indices.length);
  }
}

/** Trains `o.model`; resumes from `o.checkpoint.dir` when a matching checkpoint is there. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const dtype = o.model.dtype;
  const trainer = await TrainSession.create(o.model, o, {
    seed: o.seed,
    ...(o.initialParams ? { initial: o.initialParams } : {}),
    ...(o.session ? { session: o.session } : {}),
  });
  try {
    return await loop(o, trainer, dtype);
  } finally {
    await trainer.release();
  }
}

async function loop(
  o: TrainOptions,
  trainer: TrainSession,
  dtype: 'float32' | 'float64',
): Promise<TrainResult> {
  const progress = o.onProgress ?? (() => {});
  const batchesPerEpoch = Math.ceil(o.train.size / o.batchSize);
  if (batchesPerEpoch === 0) throw new EngineError('BAD_INPUT', 'There are no training samples.');
  const totalSteps = batchesPerEpoch * o.epochs;
  const hash = configHash(o, trainer.params);
  const shapes = new Map<string, number[]>();
  for (const p of trainer.params) {
    shapes.set(names.param(p.name), [...p.shape]);
    for (const k of trainer.built.stateKeys) shapes.set(names.state(k, p.name), [...p.shape]);
  }

  let epoch = 0;
  let batchInEpoch = 0;
  let epochLossSum = 0;
  let epochRows = 0;
  let history: EpochRecord[] = [];
  let best: { loss: number; epoch: number } | null = null;
  let bestParams: Map<string, FloatArray> | null = null;
  let badEpochs = 0;
  let resumedFromStep: number | undefined;
  let stoppedEarly = false;

  const ckptFile = o.checkpoint ? checkpointPath(o.checkpoint.dir) : null;
  // The caller names the folder; the trainer owns what is in it (per-model folders of an ensemble
  // are not made by anyone else).
  if (o.checkpoint) mkdirSync(o.checkpoint.dir, { recursive: true });
  if (ckptFile && existsSync(ckptFile)) {
    const { meta, tensors } = loadCheckpoint(ckptFile);
    if (meta.configHash !== hash) {
      throw new EngineError(
        'CONFLICT',
        'The checkpoint in this folder belongs to a different training configuration.',
        {
          file: ckptFile,
          hint: 'Delete it to start over, or resume with the settings it was made with.',
        },
      );
    }
    trainer.restore(tensors, meta.updates);
    ({ epoch, batchInEpoch, epochLossSum, epochRows, history, best, badEpochs, stoppedEarly } = meta);
    if (best) {
      bestParams = new Map();
      for (const p of trainer.params) {
        const v = tensors.get(`best:${p.name}`);
        if (v) bestParams.set(p.name, v.slice());
      }
    }
    resumedFromStep = meta.updates;
  }
  // The EMA starts at the initial parameters (or continues from the checkpoint's).
  let ema: Map<string, FloatArray> | null = null;
  if (o.emaDecay !== undefined) {
    ema = new Map();
    const saved = ckptFile && existsSync(ckptFile) ? loadCheckpoint(ckptFile).tensors : null;
    for (const [k, v] of trainer.paramValues()) ema.set(k, (saved?.get(`ema:${k}`) ?? v).slice());
    for (const p of trainer.params) shapes.set(`ema:${p.name}`, [...p.shape]);
  }

  /** `at` overrides the loop position: at an epoch's end the next position is the next epoch. */
  const writeCheckpoint = (at?: {
    epoch: number;
    batchInEpoch: number;
    epochLossSum: number;
    epochRows: number;
  }) => {
    if (!ckptFile) return;
    const pos = at ?? { epoch, batchInEpoch, epochLossSum, epochRows };
    const tensors = trainer.stateTensors();
    if (bestParams)
      for (const [k, v] of bestParams) {
        tensors.set(`best:${k}`, v);
        shapes.set(`best:${k}`, shapes.get(names.param(k)) ?? [v.length]);
      }
    if (ema) for (const [k, v] of ema) tensors.set(`ema:${k}`, v);
    saveCheckpoint(
      ckptFile,
      dtype,
      {
        format: 1,
        configHash: hash,
        updates: trainer.updates,
        ...pos,
        history,
        best,
        badEpochs,
        stoppedEarly,
      },
      tensors,
      shapes,
    );
  };

  const buffers = new BatchBuffers(trainer.built.dataInputs);
  const evaluator = o.validation ? await Evaluator.create(o, trainer) : null;
  const started = performance.now();
  const startStep = trainer.updates;

  try {
    for (; epoch < o.epochs && !stoppedEarly; epoch++, batchInEpoch = 0, epochLossSum = 0, epochRows = 0) {
      // The order of an epoch depends only on (seed, epoch): a resume recomputes it exactly.
      const order =
        o.shuffle === false
          ? [...Array(o.train.size).keys()]
          : shuffledIndices(o.train.size, new Rng(hashString(`epoch:${epoch}`, o.seed)));
      for (; batchInEpoch < batchesPerEpoch;) {
        if (o.signal?.aborted) {
          writeCheckpoint();
          throw cancelled();
        }
        const rows = order.slice(batchInEpoch * o.batchSize, (batchInEpoch + 1) * o.batchSize);
        buffers.load(o.train, rows, { update: trainer.updates });
        const lr = learningRate(o.lr, trainer.updates, totalSteps);
        const r = await trainer.step(buffers.feeds, lr);
        if (ema) {
          const d = o.emaDecay as number;
          for (const [k, v] of trainer.paramValues()) {
            const e = ema.get(k) as FloatArray;
            for (let q = 0; q < e.length; q++) e[q] = d * e[q]! + (1 - d) * v[q]!;
          }
        }
        if (!Number.isFinite(r.loss)) {
          throw new EngineError(
            'BAD_INPUT',
            `Training diverged at step ${trainer.updates} (loss ${r.loss}).`,
            { hint: 'Lower the learning rate.' },
          );
        }
        epochLossSum += r.loss * rows.length;
        epochRows += rows.length;
        batchInEpoch++;
        const done = trainer.updates - startStep;
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / done) * (totalSteps - trainer.updates);
        progress({
          fraction: trainer.updates / totalSteps,
          message: `epoch ${epoch + 1}/${o.epochs}, step ${trainer.updates}/${totalSteps}, loss ${r.loss.toPrecision(4)}`,
          metrics: {
            loss: r.loss,
            step: trainer.updates,
            epoch: epoch + 1,
            lr,
            gradNorm: r.gradNorm,
            etaSeconds: eta,
          },
        });
        if (o.checkpoint && trainer.updates % o.checkpoint.everySteps === 0 && batchInEpoch < batchesPerEpoch)
          writeCheckpoint();
      }
      const record: EpochRecord = { epoch: epoch + 1, trainLoss: epochLossSum / Math.max(1, epochRows) };
      if (evaluator && o.validation)
        record.validationLoss = await evaluator.loss(o.validation, trainer.paramFeeds());
      const monitored = o.earlyStopping?.monitor === 'train' ? record.trainLoss : record.validationLoss;
      if (monitored !== undefined) {
        const minDelta = o.earlyStopping?.minDelta ?? 0;
        const bar = !best
          ? Infinity
          : o.earlyStopping?.relative
            ? best.loss * (1 - minDelta)
            : best.loss - minDelta;
        if (monitored < bar) {
          best = { loss: monitored, epoch: epoch + 1 };
          if (o.earlyStopping?.restoreBest ?? true)
            bestParams = new Map([...trainer.paramValues()].map(([k, v]) => [k, v.slice()]));
          badEpochs = 0;
        } else badEpochs++;
        if (o.earlyStopping && badEpochs >= o.earlyStopping.patience) stoppedEarly = true;
      }
      if (o.timeBudgetSeconds !== undefined && (performance.now() - started) / 1000 > o.timeBudgetSeconds)
        stoppedEarly = true;
      history.push(record);
      progress({
        fraction: trainer.updates / totalSteps,
        message: `epoch ${epoch + 1} done`,
        metrics: { ...record },
      });
      // Epoch boundaries are natural checkpoints: the next epoch starts from batch 0.
      if (
        o.checkpoint &&
        (trainer.updates % o.checkpoint.everySteps === 0 || stoppedEarly || epoch + 1 === o.epochs)
      ) {
        writeCheckpoint({ epoch: epoch + 1, batchInEpoch: 0, epochLossSum: 0, epochRows: 0 });
      }
      throwIfAborted(o.signal);
    }
  } finally {
    await evaluator?.release();
  }
  const restore = o.earlyStopping && (o.earlyStopping.restoreBest ?? true) && bestParams;
  const params = restore
    ? (bestParams as Map<string, FloatArray>)
    : new Map([...trainer.paramValues()].map(([k, v]) => [k, v.slice()]));
  const result: TrainResult = {
    params,
    steps: trainer.updates,
    history,
    stoppedEarly,
    provider: trainer.provider,
  };
  if (resumedFromStep !== undefined) result.resumedFromStep = resumedFromStep;
  if (ema) result.ema = ema;
  return result;
}

/** Validation loss: the eval model over all rows, weighted by rows per batch. */
class Evaluator {
  private constructor(
    private readonly session: Awaited<ReturnType<typeof createSession>>['session'],
    private readonly buffers: BatchBuffers,
    private readonly batchSize: number,
  ) {}

  static async create(o: TrainOptions, trainer: TrainSession): Promise<Evaluator> {
    const built = buildEvalModel(o.model, o.batchSize);
    const { session } = await createSession(built.bytes, {
      ...(o.session ?? {}),
      provider: trainer.provider,
    });
    return new Evaluator(session, new BatchBuffers(built.dataInputs), o.batchSize);
  }

  async loss(data: Dataset, params: Record<string, OrtTensor>): Promise<number> {
    let sum = 0;
    for (let start = 0; start < data.size; start += this.batchSize) {
      const rows = Array.from({ length: Math.min(this.batchSize, data.size - start) }, (_, i) => start + i);
      this.buffers.load(data, rows);
      const out = await this.session.run({ ...this.buffers.feeds, ...params });
      sum += Number(out[names.loss]?.data[0]) * rows.length;
    }
    return sum / Math.max(1, data.size);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Writes the trained inference graph as a standalone .onnx (weights embedded, symbolic batch),
 * atomically. Returns the bytes as well.
 */
export function exportOnnx(
  model: ModelDefinition,
  params: ReadonlyMap<string, FloatArray>,
  path?: string,
): Uint8Array {
  const { bytes } = buildInference(model, params);
  if (path) writeFileAtomic(path, bytes);
  return bytes;
}

/** Dataset over in-memory row-major arrays (one per input/target name, first axis = samples). */
export function arrayDataset(
  arrays: Record<string, { data: FloatArray | BigInt64Array; rowSize: number }>,
): Dataset {
  const sizes = Object.values(arrays).map((a) => a.data.length / a.rowSize);
  const size = sizes[0] ?? 0;
  if (sizes.some((s) => s !== size || !Number.isInteger(s)))
    throw new EngineError('BAD_INPUT', 'Dataset arrays disagree on the number of samples.');
  return {
    size,
    fill(indices, out) {
      for (const [name, a] of Object.entries(arrays)) {
        const dst = out[name];
        if (!dst) continue;
        indices.forEach((row, r) => {
          (dst as Float64Array).set(
            (a.data as Float64Array).subarray(row * a.rowSize, (row + 1) * a.rowSize),
            r * a.rowSize,
          );
        });
      }
    },
  };
}

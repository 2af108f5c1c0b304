/**
 * Runs a training-step model repeatedly. Parameters and optimizer state live as ORT tensors:
 * each step's outputs (p', m', v') are fed back as the next step's inputs without a JS-side copy.
 * (onnxruntime-node hands outputs back in CPU memory; IO binding to device memory is not exposed by
 * its JS API, so on a GPU provider each step still round-trips through host memory.)
 */
import { EngineError } from '../errors';
import type { FloatDType, ParamInfo } from './graph';
import { initParams } from './init';
import { buildTrainStep, names, type BuiltStep, type ModelDefinition, type StepConfig } from './model';
import {
  createSession,
  toOrt,
  type OrtSession,
  type OrtTensor,
  type ProviderName,
  type SessionOptions,
} from './session';

export type FloatArray = Float32Array | Float64Array;

export interface StepResult {
  loss: number;
  gradNorm: number;
}

export class TrainSession {
  /** Number of updates done so far (the next run uses step = updates + 1 for bias correction). */
  updates = 0;

  private constructor(
    readonly built: BuiltStep,
    readonly session: OrtSession,
    readonly provider: ProviderName,
    readonly dtype: FloatDType,
    /** Current parameters and optimizer state by graph input name (p:…, m:…, v:…). */
    private tensors: Map<string, OrtTensor>,
    readonly fallbackReason: string | undefined,
  ) {}

  static async create(
    def: ModelDefinition,
    cfg: StepConfig,
    o: { seed: number; initial?: ReadonlyMap<string, FloatArray>; session?: SessionOptions },
  ): Promise<TrainSession> {
    const built = buildTrainStep(def, cfg);
    const created = await createSession(built.bytes, o.session ?? {});
    const values = o.initial ?? initParams(built.params, o.seed, def.dtype);
    const tensors = new Map<string, OrtTensor>();
    for (const p of built.params) {
      const v = values.get(p.name);
      if (!v || v.length !== p.shape.reduce((a, b) => a * b, 1)) {
        throw new EngineError(
          'BAD_INPUT',
          `Initial values for parameter ${p.name} are missing or the wrong size.`,
        );
      }
      tensors.set(names.param(p.name), toOrt(def.dtype, copyOf(v, def.dtype), p.shape));
      for (const k of built.stateKeys)
        tensors.set(names.state(k, p.name), toOrt(def.dtype, zerosOf(def.dtype, v.length), p.shape));
    }
    return new TrainSession(
      built,
      created.session,
      created.provider,
      def.dtype,
      tensors,
      created.fallbackReason,
    );
  }

  get params(): ParamInfo[] {
    return this.built.params;
  }

  /** One optimisation step on a full (padded) batch. */
  async step(batch: Readonly<Record<string, OrtTensor>>, lr: number): Promise<StepResult> {
    const feeds: Record<string, OrtTensor> = { ...batch };
    for (const [k, t] of this.tensors) feeds[k] = t;
    const scalar = (v: number) =>
      toOrt(this.dtype, this.dtype === 'float32' ? Float32Array.of(v) : Float64Array.of(v), []);
    feeds[names.step] = scalar(this.updates + 1);
    feeds[names.lr] = scalar(lr);
    const out = await this.session.run(feeds);
    for (const p of this.built.params) {
      this.tensors.set(names.param(p.name), need(out, names.newParam(p.name)));
      for (const k of this.built.stateKeys)
        this.tensors.set(names.state(k, p.name), need(out, names.newState(k, p.name)));
    }
    this.updates++;
    return {
      loss: Number(need(out, names.loss).data[0]),
      gradNorm: Number(need(out, names.gradNorm).data[0]),
    };
  }

  /** Parameter values by parameter name (views of the current tensors: copy before mutating). */
  paramValues(): Map<string, FloatArray> {
    const m = new Map<string, FloatArray>();
    for (const p of this.built.params)
      m.set(p.name, this.tensors.get(names.param(p.name))?.data as FloatArray);
    return m;
  }

  /** Every tensor of the training state by graph input name (for checkpoints). */
  stateTensors(): Map<string, FloatArray> {
    const m = new Map<string, FloatArray>();
    for (const [k, t] of this.tensors) m.set(k, t.data as FloatArray);
    return m;
  }

  /** Restores tensors saved by stateTensors() and the update count. */
  restore(values: ReadonlyMap<string, FloatArray>, updates: number): void {
    for (const [k, t] of this.tensors) {
      const v = values.get(k);
      if (!v || v.length !== t.size)
        throw new EngineError('CORRUPT', `Checkpoint lacks ${k} or has the wrong size.`);
      this.tensors.set(k, toOrt(this.dtype, copyOf(v, this.dtype), t.dims));
    }
    this.updates = updates;
  }

  /** Parameter tensors as ORT values by p:<name>, to feed an evaluation model. */
  paramFeeds(): Record<string, OrtTensor> {
    const f: Record<string, OrtTensor> = {};
    for (const p of this.built.params)
      f[names.param(p.name)] = this.tensors.get(names.param(p.name)) as OrtTensor;
    return f;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function need(out: Record<string, OrtTensor>, name: string): OrtTensor {
  const t = out[name];
  if (!t) throw new EngineError('INTERNAL', `Training step produced no ${name}.`);
  return t;
}

function copyOf(v: FloatArray, dtype: FloatDType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
}

function zerosOf(dtype: FloatDType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/**
 * A trainable model is described once (`ModelDefinition`) and turned into three ONNX models from
 * the same builder code: the training step (forward, loss, backward, optimizer), the evaluation
 * model (forward and loss, for validation) and the standalone inference model with the trained
 * weights embedded. Sharing the code is what guarantees the exported model computes what was trained.
 */
import { gradients } from './autodiff';
import { Graph, matmulFlops, type DType, type FloatDType, type ParamInfo, type Tensor } from './graph';
import {
  applyOptimizer,
  clipByGlobalNorm,
  globalNorm,
  optimizerStateKeys,
  type OptimizerConfig,
} from './optim';

export interface TensorSpec {
  /** Per-sample shape; the batch axis is prepended by the builders. */
  shape: readonly number[];
  /** Defaults to the model's float type (int64 for index inputs). */
  dtype?: DType;
}

export interface ModelDefinition {
  /** Stable identifier; part of the checkpoint's configuration hash. */
  name: string;
  dtype: FloatDType;
  /** Inputs of the inference model. */
  inputs: Readonly<Record<string, TensorSpec>>;
  /** Extra inputs that only training needs (targets, weights). */
  targets: Readonly<Record<string, TensorSpec>>;
  /** Builds the forward pass, declaring parameters with g.param; returns the named outputs. */
  forward(g: Graph, inputs: Record<string, Tensor>): Record<string, Tensor>;
  /** Scalar loss. `mask` is [batch, 1]: 1 for real rows, 0 for padding of a last partial batch. */
  loss(g: Graph, outputs: Record<string, Tensor>, targets: Record<string, Tensor>, mask: Tensor): Tensor;
}

export interface StepConfig {
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Clip gradients by global L2 norm when set. */
  clipNorm?: number;
}

/** Graph I/O names of a training step (the naming convention everything else relies on). */
export const names = {
  param: (p: string) => `p:${p}`,
  newParam: (p: string) => `p':${p}`,
  state: (key: string, p: string) => `${key}:${p}`,
  newState: (key: string, p: string) => `${key}':${p}`,
  loss: 'loss',
  gradNorm: 'gradNorm',
  step: 'step',
  lr: 'lr',
  mask: 'mask',
};

export interface BuiltModel {
  bytes: Uint8Array;
  params: ParamInfo[];
  /** Batch inputs in feed order: model inputs, then targets (then `mask` for step/eval models). */
  dataInputs: { name: string; dims: number[]; dtype: DType }[];
  /** MatMul/Gemm FLOPs of one run (static shapes only; 0 when a batch is symbolic). */
  flops: number;
}

export interface BuiltStep extends BuiltModel {
  stateKeys: string[];
}

function declareData(g: Graph, specs: Readonly<Record<string, TensorSpec>>, batch: number | string) {
  const out: Record<string, Tensor> = {};
  for (const [name, s] of Object.entries(specs))
    out[name] = g.input(name, [batch, ...s.shape], s.dtype ?? g.dtype);
  return out;
}

function dataList(g: Graph): BuiltModel['dataInputs'] {
  return g.inputs.map((t) => ({ name: t.name, dims: t.dims, dtype: t.dtype }));
}

function forwardWithLoss(def: ModelDefinition, batchSize: number) {
  const g = new Graph(def.dtype);
  const inputs = declareData(g, def.inputs, batchSize);
  const targets = declareData(g, def.targets, batchSize);
  const mask = g.input(names.mask, [batchSize, 1], def.dtype);
  const outputs = def.forward(g, inputs);
  const loss = def.loss(g, outputs, targets, mask);
  if (loss.size !== 1) throw new RangeError(`${def.name}: loss must be a scalar, got [${loss.dims}]`);
  return { g, loss: loss.rank === 0 ? loss : g.reshape(loss, []), dataInputs: dataList(g) };
}

/** The one-step training model: inputs batch + mask + p: + state + step + lr; outputs loss + p' + state'. */
export function buildTrainStep(def: ModelDefinition, cfg: StepConfig): BuiltStep {
  const { g, loss, dataInputs } = forwardWithLoss(def, cfg.batchSize);
  const step = g.input(names.step, [], def.dtype);
  const lr = g.input(names.lr, [], def.dtype);
  const params = [...g.params.values()];
  const raw = gradients(
    loss,
    params.map((p) => p.tensor),
  );
  let grads = raw;
  let norm: Tensor;
  if (cfg.clipNorm !== undefined) ({ grads, norm } = clipByGlobalNorm(g, raw, cfg.clipNorm));
  else norm = globalNorm(g, raw);
  const stateKeys = optimizerStateKeys(cfg.optimizer);
  const outputs: Record<string, Tensor> = { [names.loss]: loss, [names.gradNorm]: norm };
  params.forEach((p, i) => {
    const state: Record<string, Tensor> = {};
    for (const k of stateKeys) state[k] = g.input(names.state(k, p.name), p.shape, def.dtype);
    const upd = applyOptimizer(g, cfg.optimizer, p.tensor, grads[i] as Tensor, state, step, lr);
    outputs[names.newParam(p.name)] = upd.param;
    for (const k of stateKeys) outputs[names.newState(k, p.name)] = upd.state[k] as Tensor;
  });
  return {
    bytes: g.toModel({ outputs, name: `${def.name}-step` }),
    params,
    dataInputs,
    stateKeys,
    flops: matmulFlops(g.nodes),
  };
}

/** Forward + loss with parameters as inputs: validation loss without an update. */
export function buildEvalModel(def: ModelDefinition, batchSize: number): BuiltModel {
  const { g, loss } = forwardWithLoss(def, batchSize);
  return {
    bytes: g.toModel({ outputs: { [names.loss]: loss }, name: `${def.name}-eval` }),
    params: [...g.params.values()],
    dataInputs: dataList(g),
    flops: matmulFlops(g.nodes),
  };
}

/** Only the parameters (names, shapes, inits) of a model, without building any ONNX bytes. */
export function modelParams(def: ModelDefinition, batchSize = 1): ParamInfo[] {
  const g = new Graph(def.dtype);
  def.forward(g, declareData(g, def.inputs, batchSize));
  return [...g.params.values()];
}

/**
 * The inference model with parameters embedded as initializers: a standalone .onnx. `batch` is a
 * number for a static batch or a name for a symbolic one (the default, 'batch').
 * With no `paramValues`, parameters stay graph inputs named p:<name> (used by benchmarks and tests).
 */
export function buildInference(
  def: ModelDefinition,
  paramValues: ReadonlyMap<string, Float32Array | Float64Array> | null,
  batch: number | string = 'batch',
): BuiltModel {
  const g = new Graph(def.dtype);
  const outputs = def.forward(g, declareData(g, def.inputs, batch));
  const bytes = g.toModel(
    paramValues ? { outputs, paramValues, name: def.name } : { outputs, name: def.name },
  );
  return {
    bytes,
    params: [...g.params.values()],
    flops: typeof batch === 'number' ? matmulFlops(g.nodes) : 0,
    dataInputs: g.inputs.map((t) => ({
      name: t.name,
      dims: t.shape.map((d) => (typeof d === 'number' ? d : -1)),
      dtype: t.dtype,
    })),
  };
}

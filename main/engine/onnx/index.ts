/**
 * Training and inference through ONNX Runtime: the public surface of main/engine/onnx.
 *
 * Build a model:   const g = new Graph('float32'); const x = g.input('x', ['batch', 1029]);
 *                  const w = g.param('w', [1029, 128], init.xavierUniform(1029, 128)); x.matmul(w).relu() …
 *                  (shared layers in models/: linear, layerNorm, crossAttention, biCrossAttention)
 * Differentiate:   gradients(loss, [w, …]) appends the backward pass to the same graph.
 * Train:           describe the model once as a ModelDefinition (inputs, targets, forward, loss),
 *                  then train({ model, train: dataset, batchSize, epochs, optimizer, lr, seed, … });
 *                  TrainSession runs single steps when a caller needs its own loop.
 * Export:          exportOnnx(model, result.params, 'model.onnx') writes a standalone model.
 * Run:             createSession(bytes, { provider: 'auto' }) tries CUDA/DirectML, then the CPU.
 */
export {
  Graph,
  Tensor,
  OPSET,
  attr,
  broadcastShapes,
  sizeOf,
  matmulFlops,
  type Attr,
  type ConvOptions,
  type DType,
  type Dim,
  type FloatDType,
  type GraphNode,
  type ParamInfo,
  type Shape,
  type ToModelOptions,
  type TypedData,
} from './graph';
export { gradients, differentiableOps, unbroadcast } from './autodiff';
export { Rng, hashString, init, initParams, initValues, shuffledIndices, type InitSpec } from './init';
export { charbonnierLoss, l1Loss, maskedMean, mseLoss } from './losses';
export {
  applyOptimizer,
  clipByGlobalNorm,
  globalNorm,
  optimizerStateKeys,
  type OptimizerConfig,
  type OptimizerUpdate,
} from './optim';
export {
  buildEvalModel,
  buildInference,
  buildTrainStep,
  modelParams,
  names,
  type BuiltModel,
  type BuiltStep,
  type ModelDefinition,
  type StepConfig,
  type TensorSpec,
} from './model';
export {
  createSession,
  defaultThreads,
  ort,
  providerOrder,
  toOrt,
  type CreatedSession,
  type OrtSession,
  type OrtTensor,
  type ProviderChoice,
  type ProviderName,
  type SessionOptions,
} from './session';
export {
  PROVIDER_CHOICES,
  computeChoiceFrom,
  parseProvider,
  parseThreads,
  setComputeChoice,
  type ComputeChoice,
} from './compute-env';
export { TrainSession, type FloatArray, type StepResult } from './train-session';
export {
  arrayDataset,
  checkpointPath,
  configHash,
  exportOnnx,
  learningRate,
  train,
  type Dataset,
  type EpochRecord,
  type LrSchedule,
  type TrainOptions,
  type TrainResult,
} from './trainer';

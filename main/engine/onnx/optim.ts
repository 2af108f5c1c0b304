/**
 * Optimizers as graph pieces: given a parameter, its gradient and its state tensors, they emit the
 * updated parameter and state. `step` (1-based update count, for bias correction) and `lr` are graph
 * inputs so schedules and resumes never rebuild the model.
 */
import type { Graph, Tensor } from './graph';

export type OptimizerConfig =
  /** p ← p − lr·b with b ← μ·b + (g + wd·p) (PyTorch SGD; μ = 0 keeps no state). */
  | { kind: 'sgd'; momentum?: number; weightDecay?: number }
  /** Adam with bias correction; weightDecay is the coupled L2 term added to g (PyTorch Adam). */
  | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  /** AdamW: decoupled decay p ← p·(1 − lr·wd) before the Adam step (PyTorch AdamW). */
  | { kind: 'adamw'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

/** State tensors per parameter, named `<key>:<param>` in and `<key>':<param>` out. */
export function optimizerStateKeys(cfg: OptimizerConfig): string[] {
  if (cfg.kind === 'sgd') return (cfg.momentum ?? 0) !== 0 ? ['m'] : [];
  return ['m', 'v'];
}

export interface OptimizerUpdate {
  param: Tensor;
  state: Record<string, Tensor>;
}

export function applyOptimizer(
  g: Graph,
  cfg: OptimizerConfig,
  p: Tensor,
  grad: Tensor,
  state: Record<string, Tensor>,
  step: Tensor,
  lr: Tensor,
): OptimizerUpdate {
  const st = (k: string): Tensor => {
    const t = state[k];
    if (!t) throw new RangeError(`optimizer state ${k} missing for ${p.name}`);
    return t;
  };
  if (cfg.kind === 'sgd') {
    const wd = cfg.weightDecay ?? 0;
    const gr = wd !== 0 ? g.add(grad, g.mul(p, wd)) : grad;
    const mu = cfg.momentum ?? 0;
    if (mu === 0) return { param: g.sub(p, g.mul(gr, lr)), state: {} };
    const buf = g.add(g.mul(st('m'), mu), gr);
    return { param: g.sub(p, g.mul(buf, lr)), state: { m: buf } };
  }
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  const wd = cfg.weightDecay ?? 0;
  const gr = cfg.kind === 'adam' && wd !== 0 ? g.add(grad, g.mul(p, wd)) : grad;
  const m = g.add(g.mul(st('m'), b1), g.mul(gr, 1 - b1));
  const v = g.add(g.mul(st('v'), b2), g.mul(g.mul(gr, gr), 1 - b2));
  const bc1 = biasCorrection(g, b1, step);
  const bc2 = biasCorrection(g, b2, step);
  const mHat = g.div(m, bc1);
  const denom = g.add(g.sqrt(g.div(v, bc2)), eps);
  const decayed = cfg.kind === 'adamw' && wd !== 0 ? g.mul(p, g.sub(1, g.mul(lr, wd))) : p;
  return { param: g.sub(decayed, g.mul(g.div(mHat, denom), lr)), state: { m, v } };
}

const corrections = new WeakMap<Tensor, Map<number, Tensor>>();

/**
 * 1 − βᵗ as a scalar of step's type, shared by all parameters. Computed in float64 and rounded
 * once: in float32, 1 − 0.999ᵗ cancels catastrophically (relative error ~1e-5 at t = 1), which
 * would put every float32 Adam step off the textbook update by more than 1e-6.
 */
function biasCorrection(g: Graph, beta: number, step: Tensor): Tensor {
  let byBeta = corrections.get(step);
  if (!byBeta) corrections.set(step, (byBeta = new Map()));
  let bc = byBeta.get(beta);
  if (!bc) {
    const t64 = step.dtype === 'float64' ? step : g.cast(step, 'float64');
    const exact = g.sub(1, g.pow(g.scalar(beta, 'float64'), t64));
    bc = step.dtype === 'float64' ? exact : g.cast(exact, step.dtype);
    byBeta.set(beta, bc);
  }
  return bc;
}

/**
 * Scales all gradients by min(1, maxNorm / ‖g‖₂) with ‖g‖₂ over every gradient together.
 * Returns the scaled gradients and the pre-clipping norm (worth logging).
 */
export function clipByGlobalNorm(
  g: Graph,
  grads: readonly Tensor[],
  maxNorm: number,
): { grads: Tensor[]; norm: Tensor } {
  const norm = globalNorm(g, grads);
  const factor = g.min(g.div(maxNorm, g.max(norm, 1e-12)), 1);
  return { grads: grads.map((t) => g.mul(t, factor)), norm };
}

export function globalNorm(g: Graph, grads: readonly Tensor[]): Tensor {
  const squares = grads.map((t) => g.reduceSumSquare(t));
  return g.sqrt(g.sum(squares));
}

/**
 * Losses as graph pieces. All are means over the unmasked elements: `mask` (0/1 or weights) broadcasts
 * over the per-element loss, typically a [batch, 1] column that drops the padded rows of a last
 * partial batch (training graphs have a static batch size).
 */
import type { Graph, Tensor } from './graph';

/**
 * Σ(values·mask) / Σ(mask broadcast to values). A fully masked batch gives 0, not NaN: the
 * denominator is floored at a tiny positive number and the numerator is then exactly 0.
 */
export function maskedMean(g: Graph, values: Tensor, mask?: Tensor | null): Tensor {
  if (!mask) return g.reduceMean(values);
  const weighted = g.reduceSum(g.mul(values, mask));
  // Each mask entry stands for values.size / mask.size elements (static shapes).
  const replication = values.size / mask.size;
  if (!Number.isInteger(replication)) throw new RangeError('mask must broadcast over the loss');
  const count = g.mul(g.reduceSum(mask), replication);
  return g.div(weighted, g.max(count, 1e-30));
}

export function mseLoss(g: Graph, pred: Tensor, target: Tensor, mask?: Tensor | null): Tensor {
  const d = g.sub(pred, target);
  return maskedMean(g, g.mul(d, d), mask);
}

/** Mean absolute error; the subgradient at a zero residual is 0. */
export function l1Loss(g: Graph, pred: Tensor, target: Tensor, mask?: Tensor | null): Tensor {
  return maskedMean(g, g.abs(g.sub(pred, target)), mask);
}

/** Charbonnier √(d² + ε²): L1-like for large residuals, smooth at 0 (Diff-ST uses ε² = 1e-6). */
export function charbonnierLoss(
  g: Graph,
  pred: Tensor,
  target: Tensor,
  mask?: Tensor | null,
  epsilon = 1e-3,
): Tensor {
  const d = g.sub(pred, target);
  return maskedMean(g, g.sqrt(g.add(g.mul(d, d), epsilon * epsilon)), mask);
}

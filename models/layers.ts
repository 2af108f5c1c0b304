/**
 * Building blocks shared by the method implementations. Weights are stored [in, out] so a layer
 * is literally `x·W + b` on the last axis, for any number of leading (batch, token) axes.
 */
import type { Graph, Tensor } from '../main/engine/onnx/graph';
import { init as initSpec, type InitSpec } from '../main/engine/onnx/init';

export interface LinearOptions {
  bias?: boolean;
  /** Weight init; default PyTorch's nn.Linear default U(±1/√in). */
  weightInit?: InitSpec;
  biasInit?: InitSpec;
}

/** y = x·W (+ b), W: [inDim, outDim], parameters `<scope>/<name>/w` and `/b`. */
export function linear(g: Graph, name: string, x: Tensor, outDim: number, o: LinearOptions = {}): Tensor {
  const inDim = x.shape[x.rank - 1];
  if (typeof inDim !== 'number') throw new RangeError(`linear ${name}: last axis must be static`);
  return g.scope(name, () => {
    const w = g.param('w', [inDim, outDim], o.weightInit ?? initSpec.torchDefault(inDim));
    const y = g.matmul(x, w);
    if (o.bias === false) return y;
    return g.add(y, g.param('b', [outDim], o.biasInit ?? initSpec.torchDefault(inDim)));
  });
}

/** LayerNorm over the last axis with learned scale (ones) and shift (zeros). */
export function layerNorm(g: Graph, name: string, x: Tensor, epsilon = 1e-5): Tensor {
  const d = x.shape[x.rank - 1] as number;
  return g.scope(name, () =>
    g.layerNorm(
      x,
      g.param('scale', [d], initSpec.ones()),
      g.param('shift', [d], initSpec.zeros()),
      -1,
      epsilon,
    ),
  );
}

/**
 * Every differentiable op against central finite differences, run by ORT. float64 wherever ORT's
 * CPU kernel has a double implementation (relative error ≤ 1e-4). ORT 1.30's CPU kernels for Erf
 * (so Gelu), LeakyRelu, Elu, Conv, ConvTranspose, AveragePool and Resize are float32-only, so those
 * are checked in float32: the linear ones (Conv, ConvTranspose, AveragePool, Resize, LeakyRelu away
 * from 0) with a large step, which leaves only rounding error (≤ 1e-4); the curved ones (Erf, Gelu,
 * Elu) with eps = 1e-2 and a 2e-3 tolerance, the float32 truncation/rounding floor.
 */
import { describe, expect, it } from 'vitest';
import { differentiableOps } from '../../../main/engine/onnx/autodiff';
import type { Graph, Tensor } from '../../../main/engine/onnx/graph';
import { awayFromZero, gradCheck, positive, type CheckInput } from './gradcheck';

type Case = {
  name: string;
  op: string;
  dtype?: 'float32' | 'float64';
  tol?: number;
  eps?: number;
  inputs: Record<string, CheckInput>;
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
};

const t = (x: Record<string, Tensor>, k: string) => x[k] as Tensor;

const cases: Case[] = [
  {
    name: 'Add broadcasts [3,1] over [2,3,4]',
    op: 'Add',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [3, 1] } },
    build: (g, x) => g.add(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Sub broadcasts both ways',
    op: 'Sub',
    inputs: { a: { shape: [3, 1] }, b: { shape: [2, 1, 4] } },
    build: (g, x) => g.sub(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Mul with a trailing vector',
    op: 'Mul',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [4] } },
    build: (g, x) => g.mul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Mul by a constant',
    op: 'Mul',
    inputs: { a: { shape: [2, 3] } },
    build: (g, x) => g.mul(t(x, 'a'), 0.37),
  },
  {
    name: 'Div with a column divisor',
    op: 'Div',
    inputs: { a: { shape: [2, 3] }, b: { shape: [2, 1], gen: positive() } },
    build: (g, x) => g.div(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Pow with a constant exponent',
    op: 'Pow',
    inputs: { a: { shape: [2, 3], gen: positive() } },
    build: (g, x) => g.pow(t(x, 'a'), 2.5),
  },
  {
    name: 'Pow with a tensor exponent',
    op: 'Pow',
    inputs: { a: { shape: [2, 3], gen: positive() }, b: { shape: [3] } },
    build: (g, x) => g.pow(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Sum of three with broadcast',
    op: 'Sum',
    inputs: { a: { shape: [2, 3] }, b: { shape: [3] }, c: { shape: [2, 1] } },
    build: (g, x) => g.sum([t(x, 'a'), t(x, 'b'), t(x, 'c')]),
  },
  { name: 'Neg', op: 'Neg', inputs: { a: { shape: [5] } }, build: (g, x) => g.neg(t(x, 'a')) },
  { name: 'Exp', op: 'Exp', inputs: { a: { shape: [2, 3] } }, build: (g, x) => g.exp(t(x, 'a')) },
  {
    name: 'Log',
    op: 'Log',
    inputs: { a: { shape: [2, 3], gen: positive() } },
    build: (g, x) => g.log(t(x, 'a')),
  },
  {
    name: 'Sqrt',
    op: 'Sqrt',
    inputs: { a: { shape: [2, 3], gen: positive() } },
    build: (g, x) => g.sqrt(t(x, 'a')),
  },
  {
    name: 'Abs away from 0',
    op: 'Abs',
    inputs: { a: { shape: [2, 4], gen: awayFromZero() } },
    build: (g, x) => g.abs(t(x, 'a')),
  },
  {
    name: 'Relu away from 0',
    op: 'Relu',
    inputs: { a: { shape: [2, 4], gen: awayFromZero() } },
    build: (g, x) => g.relu(t(x, 'a')),
  },
  {
    name: 'LeakyRelu(0.1) (float32 kernel)',
    op: 'LeakyRelu',
    dtype: 'float32',
    eps: 0.05,
    inputs: { a: { shape: [2, 4], gen: awayFromZero() } },
    build: (g, x) => g.leakyRelu(t(x, 'a'), 0.1),
  },
  {
    name: 'Elu(0.7) (float32 kernel)',
    op: 'Elu',
    dtype: 'float32',
    tol: 2e-3,
    inputs: { a: { shape: [2, 4], gen: awayFromZero() } },
    build: (g, x) => g.elu(t(x, 'a'), 0.7),
  },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: { a: { shape: [2, 4] } }, build: (g, x) => g.sigmoid(t(x, 'a')) },
  { name: 'Tanh', op: 'Tanh', inputs: { a: { shape: [2, 4] } }, build: (g, x) => g.tanh(t(x, 'a')) },
  {
    name: 'Erf (float32 kernel)',
    op: 'Erf',
    dtype: 'float32',
    tol: 2e-3,
    inputs: { a: { shape: [2, 4] } },
    build: (g, x) => g.erf(t(x, 'a')),
  },
  {
    name: 'Gelu, erf form (float32 kernel)',
    op: 'Erf',
    dtype: 'float32',
    tol: 2e-3,
    inputs: { a: { shape: [2, 4] } },
    build: (g, x) => g.gelu(t(x, 'a')),
  },
  {
    name: 'Softmax on the last axis',
    op: 'Softmax',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.softmax(t(x, 'a'), -1),
  },
  {
    name: 'Softmax on a middle axis',
    op: 'Softmax',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.softmax(t(x, 'a'), 1),
  },
  {
    name: 'LayerNormalization (closed-form rule)',
    op: 'LayerNormalization',
    inputs: { a: { shape: [2, 3, 5] }, s: { shape: [5] }, b: { shape: [5] } },
    build: (g, x) => g.layerNorm(t(x, 'a'), t(x, 's'), t(x, 'b'), -1, 1e-5),
  },
  {
    name: 'LayerNormalization over two axes',
    op: 'LayerNormalization',
    inputs: { a: { shape: [2, 3, 4] }, s: { shape: [3, 4] }, b: { shape: [4] } },
    build: (g, x) => g.layerNorm(t(x, 'a'), t(x, 's'), t(x, 'b'), 1, 1e-5),
  },
  {
    name: 'LayerNorm decomposed into primitives',
    op: 'ReduceMean',
    inputs: { a: { shape: [2, 3, 5] }, s: { shape: [5] }, b: { shape: [5] } },
    build: (g, x) => g.layerNormDecomposed(t(x, 'a'), t(x, 's'), t(x, 'b'), -1, 1e-5),
  },
  {
    name: 'GroupNorm (decomposed)',
    op: 'ReduceMean',
    inputs: { a: { shape: [2, 4, 3, 2] }, s: { shape: [4] }, b: { shape: [4] } },
    build: (g, x) => g.groupNorm(t(x, 'a'), 2, t(x, 's'), t(x, 'b')),
  },
  {
    name: 'ReduceSum one axis',
    op: 'ReduceSum',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.reduceSum(t(x, 'a'), [1]),
  },
  {
    name: 'ReduceSum keepdims',
    op: 'ReduceSum',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.reduceSum(t(x, 'a'), [0, 2], true),
  },
  {
    name: 'ReduceSumSquare',
    op: 'ReduceSumSquare',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.reduceSumSquare(t(x, 'a'), [0, 2]),
  },
  {
    name: 'ReduceMean negative axis',
    op: 'ReduceMean',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.reduceMean(t(x, 'a'), [-1]),
  },
  {
    name: 'Reshape',
    op: 'Reshape',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.reshape(t(x, 'a'), [4, -1]),
  },
  {
    name: 'Transpose',
    op: 'Transpose',
    inputs: { a: { shape: [2, 3, 4] } },
    build: (g, x) => g.transpose(t(x, 'a'), [2, 0, 1]),
  },
  {
    name: 'Unsqueeze',
    op: 'Unsqueeze',
    inputs: { a: { shape: [2, 3] } },
    build: (g, x) => g.unsqueeze(t(x, 'a'), [0, 2]),
  },
  {
    name: 'Squeeze',
    op: 'Squeeze',
    inputs: { a: { shape: [2, 1, 3] } },
    build: (g, x) => g.squeeze(t(x, 'a'), [1]),
  },
  {
    name: 'Concat',
    op: 'Concat',
    inputs: { a: { shape: [2, 2, 3] }, b: { shape: [2, 1, 3] } },
    build: (g, x) => g.concat([t(x, 'a'), t(x, 'b')], 1),
  },
  {
    name: 'Split (one part unused)',
    op: 'Split',
    inputs: { a: { shape: [2, 5] } },
    build: (g, x) => g.split(t(x, 'a'), [2, 3], 1)[1] as Tensor,
  },
  {
    name: 'Slice, negative bounds',
    op: 'Slice',
    inputs: { a: { shape: [4, 5] } },
    build: (g, x) => g.slice(t(x, 'a'), [1, -4], [3, -1], [0, 1]),
  },
  {
    name: 'Slice with steps',
    op: 'Slice',
    inputs: { a: { shape: [5, 6] } },
    build: (g, x) => g.slice(t(x, 'a'), [4, 1], [0, 6], [0, 1], [-2, 2]),
  },
  {
    name: 'Pad',
    op: 'Pad',
    inputs: { a: { shape: [2, 3] } },
    build: (g, x) => g.pad(t(x, 'a'), [1, 0, 0, 2]),
  },
  {
    name: 'Gather axis 0 with repeated indices',
    op: 'Gather',
    inputs: { a: { shape: [5, 3] }, i: { shape: [2, 3], data: [1, 3, 1, 1, 4, 1], dtype: 'int64' } },
    build: (g, x) => g.gather(t(x, 'a'), t(x, 'i'), 0),
  },
  {
    name: 'Gather axis 1 with repeated indices',
    op: 'Gather',
    inputs: { a: { shape: [2, 4, 3] }, i: { shape: [5], data: [2, 0, 2, 2, 3], dtype: 'int64' } },
    build: (g, x) => g.gather(t(x, 'a'), t(x, 'i'), 1),
  },
  {
    name: 'Where with a broadcast condition',
    op: 'Where',
    inputs: { a: { shape: [2, 3] }, b: { shape: [3] }, c: { shape: [3], diff: false } },
    build: (g, x) => g.where(g.greater(t(x, 'c'), 0), t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Expand',
    op: 'Expand',
    inputs: { a: { shape: [3, 1] } },
    build: (g, x) => g.expand(t(x, 'a'), [2, 3, 4]),
  },
  { name: 'Identity', op: 'Identity', inputs: { a: { shape: [3] } }, build: (g, x) => g.identity(t(x, 'a')) },
  {
    name: 'Cast float64 → float32 → float64',
    op: 'Cast',
    eps: 1e-2,
    inputs: { a: { shape: [2, 3] } },
    build: (g, x) => g.cast(g.cast(t(x, 'a'), 'float32'), 'float64'),
  },
  {
    name: 'MatMul with a shared weight',
    op: 'MatMul',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'MatMul broadcasting A',
    op: 'MatMul',
    inputs: { a: { shape: [3, 4] }, b: { shape: [2, 4, 5] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'MatMul batched',
    op: 'MatMul',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 2] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'MatMul broadcast batch dims',
    op: 'MatMul',
    inputs: { a: { shape: [2, 1, 3, 4] }, b: { shape: [3, 4, 2] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'MatMul 1-D @ 2-D',
    op: 'MatMul',
    inputs: { a: { shape: [4] }, b: { shape: [4, 3] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'MatMul 3-D @ 1-D',
    op: 'MatMul',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [4] } },
    build: (g, x) => g.matmul(t(x, 'a'), t(x, 'b')),
  },
  {
    name: 'Gemm plain with row bias',
    op: 'Gemm',
    inputs: { a: { shape: [3, 4] }, b: { shape: [4, 2] }, c: { shape: [2] } },
    build: (g, x) => g.gemm(t(x, 'a'), t(x, 'b'), t(x, 'c'), { alpha: 0.7, beta: 1.3 }),
  },
  {
    name: 'Gemm transA transB',
    op: 'Gemm',
    inputs: { a: { shape: [4, 3] }, b: { shape: [2, 4] }, c: { shape: [3, 1] } },
    build: (g, x) =>
      g.gemm(t(x, 'a'), t(x, 'b'), t(x, 'c'), { alpha: 1.5, beta: 0.5, transA: true, transB: true }),
  },
  {
    name: 'Gemm transB only',
    op: 'Gemm',
    inputs: { a: { shape: [3, 4] }, b: { shape: [2, 4] } },
    build: (g, x) => g.gemm(t(x, 'a'), t(x, 'b'), null, { transB: true }),
  },
  {
    name: 'Conv 3×3 pad 1 with bias (float32 kernel)',
    op: 'Conv',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [2, 2, 4, 4] }, w: { shape: [3, 2, 3, 3] }, b: { shape: [3] } },
    build: (g, x) => g.conv(t(x, 'x'), t(x, 'w'), t(x, 'b'), { pads: [1, 1, 1, 1] }),
  },
  {
    name: 'Conv grouped, strided, dilated, asymmetric pads (float32 kernel)',
    op: 'Conv',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [2, 4, 5, 6] }, w: { shape: [6, 2, 3, 2] } },
    build: (g, x) =>
      g.conv(t(x, 'x'), t(x, 'w'), null, {
        strides: [2, 1],
        pads: [1, 0, 0, 1],
        dilations: [1, 2],
        group: 2,
      }),
  },
  {
    name: 'ConvTranspose stride 2 with output padding (float32 kernel)',
    op: 'ConvTranspose',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [2, 3, 3, 3] }, w: { shape: [3, 2, 3, 3] }, b: { shape: [2] } },
    build: (g, x) =>
      g.convTranspose(t(x, 'x'), t(x, 'w'), t(x, 'b'), {
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        outputPadding: [1, 0],
      }),
  },
  {
    name: 'ConvTranspose grouped and dilated (float32 kernel)',
    op: 'ConvTranspose',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [1, 4, 3, 2] }, w: { shape: [4, 1, 2, 2] } },
    build: (g, x) => g.convTranspose(t(x, 'x'), t(x, 'w'), null, { dilations: [2, 1], group: 2 }),
  },
  {
    name: 'AveragePool 2×2 stride 2 (float32 kernel)',
    op: 'AveragePool',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [2, 3, 4, 5] } },
    build: (g, x) => g.averagePool(t(x, 'x'), [2, 2]),
  },
  {
    name: 'AveragePool 3×3 stride 1 pad 1 (float32 kernel)',
    op: 'AveragePool',
    dtype: 'float32',
    eps: 1,
    tol: 1e-4,
    inputs: { x: { shape: [1, 2, 4, 4] } },
    build: (g, x) => g.averagePool(t(x, 'x'), [3, 3], { strides: [1, 1], pads: [1, 1, 1, 1] }),
  },
  {
    name: 'Resize nearest ×2 ×3 (float32 kernel)',
    op: 'Resize',
    dtype: 'float32',
    eps: 1,
    inputs: { x: { shape: [1, 2, 2, 3] } },
    build: (g, x) => g.resizeNearest(t(x, 'x'), [2, 3]),
  },
];

describe('gradients match central differences', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dtype = c.dtype ?? 'float64';
      const r = await gradCheck(dtype, c.inputs, c.build, c.eps === undefined ? {} : { eps: c.eps });
      expect(r.maxRelErr).toBeLessThanOrEqual(c.tol ?? 1e-4);
    });
  }

  it('covers every op that has a gradient rule', () => {
    const checked = new Set(cases.map((c) => c.op));
    // Flatten has a rule (same as Reshape) but the builder never emits it.
    const unchecked = differentiableOps().filter((op) => !checked.has(op) && op !== 'Flatten');
    expect(unchecked).toEqual([]);
  });
});

/**
 * Reverse-mode differentiation of a built graph. The gradient nodes are appended to the same graph,
 * so one model computes forward, loss and backward in a single ORT run.
 *
 * Walk: forward nodes in reverse insertion order (insertion order is topological because a node can
 * only consume tensors that exist). Each tensor collects gradient contributions from its consumers;
 * by the time its producer is visited every consumer has been, so the sum is complete. Nodes whose
 * inputs do not depend on a requested tensor are skipped, so no gradient flows into data.
 */
import { EngineError } from '../errors';
import { type Graph, type GraphNode, type Tensor, sizeOf, sliceRange } from './graph';

interface Vjp {
  g: Graph;
  node: GraphNode;
  /** Gradient of each output (null when no path from it reaches the loss). */
  gy: readonly (Tensor | null)[];
  /** Whether input i needs a gradient: rules skip the work for those that do not. */
  needs: readonly boolean[];
}

type Rule = (c: Vjp) => readonly (Tensor | null | undefined)[];

function fail(message: string): never {
  throw new EngineError('INTERNAL', `Autodiff: ${message}`);
}

function input(c: Vjp, i: number): Tensor {
  return c.node.inputs[i] ?? fail(`${c.node.op} input ${i} missing`);
}

function output(c: Vjp, i = 0): Tensor {
  return c.node.outputs[i] ?? fail(`${c.node.op} output ${i} missing`);
}

/** The gradient of output 0 (rules for single-output ops). */
function gy0(c: Vjp): Tensor {
  return c.gy[0] ?? fail(`${c.node.op} has no output gradient`);
}

/** Values of a constant int64 input (axes, shapes, slice bounds). */
function constInts(c: Vjp, i: number): number[] {
  const t = input(c, i);
  const data = c.g.constantData(t);
  if (!data) fail(`${c.node.op} input ${i} must be a constant to differentiate`);
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

function intAttr(c: Vjp, name: string, fallback: number): number {
  const a = c.node.attrs[name];
  return a && a.kind === 'int' ? a.v : fallback;
}

function floatAttr(c: Vjp, name: string, fallback: number): number {
  const a = c.node.attrs[name];
  return a && a.kind === 'float' ? a.v : fallback;
}

function intsAttr(c: Vjp, name: string): number[] | undefined {
  const a = c.node.attrs[name];
  return a && a.kind === 'ints' ? [...a.v] : undefined;
}

/**
 * Sums a gradient back to the shape of an operand that was broadcast: over the leading axes the
 * gradient has beyond the operand's rank and over the axes where the operand has size 1.
 */
export function unbroadcast(g: Graph, grad: Tensor, shape: readonly number[]): Tensor {
  const gs = grad.dims;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return grad;
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  gs.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length > 0 ? g.reduceSum(grad, axes, true) : grad;
  return g.reshape(summed, [...shape]);
}

function unb(c: Vjp, grad: Tensor, i: number): Tensor {
  return unbroadcast(c.g, grad, input(c, i).dims);
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

// ------------------------------------------------------------------ matmul family

function matmulRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const A = input(c, 0);
  const B = input(c, 1);
  const gy = gy0(c);
  // Promote 1-D operands to matrices so one set of formulas covers every case.
  const a2 = A.rank === 1 ? g.reshape(A, [1, A.dims[0] as number]) : A;
  const b2 = B.rank === 1 ? g.reshape(B, [B.dims[0] as number, 1]) : B;
  const m = a2.dims[a2.rank - 2] as number;
  const k = a2.dims[a2.rank - 1] as number;
  const n = b2.dims[b2.rank - 1] as number;
  const batch = gy.dims.slice(0, gy.rank - (A.rank === 1 ? 0 : 1) - (B.rank === 1 ? 0 : 1));
  const gy2 = A.rank === 1 || B.rank === 1 ? g.reshape(gy, [...batch, m, n]) : gy;
  let gA: Tensor | null = null;
  let gB: Tensor | null = null;
  if (c.needs[0]) {
    const full = g.matmul(gy2, g.transposeLast2(b2));
    gA = g.reshape(unbroadcast(g, full, a2.dims), A.dims);
  }
  if (c.needs[1]) {
    if (b2.rank === 2 && a2.rank > 2) {
      // A shared weight: fold the batch into rows so the sum over the batch is inside one MatMul
      // instead of a [batch, k, n] intermediate reduced afterwards.
      const aFlat = g.reshape(a2, [-1, k]);
      const gFlat = g.reshape(gy2, [-1, n]);
      gB = g.reshape(g.matmul(g.transpose(aFlat, [1, 0]), gFlat), B.dims);
    } else {
      const full = g.matmul(g.transposeLast2(a2), gy2);
      gB = g.reshape(unbroadcast(g, full, b2.dims), B.dims);
    }
  }
  return [gA, gB];
}

function gemmRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const A = input(c, 0);
  const B = input(c, 1);
  const C = c.node.inputs[2] ?? null;
  const gy = gy0(c);
  const alpha = floatAttr(c, 'alpha', 1);
  const beta = floatAttr(c, 'beta', 1);
  const tA = intAttr(c, 'transA', 0) === 1;
  const tB = intAttr(c, 'transB', 0) === 1;
  // d op(A) = alpha·gy·op(B)ᵀ and d op(B) = alpha·op(A)ᵀ·gy, transposed back when op transposes.
  const gA = !c.needs[0]
    ? null
    : tA
      ? g.gemm(B, gy, null, { alpha, transA: tB, transB: true })
      : g.gemm(gy, B, null, { alpha, transB: !tB });
  const gB = !c.needs[1]
    ? null
    : tB
      ? g.gemm(gy, A, null, { alpha, transA: true, transB: tA })
      : g.gemm(A, gy, null, { alpha, transA: !tA });
  const gC = C && c.needs[2] ? unbroadcast(g, beta === 1 ? gy : g.mul(gy, beta), C.dims) : null;
  return [gA, gB, gC];
}

// ------------------------------------------------------------------ convolution family

interface ConvGeom {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
  kernel: number[];
}

function convGeom(c: Vjp, kernel: number[]): ConvGeom {
  const r = kernel.length;
  const ones = kernel.map(() => 1);
  return {
    strides: intsAttr(c, 'strides') ?? ones,
    pads: intsAttr(c, 'pads') ?? [...ones, ...ones].map(() => 0),
    dilations: intsAttr(c, 'dilations') ?? ones,
    group: intAttr(c, 'group', 1),
    kernel: kernel.slice(0, r),
  };
}

/**
 * R[cb, ca, k] = Σ_{n,o} a[n, ca(group of cb), k·d + o·s − pb] · b[n, cb, o]: the weight gradient of
 * Conv (a = X, b = gy) and of ConvTranspose (a = gy, b = X), computed as one Conv that treats the
 * batch as channels. `s`/`d` are the forward strides/dilations; they swap roles here.
 */
function weightCorrelation(
  g: Graph,
  a: Tensor,
  b: Tensor,
  group: number,
  s: readonly number[],
  d: readonly number[],
  padBegin: readonly number[],
  kernel: readonly number[],
): Tensor {
  const [n, ca, ...sa] = a.dims as [number, number, ...number[]];
  const [, cb, ...ob] = b.dims as [number, number, ...number[]];
  const sp = range(0, sa.length).map((i) => i + 3);
  let at: Tensor;
  let bt: Tensor;
  if (group === 1) {
    at = g.transpose(a, [1, 0, ...sp.map((i) => i - 1)]);
    bt = g.transpose(b, [1, 0, ...sp.map((i) => i - 1)]);
  } else {
    const caG = ca / group;
    const cbG = cb / group;
    at = g.reshape(g.transpose(g.reshape(a, [n, group, caG, ...sa]), [2, 1, 0, ...sp]), [
      caG,
      group * n,
      ...sa,
    ]);
    bt = g.reshape(g.transpose(g.reshape(b, [n, group, cbG, ...ob]), [1, 2, 0, ...sp]), [cb, n, ...ob]);
  }
  // End padding just large enough that every kernel offset gets an output.
  const padEnd = kernel.map((k, i) =>
    Math.max(
      0,
      (k - 1) * (d[i] as number) +
        ((ob[i] as number) - 1) * (s[i] as number) +
        1 -
        (sa[i] as number) -
        (padBegin[i] as number),
    ),
  );
  let r = g.conv(at, bt, null, { strides: d, dilations: s, pads: [...padBegin, ...padEnd], group });
  const rk = r.dims.slice(2);
  if (rk.some((v, i) => v !== kernel[i])) {
    r = g.slice(
      r,
      kernel.map(() => 0),
      [...kernel],
      kernel.map((_, i) => i + 2),
    );
  }
  return g.transpose(r, [1, 0, ...sp.map((i) => i - 1)]);
}

function convRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const W = input(c, 1);
  const gy = gy0(c);
  const kernel = W.dims.slice(2);
  const geo = convGeom(c, kernel);
  const r = kernel.length;
  let gX: Tensor | null = null;
  if (c.needs[0]) {
    // Forward sizes floor away a remainder; output_padding puts it back so gX has X's shape.
    const outputPadding = kernel.map((k, i) => {
      const sIn = X.dims[i + 2] as number;
      const o = gy.dims[i + 2] as number;
      const eff = (k - 1) * (geo.dilations[i] as number) + 1;
      return (
        sIn -
        ((o - 1) * (geo.strides[i] as number) + eff - (geo.pads[i] as number) - (geo.pads[i + r] as number))
      );
    });
    gX = g.convTranspose(gy, W, null, { ...geo, outputPadding });
  }
  const gW = c.needs[1]
    ? weightCorrelation(g, X, gy, geo.group, geo.strides, geo.dilations, geo.pads.slice(0, r), kernel)
    : null;
  const gB = biasGrad(c, gy);
  return [gX, gW, gB];
}

/** Conv/ConvTranspose bias: the output gradient summed over batch and spatial axes. */
function biasGrad(c: Vjp, gy: Tensor): Tensor | null {
  return c.node.inputs[2] && c.needs[2] ? c.g.reduceSum(gy, [0, ...range(2, gy.rank)]) : null;
}

function convTransposeRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const W = input(c, 1);
  const gy = gy0(c);
  const kernel = W.dims.slice(2);
  const geo = convGeom(c, kernel);
  const r = kernel.length;
  const gX = c.needs[0] ? g.conv(gy, W, null, geo) : null;
  const gW = c.needs[1]
    ? weightCorrelation(g, gy, X, geo.group, geo.strides, geo.dilations, geo.pads.slice(0, r), kernel)
    : null;
  const gB = biasGrad(c, gy);
  return [gX, gW, gB];
}

function averagePoolRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const gy = gy0(c);
  const kernel = intsAttr(c, 'kernel_shape') ?? fail('AveragePool without kernel_shape');
  const strides = intsAttr(c, 'strides') ?? kernel.map(() => 1);
  const pads = intsAttr(c, 'pads') ?? [...kernel, ...kernel].map(() => 0);
  if (intAttr(c, 'count_include_pad', 0) !== 1 && pads.some((p) => p !== 0)) {
    fail('AveragePool gradient needs count_include_pad = 1 when padded');
  }
  const channels = X.dims[1] as number;
  const k = sizeOf(kernel);
  // Each input cell receives 1/k of the gradient of every window it was in: a per-channel
  // ConvTranspose with a constant 1/k kernel.
  const w = g.constant(new Array<number>(channels * k).fill(1 / k), [channels, 1, ...kernel], X.dtype);
  const r = kernel.length;
  const outputPadding = kernel.map((kk, i) => {
    const sIn = X.dims[i + 2] as number;
    const o = gy.dims[i + 2] as number;
    return sIn - ((o - 1) * (strides[i] as number) + kk - (pads[i] as number) - (pads[i + r] as number));
  });
  return [g.convTranspose(gy, w, null, { strides, pads, group: channels, outputPadding })];
}

function resizeRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const gy = gy0(c);
  const mode = c.node.attrs.mode;
  if (!mode || mode.kind !== 'string' || mode.v !== 'nearest') fail('only nearest Resize is differentiable');
  const scales = Array.from(
    (c.g.constantData(input(c, 2)) ?? fail('Resize scales must be constant')) as Float32Array,
  );
  if (scales.some((s) => !Number.isInteger(s) || s < 1)) fail('Resize gradient needs integer factors');
  // Nearest upsampling by s copies each cell s times: its gradient sums s×s blocks.
  const split: number[] = [];
  const sumAxes: number[] = [];
  X.dims.forEach((d, i) => {
    split.push(d);
    const s = scales[i] as number;
    if (s > 1) {
      split.push(s);
      sumAxes.push(split.length - 1);
    }
  });
  if (sumAxes.length === 0) return [gy];
  return [g.reshape(g.reduceSum(g.reshape(gy, split), sumAxes, false), X.dims)];
}

// ------------------------------------------------------------------ normalisation

function layerNormRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const scale = input(c, 1);
  const bias = c.node.inputs[2] ?? null;
  const gy = gy0(c);
  const axis = intAttr(c, 'axis', -1);
  const a = axis < 0 ? axis + X.rank : axis;
  const eps = floatAttr(c, 'epsilon', 1e-5);
  const axes = range(a, X.rank);
  // Recompute x̂ (cheap, elementwise) rather than ask ORT for the optional Mean/InvStdDev outputs,
  // which not every execution provider implements.
  const centred = g.sub(X, g.reduceMean(X, axes, true));
  const rstd = g.div(1, g.sqrt(g.add(g.reduceMean(g.mul(centred, centred), axes, true), eps)));
  const xhat = g.mul(centred, rstd);
  const gScale = c.needs[1] ? unbroadcast(g, g.mul(gy, xhat), scale.dims) : null;
  const gBias = bias && c.needs[2] ? unbroadcast(g, gy, bias.dims) : null;
  let gX: Tensor | null = null;
  if (c.needs[0]) {
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = gy·scale.
    const gh = g.mul(gy, scale);
    const inner = g.sub(
      g.sub(gh, g.reduceMean(gh, axes, true)),
      g.mul(xhat, g.reduceMean(g.mul(gh, xhat), axes, true)),
    );
    gX = g.mul(inner, rstd);
  }
  return [gX, gScale, gBias];
}

// ------------------------------------------------------------------ shape ops

function reduceRule(mean: boolean): Rule {
  return (c) => {
    const { g } = c;
    const X = input(c, 0);
    const gy = gy0(c);
    const axes = (c.node.inputs[1] ? constInts(c, 1) : range(0, X.rank)).map((a) => (a < 0 ? a + X.rank : a));
    const kept = X.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    // Scale the small reduced gradient before broadcasting it, not the expanded one.
    const scaled = mean ? g.mul(gy, 1 / sizeOf(axes.map((a) => X.dims[a] as number))) : gy;
    const spread = g.expand(g.reshape(scaled, kept), X.dims);
    return [spread];
  };
}

const reshapeBack: Rule = (c) => [c.g.reshape(gy0(c), input(c, 0).dims)];

function sliceRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const X = input(c, 0);
  const gy = gy0(c);
  const dims = X.dims;
  const starts = constInts(c, 1);
  const ends = constInts(c, 2);
  const axes = (c.node.inputs[3] ? constInts(c, 3) : starts.map((_, i) => i)).map((a) =>
    a < 0 ? a + X.rank : a,
  );
  const steps = c.node.inputs[4] ? constInts(c, 4) : axes.map(() => 1);
  const ranges = dims.map((d) => ({ start: 0, count: d, step: 1 }));
  axes.forEach((a, i) => {
    const step = steps[i] as number;
    ranges[a] = { ...sliceRange(dims[a] as number, starts[i] as number, ends[i] as number, step), step };
  });
  if (ranges.every((r) => r.step === 1)) {
    // Contiguous slice: the gradient is gy padded with zeros back to X's extent.
    const pads = [
      ...ranges.map((r) => r.start),
      ...ranges.map((r, i) => (dims[i] as number) - r.start - r.count),
    ];
    return [g.pad(gy, pads)];
  }
  // Strided slice: scatter gy to the positions it was read from (index table fixed at build time).
  const outDims = ranges.map((r) => r.count);
  const n = sizeOf(outDims);
  const idx = new Array<number>(n * dims.length);
  for (let flat = 0; flat < n; flat++) {
    let rem = flat;
    for (let ax = dims.length - 1; ax >= 0; ax--) {
      const r = ranges[ax] as { start: number; count: number; step: number };
      const pos = rem % r.count;
      rem = Math.floor(rem / r.count);
      idx[flat * dims.length + ax] = r.start + pos * r.step;
    }
  }
  const indices = g.constant(idx, [...outDims, dims.length], 'int64');
  return [g.scatterND(g.zeros(dims, X.dtype), indices, gy, 'none')];
}

function gatherRule(c: Vjp): (Tensor | null)[] {
  const { g } = c;
  const data = input(c, 0);
  let indices = input(c, 1);
  const gy = gy0(c);
  const D = data.dims;
  const axis = intAttr(c, 'axis', 0) < 0 ? intAttr(c, 'axis', 0) + data.rank : intAttr(c, 'axis', 0);
  if (indices.dtype !== 'int64') indices = g.cast(indices, 'int64');
  const ri = indices.rank;
  const idx = g.unsqueeze(indices, [ri]);
  // ScatterND with reduction add: repeated indices accumulate, which is exactly Gather's adjoint.
  if (axis === 0) return [g.scatterND(g.zeros(D, data.dtype), idx, gy, 'add')];
  const perm = [...range(axis, axis + ri), ...range(0, axis), ...range(axis + ri, gy.rank)];
  const moved = g.transpose(gy, perm);
  const zShape = [D[axis] as number, ...D.slice(0, axis), ...D.slice(axis + 1)];
  const z = g.scatterND(g.zeros(zShape, data.dtype), idx, moved, 'add');
  return [g.transpose(z, [...range(1, axis + 1), 0, ...range(axis + 1, data.rank)])];
}

// ------------------------------------------------------------------ the rule table

const RULES: Record<string, Rule> = {
  Identity: (c) => [gy0(c)],
  Add: (c) => [c.needs[0] ? unb(c, gy0(c), 0) : null, c.needs[1] ? unb(c, gy0(c), 1) : null],
  Sub: (c) => [c.needs[0] ? unb(c, gy0(c), 0) : null, c.needs[1] ? unb(c, c.g.neg(gy0(c)), 1) : null],
  Mul: (c) => [
    c.needs[0] ? unb(c, c.g.mul(gy0(c), input(c, 1)), 0) : null,
    c.needs[1] ? unb(c, c.g.mul(gy0(c), input(c, 0)), 1) : null,
  ],
  Div: (c) => [
    c.needs[0] ? unb(c, c.g.div(gy0(c), input(c, 1)), 0) : null,
    // d(a/b)/db = −(a/b)/b = −y/b
    c.needs[1] ? unb(c, c.g.neg(c.g.div(c.g.mul(gy0(c), output(c)), input(c, 1))), 1) : null,
  ],
  Pow: (c) => {
    const { g } = c;
    const [A, B, Y, gy] = [input(c, 0), input(c, 1), output(c), gy0(c)];
    return [
      c.needs[0] ? unb(c, g.mul(gy, g.mul(B, g.pow(A, g.sub(B, 1)))), 0) : null,
      c.needs[1] ? unb(c, g.mul(gy, g.mul(Y, g.log(A))), 1) : null,
    ];
  },
  Sum: (c) => c.node.inputs.map((t, i) => (t && c.needs[i] ? unb(c, gy0(c), i) : null)),
  Neg: (c) => [c.g.neg(gy0(c))],
  Exp: (c) => [c.g.mul(gy0(c), output(c))],
  Log: (c) => [c.g.div(gy0(c), input(c, 0))],
  Sqrt: (c) => [c.g.div(c.g.mul(gy0(c), 0.5), output(c))],
  // Subgradient at 0 is 0 (Sign(0) = 0).
  Abs: (c) => [c.g.mul(gy0(c), c.g.sign(input(c, 0)))],
  // Subgradient at 0 is 0 (the strict X > 0 test).
  Relu: (c) => [c.g.where(c.g.greater(input(c, 0), 0), gy0(c), 0)],
  LeakyRelu: (c) => {
    const alpha = floatAttr(c, 'alpha', 0.01);
    return [c.g.where(c.g.greater(input(c, 0), 0), gy0(c), c.g.mul(gy0(c), alpha))];
  },
  Elu: (c) => {
    const alpha = floatAttr(c, 'alpha', 1);
    const gy = gy0(c);
    return [c.g.where(c.g.greater(input(c, 0), 0), gy, c.g.mul(gy, c.g.add(output(c), alpha)))];
  },
  Sigmoid: (c) => {
    const y = output(c);
    return [c.g.mul(gy0(c), c.g.mul(y, c.g.sub(1, y)))];
  },
  Tanh: (c) => {
    const y = output(c);
    return [c.g.mul(gy0(c), c.g.sub(1, c.g.mul(y, y)))];
  },
  Erf: (c) => {
    const x = input(c, 0);
    return [c.g.mul(gy0(c), c.g.mul(c.g.exp(c.g.neg(c.g.mul(x, x))), 2 / Math.sqrt(Math.PI)))];
  },
  Softmax: (c) => {
    const y = output(c);
    const gy = gy0(c);
    const axis = intAttr(c, 'axis', -1);
    return [c.g.mul(y, c.g.sub(gy, c.g.reduceSum(c.g.mul(gy, y), [axis], true)))];
  },
  LayerNormalization: layerNormRule,
  MatMul: matmulRule,
  Gemm: gemmRule,
  ReduceSum: reduceRule(false),
  ReduceMean: reduceRule(true),
  // d Σx² = 2x · (spread gradient)
  ReduceSumSquare: (c) => {
    const spread = reduceRule(false)(c)[0] as Tensor;
    return [c.g.mul(spread, c.g.mul(input(c, 0), 2))];
  },
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Flatten: reshapeBack,
  Transpose: (c) => {
    const perm = intsAttr(c, 'perm') ?? range(0, gy0(c).rank).reverse();
    return [c.g.transpose(gy0(c), invertPerm(perm))];
  },
  Concat: (c) => {
    const axis = intAttr(c, 'axis', 0);
    const sizes = c.node.inputs.map((t) => (t ? (t.dims[axis] as number) : 0));
    return c.g.split(gy0(c), sizes, axis);
  },
  Split: (c) => {
    const axis = intAttr(c, 'axis', 0);
    const parts = c.node.outputs.map((o, i) => c.gy[i] ?? c.g.zeros(o.dims, o.dtype));
    return [c.g.concat(parts, axis)];
  },
  Slice: sliceRule,
  Pad: (c) => {
    const X = input(c, 0);
    const pads = constInts(c, 1);
    const begins = X.dims.map((_, i) => pads[i] as number);
    return [
      c.g.slice(
        gy0(c),
        begins,
        X.dims.map((d, i) => (begins[i] as number) + d),
      ),
    ];
  },
  Gather: gatherRule,
  Where: (c) => {
    const cond = input(c, 0);
    const gy = gy0(c);
    return [
      null,
      c.needs[1] ? unb(c, c.g.where(cond, gy, 0), 1) : null,
      c.needs[2] ? unb(c, c.g.where(cond, 0, gy), 2) : null,
    ];
  },
  Expand: (c) => [unb(c, gy0(c), 0)],
  Cast: (c) => [c.g.cast(gy0(c), input(c, 0).dtype)],
  Conv: convRule,
  ConvTranspose: convTransposeRule,
  AveragePool: averagePoolRule,
  Resize: resizeRule,
};

/** Ops whose outputs carry no gradient (comparisons, sign, shapes, fills). */
const NON_DIFFERENTIABLE = new Set([
  'Sign',
  'Greater',
  'Less',
  'Equal',
  'Shape',
  'ConstantOfShape',
  'Min',
  'Max',
]);

export function differentiableOps(): string[] {
  return Object.keys(RULES).sort();
}

const isFloat = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/**
 * Appends the gradient of scalar `loss` with respect to each tensor of `wrt` to the graph and
 * returns them in order. A tensor that does not influence the loss gets a zero gradient.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const g = loss.graph;
  if (loss.size !== 1 || !isFloat(loss)) fail(`loss ${loss.name} must be a float scalar`);
  const forward = [...g.nodes];
  const requires = new Set(wrt.map((t) => t.name));
  for (const node of forward) {
    if (NON_DIFFERENTIABLE.has(node.op)) continue;
    if (node.outputs.some((o) => g.stopsGradient(o))) continue;
    if (node.inputs.some((t) => t && requires.has(t.name))) {
      for (const o of node.outputs) if (isFloat(o)) requires.add(o.name);
    }
  }
  const contributions = new Map<string, Tensor[]>();
  const push = (t: Tensor, grad: Tensor) => {
    const list = contributions.get(t.name);
    if (list) list.push(grad);
    else contributions.set(t.name, [grad]);
  };
  const total = (t: Tensor): Tensor | null => {
    const list = contributions.get(t.name);
    if (!list || list.length === 0) return null;
    const s = g.sum(list);
    contributions.set(t.name, [s]);
    return s;
  };
  push(loss, g.reshape(g.scalar(1, loss.dtype), loss.dims));

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i] as GraphNode;
    const needs = node.inputs.map((t) => !!t && requires.has(t.name) && isFloat(t));
    if (!needs.some(Boolean)) continue;
    const gy = node.outputs.map(total);
    if (gy.every((x) => x === null)) continue;
    const rule = RULES[node.op];
    if (!rule) fail(`no gradient rule for ${node.op} (node ${node.name})`);
    const grads = rule({ g, node, gy, needs });
    node.inputs.forEach((t, k) => {
      const grad = grads[k];
      if (!t || !needs[k] || !grad) return;
      const want = t.dims;
      const have = grad.dims;
      if (want.length !== have.length || want.some((d, j) => d !== have[j])) {
        fail(`${node.op} gave a gradient of shape [${have}] for ${t.name} of shape [${want}]`);
      }
      push(t, grad);
    });
  }
  return wrt.map((t) => total(t) ?? g.zeros(t.dims, t.dtype));
}

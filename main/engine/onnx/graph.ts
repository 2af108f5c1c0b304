/**
 * A typed ONNX graph builder. Model code calls methods that read like the maths
 * (`x.matmul(w).add(b).relu()`); every call appends one node and infers its output shape here in
 * TypeScript, so shapes are known when the graph is differentiated (autodiff needs static shapes to
 * reduce broadcasts back) and a wrong shape fails at build time with a readable message instead of
 * inside ORT.
 *
 * Parameters are declared with `param()`; how they are serialised is decided at `toModel()`: as
 * graph inputs (training steps feed them each step) or as initializers with trained values (the
 * standalone exported model).
 */
import onnxProto from 'onnx-proto';
import { EngineError } from '../errors';
import type { InitSpec } from './init';

const { onnx } = onnxProto;

/** Default opset: 21 has every op we emit (ReduceMean with axes input from 18, ScatterND add from 16). */
export const OPSET = 21;
const IR_VERSION = 10;

export type FloatDType = 'float32' | 'float64';
export type DType = FloatDType | 'int64' | 'int32' | 'bool';
/** A static size or a symbolic name (e.g. 'batch'); symbolic dims are for inference graphs only. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

const ONNX_TYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };

export type Attr =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'ints'; v: readonly number[] }
  | { kind: 'floats'; v: readonly number[] }
  | { kind: 'string'; v: string }
  /** A one-element tensor attribute (ConstantOfShape's value). */
  | { kind: 'scalarTensor'; dtype: DType; v: number };

export const attr = {
  int: (v: number): Attr => ({ kind: 'int', v }),
  float: (v: number): Attr => ({ kind: 'float', v }),
  ints: (v: readonly number[]): Attr => ({ kind: 'ints', v }),
  floats: (v: readonly number[]): Attr => ({ kind: 'floats', v }),
  string: (v: string): Attr => ({ kind: 'string', v }),
};

export interface GraphNode {
  readonly op: string;
  readonly name: string;
  /** null = an omitted optional input (serialised as ''). */
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export interface ParamInfo {
  /** Scoped name without the `p:` prefix, e.g. `bca1/ca1/q/w`. */
  readonly name: string;
  readonly tensor: Tensor;
  readonly shape: readonly number[];
  readonly init: InitSpec;
}

interface ConstInfo {
  readonly tensor: Tensor;
  readonly data: TypedData;
}

/** Multiply-add FLOPs (2·m·n·k per product) of the MatMul/Gemm nodes: the cost model benchmarks use. */
export function matmulFlops(nodes: readonly GraphNode[]): number {
  let total = 0;
  for (const n of nodes) {
    if (n.op !== 'MatMul' && n.op !== 'Gemm') continue;
    const a = n.inputs[0];
    const y = n.outputs[0];
    if (!a || !y) continue;
    const transA = n.op === 'Gemm' && n.attrs.transA?.kind === 'int' && n.attrs.transA.v === 1;
    const k = (transA ? a.shape[0] : a.shape[a.rank - 1]) as number;
    total += 2 * y.size * k;
  }
  return total;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fail(message: string): never {
  throw new EngineError('INTERNAL', `Graph builder: ${message}`);
}

function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Numpy-style broadcast of two shapes; symbolic dims broadcast only against themselves or 1. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : (a[i - (n - a.length)] as Dim);
    const db = i < n - b.length ? 1 : (b[i - (n - b.length)] as Dim);
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else fail(`shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The shape as numbers; throws for symbolic shapes (training graphs are static). */
  get dims(): number[] {
    if (!isStatic(this.shape)) fail(`${this.name} has symbolic shape ${shapeStr(this.shape)}`);
    return [...this.shape];
  }

  get size(): number {
    return sizeOf(this.dims);
  }

  add(b: Tensor | number): Tensor {
    return this.graph.add(this, b);
  }
  sub(b: Tensor | number): Tensor {
    return this.graph.sub(this, b);
  }
  mul(b: Tensor | number): Tensor {
    return this.graph.mul(this, b);
  }
  div(b: Tensor | number): Tensor {
    return this.graph.div(this, b);
  }
  pow(b: Tensor | number): Tensor {
    return this.graph.pow(this, b);
  }
  matmul(b: Tensor): Tensor {
    return this.graph.matmul(this, b);
  }
  neg(): Tensor {
    return this.graph.neg(this);
  }
  square(): Tensor {
    return this.graph.mul(this, this);
  }
  exp(): Tensor {
    return this.graph.exp(this);
  }
  log(): Tensor {
    return this.graph.log(this);
  }
  sqrt(): Tensor {
    return this.graph.sqrt(this);
  }
  abs(): Tensor {
    return this.graph.abs(this);
  }
  relu(): Tensor {
    return this.graph.relu(this);
  }
  sigmoid(): Tensor {
    return this.graph.sigmoid(this);
  }
  tanh(): Tensor {
    return this.graph.tanh(this);
  }
  softmax(axis = -1): Tensor {
    return this.graph.softmax(this, axis);
  }
  reshape(shape: readonly number[]): Tensor {
    return this.graph.reshape(this, shape);
  }
  transpose(perm: readonly number[]): Tensor {
    return this.graph.transpose(this, perm);
  }
  sum(axes?: readonly number[], keepdims = false): Tensor {
    return this.graph.reduceSum(this, axes, keepdims);
  }
  mean(axes?: readonly number[], keepdims = false): Tensor {
    return this.graph.reduceMean(this, axes, keepdims);
  }
}

export interface ToModelOptions {
  /** Graph outputs by name; an Identity is added where the tensor has a different name. */
  outputs: Record<string, Tensor>;
  /** When given, parameters become initializers with these values (standalone model). */
  paramValues?: ReadonlyMap<string, Float32Array | Float64Array>;
  /** Model name stored in the proto. */
  name?: string;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Tensor[] = [];
  readonly params = new Map<string, ParamInfo>();
  private readonly consts = new Map<string, ConstInfo>();
  private readonly constCache = new Map<string, Tensor>();
  private readonly producers = new Map<string, GraphNode>();
  private readonly names = new Set<string>();
  private readonly scopes: string[] = [];
  /** Outputs of stopGradient: autodiff treats them as constants. */
  private readonly stopped = new Set<string>();
  private counter = 0;

  /** `dtype` is the float type of parameters and float constants. */
  constructor(readonly dtype: FloatDType = 'float32') {}

  // ---------------------------------------------------------------- naming, scopes, declarations

  /** Runs `body` with names prefixed by `name/`, so parameters read like `bca1/ca2/q/w`. */
  scope<T>(name: string, body: () => T): T {
    this.scopes.push(name);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  private scoped(name: string): string {
    return this.scopes.length === 0 ? name : `${this.scopes.join('/')}/${name}`;
  }

  private fresh(base: string): string {
    let name: string;
    do name = `${this.scoped(base)}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) fail(`name ${name} is already used`);
    this.names.add(name);
    return name;
  }

  producer(t: Tensor): GraphNode | undefined {
    return this.producers.get(t.name);
  }

  /** A graph input fed at run time (batch tensors, step, lr). The name is used as given. */
  input(name: string, shape: Shape, dtype: DType = this.dtype): Tensor {
    const t = new Tensor(this, this.claim(name), dtype, shape);
    this.inputs.push(t);
    return t;
  }

  /** A trainable parameter named `p:<scope>/<name>`, initialised by `init` from the model seed. */
  param(name: string, shape: readonly number[], init: InitSpec): Tensor {
    const full = this.scoped(name);
    if (this.params.has(full)) fail(`parameter ${full} declared twice`);
    const t = new Tensor(this, this.claim(`p:${full}`), this.dtype, shape);
    this.params.set(full, { name: full, tensor: t, shape: [...shape], init });
    return t;
  }

  isConstant(t: Tensor): boolean {
    return this.consts.has(t.name);
  }

  constantData(t: Tensor): TypedData | undefined {
    return this.consts.get(t.name)?.data;
  }

  /** A constant tensor stored as an initializer. */
  constant(data: TypedData | readonly number[], shape: readonly number[], dtype: DType = this.dtype): Tensor {
    const typed = toTyped(data, dtype);
    if (typed.length !== sizeOf(shape))
      fail(`constant has ${typed.length} values for shape ${shapeStr(shape)}`);
    const t = new Tensor(this, this.fresh('const'), dtype, [...shape]);
    this.consts.set(t.name, { tensor: t, data: typed });
    return t;
  }

  /** A cached scalar constant (rank 0) of the graph's float type unless told otherwise. */
  scalar(v: number, dtype: DType = this.dtype): Tensor {
    return this.cached(`s:${dtype}:${v}`, () => this.constant([v], [], dtype));
  }

  /** A cached 1-D int64 constant: shapes, axes, pads. */
  ints(values: readonly number[]): Tensor {
    return this.cached(`i:${values.join(',')}`, () => this.constant(values, [values.length], 'int64'));
  }

  private cached(key: string, make: () => Tensor): Tensor {
    let t = this.constCache.get(key);
    if (!t) {
      t = make();
      this.constCache.set(key, t);
    }
    return t;
  }

  private lift(x: Tensor | number, like: Tensor): Tensor {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  // ---------------------------------------------------------------- raw node

  /** Appends a node whose output types the caller states; the typed wrappers below use it. */
  node(
    op: string,
    inputs: readonly (Tensor | null)[],
    outputs: readonly { dtype: DType; shape: Shape }[],
    attrs: Record<string, Attr> = {},
  ): Tensor[] {
    for (const t of inputs) if (t && t.graph !== this) fail(`${op}: input ${t.name} is from another graph`);
    const outs = outputs.map((o) => new Tensor(this, this.fresh(op.toLowerCase()), o.dtype, o.shape));
    const node: GraphNode = { op, name: this.fresh(`n_${op}`), inputs, outputs: outs, attrs };
    this.nodes.push(node);
    for (const o of outs) this.producers.set(o.name, node);
    return outs;
  }

  private one(
    op: string,
    inputs: readonly (Tensor | null)[],
    dtype: DType,
    shape: Shape,
    attrs: Record<string, Attr> = {},
  ): Tensor {
    return this.node(op, inputs, [{ dtype, shape }], attrs)[0] as Tensor;
  }

  private unary(op: string, x: Tensor, attrs: Record<string, Attr> = {}): Tensor {
    return this.one(op, [x], x.dtype, x.shape, attrs);
  }

  private binary(op: string, a: Tensor | number, b: Tensor | number, outType?: DType): Tensor {
    if (typeof a === 'number' && typeof b === 'number') fail(`${op} of two numbers`);
    const ta = typeof a === 'number' ? this.lift(a, b as Tensor) : a;
    const tb = typeof b === 'number' ? this.lift(b, ta) : b;
    if (ta.dtype !== tb.dtype) fail(`${op}: dtypes ${ta.dtype} and ${tb.dtype} differ`);
    return this.one(op, [ta, tb], outType ?? ta.dtype, broadcastShapes(ta.shape, tb.shape));
  }

  // ---------------------------------------------------------------- elementwise

  add(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Add', a, b);
  }
  sub(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Sub', a, b);
  }
  mul(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Mul', a, b);
  }
  div(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Div', a, b);
  }
  pow(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Pow', a, b);
  }
  /** Elementwise min/max of two tensors (used by clipping; not differentiated). */
  min(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Min', a, b);
  }
  max(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Max', a, b);
  }
  greater(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Greater', a, b, 'bool');
  }
  less(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Less', a, b, 'bool');
  }
  equal(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Equal', a, b, 'bool');
  }
  square(x: Tensor): Tensor {
    return this.mul(x, x);
  }
  neg(x: Tensor): Tensor {
    return this.unary('Neg', x);
  }
  exp(x: Tensor): Tensor {
    return this.unary('Exp', x);
  }
  log(x: Tensor): Tensor {
    return this.unary('Log', x);
  }
  sqrt(x: Tensor): Tensor {
    return this.unary('Sqrt', x);
  }
  abs(x: Tensor): Tensor {
    return this.unary('Abs', x);
  }
  sign(x: Tensor): Tensor {
    return this.unary('Sign', x);
  }
  relu(x: Tensor): Tensor {
    return this.unary('Relu', x);
  }
  leakyRelu(x: Tensor, alpha = 0.01): Tensor {
    return this.unary('LeakyRelu', x, { alpha: attr.float(alpha) });
  }
  elu(x: Tensor, alpha = 1): Tensor {
    return this.unary('Elu', x, { alpha: attr.float(alpha) });
  }
  sigmoid(x: Tensor): Tensor {
    return this.unary('Sigmoid', x);
  }
  tanh(x: Tensor): Tensor {
    return this.unary('Tanh', x);
  }
  /** ORT's CPU Erf is float32-only. */
  erf(x: Tensor): Tensor {
    return this.unary('Erf', x);
  }
  identity(x: Tensor): Tensor {
    return this.unary('Identity', x);
  }
  /** Exact (erf) GELU as x·Φ(x), composed so autodiff reuses the Erf rule. */
  gelu(x: Tensor): Tensor {
    const phi = this.add(this.mul(this.erf(this.mul(x, Math.SQRT1_2)), 0.5), 0.5);
    return this.mul(x, phi);
  }
  /** SiLU = x·σ(x) (Diff-ST's UNet activation). */
  /**
   * x in the forward pass, a constant for autodiff (PyTorch's `detach`): an Identity node whose
   * output `gradients` does not differentiate through. Diff-ST's variational bound needs it (the
   * learned variance is trained by the bound while the mean is trained by the ε loss only).
   */
  stopGradient(x: Tensor): Tensor {
    const y = this.unary('Identity', x);
    this.stopped.add(y.name);
    return y;
  }
  /** Whether `t` is the output of stopGradient. */
  stopsGradient(t: Tensor): boolean {
    return this.stopped.has(t.name);
  }
  silu(x: Tensor): Tensor {
    return this.mul(x, this.sigmoid(x));
  }
  sum(xs: readonly Tensor[]): Tensor {
    if (xs.length === 0) fail('Sum of nothing');
    if (xs.length === 1) return xs[0] as Tensor;
    let shape: Shape = (xs[0] as Tensor).shape;
    for (const x of xs.slice(1)) shape = broadcastShapes(shape, x.shape);
    return this.one('Sum', xs, (xs[0] as Tensor).dtype, shape);
  }
  where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
    const like = typeof a === 'number' ? (b as Tensor) : a;
    const ta = this.lift(a, like);
    const tb = this.lift(b, like);
    const shape = broadcastShapes(cond.shape, broadcastShapes(ta.shape, tb.shape));
    return this.one('Where', [cond, ta, tb], ta.dtype, shape);
  }
  cast(x: Tensor, to: DType): Tensor {
    return this.one('Cast', [x], to, x.shape, { to: attr.int(ONNX_TYPE[to]) });
  }

  // ---------------------------------------------------------------- linear algebra

  /** numpy matmul: batch dims broadcast, 1-D operands are promoted and the axis dropped after. */
  matmul(a: Tensor, b: Tensor): Tensor {
    if (a.rank === 0 || b.rank === 0) fail('MatMul of a scalar');
    const as = a.rank === 1 ? [1, ...a.shape] : a.shape;
    const bs = b.rank === 1 ? [...b.shape, 1] : b.shape;
    const k1 = as[as.length - 1] as Dim;
    const k2 = bs[bs.length - 2] as Dim;
    if (k1 !== k2) fail(`MatMul ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}: inner sizes differ`);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    const out: Dim[] = [...batch];
    if (a.rank > 1) out.push(as[as.length - 2] as Dim);
    if (b.rank > 1) out.push(bs[bs.length - 1] as Dim);
    return this.one('MatMul', [a, b], a.dtype, out);
  }

  /** Y = alpha·op(A)·op(B) + beta·C with A, B 2-D and C broadcastable to Y. */
  gemm(
    a: Tensor,
    b: Tensor,
    c: Tensor | null,
    o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {},
  ): Tensor {
    if (a.rank !== 2 || b.rank !== 2) fail('Gemm needs 2-D A and B');
    const [m, ka] = o.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n] = o.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (ka !== kb) fail(`Gemm inner sizes ${ka} and ${kb} differ`);
    const shape = [m as Dim, n as Dim];
    if (c) broadcastShapes(shape, c.shape);
    return this.one('Gemm', c ? [a, b, c] : [a, b], a.dtype, shape, {
      alpha: attr.float(o.alpha ?? 1),
      beta: attr.float(o.beta ?? 1),
      transA: attr.int(o.transA ? 1 : 0),
      transB: attr.int(o.transB ? 1 : 0),
    });
  }

  // ---------------------------------------------------------------- normalisation, softmax

  softmax(x: Tensor, axis = -1): Tensor {
    return this.unary('Softmax', x, { axis: attr.int(normAxis(axis, x.rank)) });
  }

  /** ONNX LayerNormalization over axes [axis, rank); scale and bias have the normalised shape. */
  layerNorm(x: Tensor, scale: Tensor, bias: Tensor | null, axis = -1, epsilon = 1e-5): Tensor {
    const a = normAxis(axis, x.rank);
    return this.one('LayerNormalization', bias ? [x, scale, bias] : [x, scale], x.dtype, x.shape, {
      axis: attr.int(a),
      epsilon: attr.float(epsilon),
    });
  }

  /** LayerNorm written with primitives (mean, variance, rsqrt); autodiff then needs no own rule. */
  layerNormDecomposed(x: Tensor, scale: Tensor, bias: Tensor | null, axis = -1, epsilon = 1e-5): Tensor {
    const a = normAxis(axis, x.rank);
    const axes = Array.from({ length: x.rank - a }, (_, i) => a + i);
    const centred = this.sub(x, this.reduceMean(x, axes, true));
    const variance = this.reduceMean(this.mul(centred, centred), axes, true);
    const y = this.mul(this.div(centred, this.sqrt(this.add(variance, epsilon))), scale);
    return bias ? this.add(y, bias) : y;
  }

  /**
   * GroupNorm on [N, C, ...spatial] with per-channel scale/bias of shape [C], decomposed because
   * ONNX changed GroupNormalization's scale semantics between opsets 18 and 21.
   */
  groupNorm(x: Tensor, groups: number, scale: Tensor, bias: Tensor, epsilon = 1e-5): Tensor {
    const [n, c, ...spatial] = x.dims as [number, number, ...number[]];
    if (c % groups !== 0) fail(`GroupNorm: ${c} channels do not split into ${groups} groups`);
    const grouped = this.reshape(x, [n, groups, (c / groups) * sizeOf(spatial)]);
    const centred = this.sub(grouped, this.reduceMean(grouped, [2], true));
    const variance = this.reduceMean(this.mul(centred, centred), [2], true);
    const normed = this.reshape(this.div(centred, this.sqrt(this.add(variance, epsilon))), x.dims);
    const chan = [c, ...spatial.map(() => 1)];
    return this.add(this.mul(normed, this.reshape(scale, chan)), this.reshape(bias, chan));
  }

  // ---------------------------------------------------------------- reductions

  private reduce(
    op: 'ReduceSum' | 'ReduceMean' | 'ReduceSumSquare',
    x: Tensor,
    axes: readonly number[] | undefined,
    keepdims: boolean,
  ) {
    const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.rank));
    const set = new Set(ax);
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    return this.one(op, [x, this.ints([...set].sort((p, q) => p - q))], x.dtype, shape, {
      keepdims: attr.int(keepdims ? 1 : 0),
    });
  }
  /** Sums over `axes` (all axes when omitted). */
  reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  /** Σx² in one pass (not differentiable here; used for gradient norms). */
  reduceSumSquare(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceSumSquare', x, axes, keepdims);
  }
  reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }

  // ---------------------------------------------------------------- shape ops

  /**
   * Reshape. Entries: a size, 0 = keep the input's size on that axis (works for a symbolic batch),
   * or one -1 resolved here from static sizes so the output shape stays known.
   */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const target: Dim[] = shape.map((d, i) => (d === 0 ? (x.shape[i] ?? fail(`reshape 0 beyond rank`)) : d));
    const neg = target.indexOf(-1);
    if (neg >= 0) {
      const rest = target.filter((_, i) => i !== neg);
      if (!isStatic(rest)) fail(`reshape of ${shapeStr(x.shape)}: -1 needs the other sizes static`);
      target[neg] = x.size / sizeOf(rest);
      if (!Number.isInteger(target[neg])) fail(`cannot reshape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
    }
    if (isStatic(x.shape) && isStatic(target) && sizeOf(target) !== x.size) {
      fail(`cannot reshape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
    }
    const spec = target.map((d, i) => (typeof d === 'number' ? (shape[i] === 0 ? 0 : d) : 0));
    return this.one('Reshape', [x, this.ints(spec)], x.dtype, target);
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    if (perm.length !== x.rank || new Set(perm).size !== perm.length) fail(`bad perm ${perm}`);
    return this.one(
      'Transpose',
      [x],
      x.dtype,
      perm.map((p) => x.shape[p] as Dim),
      { perm: attr.ints(perm) },
    );
  }

  /** Swaps the last two axes (matrix transpose of a batch of matrices). */
  transposeLast2(x: Tensor): Tensor {
    const perm = x.shape.map((_, i) => i);
    const r = x.rank;
    [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
    return this.transpose(x, perm);
  }

  unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
    const rank = x.rank + axes.length;
    const ax = new Set(axes.map((a) => normAxis(a, rank)));
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(ax.has(i) ? 1 : (x.shape[j++] as Dim));
    return this.one('Unsqueeze', [x, this.ints([...ax].sort((p, q) => p - q))], x.dtype, shape);
  }

  squeeze(x: Tensor, axes: readonly number[]): Tensor {
    const ax = new Set(axes.map((a) => normAxis(a, x.rank)));
    for (const a of ax) if (x.shape[a] !== 1) fail(`Squeeze of axis ${a} of size ${x.shape[a]}`);
    const shape = x.shape.filter((_, i) => !ax.has(i));
    return this.one('Squeeze', [x, this.ints([...ax].sort((p, q) => p - q))], x.dtype, shape);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const first = xs[0];
    if (!first) fail('Concat of nothing');
    const a = normAxis(axis, first.rank);
    const shape = [...first.shape];
    let total = 0;
    for (const x of xs) {
      if (x.rank !== first.rank) fail('Concat ranks differ');
      x.shape.forEach((d, i) => {
        if (i !== a && d !== first.shape[i])
          fail(`Concat shapes ${shapeStr(first.shape)} / ${shapeStr(x.shape)}`);
      });
      total += x.shape[a] as number;
    }
    shape[a] = total;
    return this.one('Concat', xs, first.dtype, shape, { axis: attr.int(a) });
  }

  split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
    const a = normAxis(axis, x.rank);
    if (sizes.reduce((p, q) => p + q, 0) !== x.shape[a]) fail(`Split sizes ${sizes} do not fill axis ${a}`);
    const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? s : d)) }));
    return this.node('Split', [x, this.ints(sizes)], outs, { axis: attr.int(a) });
  }

  /** Slice with constant starts/ends (numpy semantics, clamped); steps may be > 1. */
  slice(
    x: Tensor,
    starts: readonly number[],
    ends: readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
  ): Tensor {
    const dims = x.dims;
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank));
    const st = steps ?? ax.map(() => 1);
    const shape = [...dims];
    ax.forEach((a, i) => {
      const r = sliceRange(dims[a] as number, starts[i] as number, ends[i] as number, st[i] as number);
      shape[a] = r.count;
    });
    return this.one(
      'Slice',
      [x, this.ints(starts), this.ints(ends), this.ints(ax), this.ints(st)],
      x.dtype,
      shape,
    );
  }

  gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
    const a = normAxis(axis, data.rank);
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.one('Gather', [data, indices], data.dtype, shape, { axis: attr.int(a) });
  }

  expand(x: Tensor, shape: readonly number[]): Tensor {
    return this.one('Expand', [x, this.ints(shape)], x.dtype, broadcastShapes(x.shape, shape));
  }

  /** Constant-0 padding; `pads` = [begin per axis..., end per axis...]. */
  pad(x: Tensor, pads: readonly number[]): Tensor {
    const d = x.dims;
    const shape = d.map((s, i) => s + (pads[i] as number) + (pads[i + d.length] as number));
    return this.one('Pad', [x, this.ints(pads)], x.dtype, shape, { mode: attr.string('constant') });
  }

  /** A tensor of zeros made at run time (ConstantOfShape), so large zero buffers cost no file bytes. */
  zeros(shape: readonly number[], dtype: DType = this.dtype): Tensor {
    return this.one('ConstantOfShape', [this.ints(shape)], dtype, [...shape], {
      value: { kind: 'scalarTensor', dtype, v: 0 },
    });
  }

  /** ScatterND into `data` at `indices` (int64, last axis = index tuple); reduction 'add' sums repeats. */
  scatterND(data: Tensor, indices: Tensor, updates: Tensor, reduction: 'none' | 'add' = 'none'): Tensor {
    return this.one('ScatterND', [data, indices, updates], data.dtype, data.shape, {
      reduction: attr.string(reduction),
    });
  }

  // ---------------------------------------------------------------- convolution family (NC...)

  conv(x: Tensor, w: Tensor, b: Tensor | null, o: ConvOptions = {}): Tensor {
    const k = w.dims.slice(2);
    const c = convAttrs(k.length, o);
    const [n, cin] = x.dims as [number, number];
    const [cout, cinG] = w.dims as [number, number];
    if (cin !== cinG * c.group) fail(`Conv: input has ${cin} channels, weight expects ${cinG}×${c.group}`);
    const spatial = x.dims.slice(2).map((s, i) => {
      const eff = ((k[i] as number) - 1) * (c.dilations[i] as number) + 1;
      return (
        Math.floor(
          (s + (c.pads[i] as number) + (c.pads[i + k.length] as number) - eff) / (c.strides[i] as number),
        ) + 1
      );
    });
    return this.one('Conv', b ? [x, w, b] : [x, w], x.dtype, [n, cout, ...spatial], convProto(c, k));
  }

  /** ConvTranspose; weight is [C_in, C_out/group, k...]. */
  convTranspose(
    x: Tensor,
    w: Tensor,
    b: Tensor | null,
    o: ConvOptions & { outputPadding?: readonly number[] } = {},
  ): Tensor {
    const k = w.dims.slice(2);
    const c = convAttrs(k.length, o);
    const op = o.outputPadding ?? k.map(() => 0);
    const [n] = x.dims as [number];
    const cout = (w.dims[1] as number) * c.group;
    const spatial = x.dims
      .slice(2)
      .map(
        (s, i) =>
          (c.strides[i] as number) * (s - 1) +
          (op[i] as number) +
          ((k[i] as number) - 1) * (c.dilations[i] as number) +
          1 -
          (c.pads[i] as number) -
          (c.pads[i + k.length] as number),
      );
    return this.one('ConvTranspose', b ? [x, w, b] : [x, w], x.dtype, [n, cout, ...spatial], {
      ...convProto(c, k),
      output_padding: attr.ints(op),
    });
  }

  /** AveragePool with explicit pads; padding counts in the mean (count_include_pad = 1). */
  averagePool(
    x: Tensor,
    kernel: readonly number[],
    o: { strides?: readonly number[]; pads?: readonly number[] } = {},
  ): Tensor {
    const strides = o.strides ?? kernel;
    const pads = o.pads ?? [...kernel.map(() => 0), ...kernel.map(() => 0)];
    const spatial = x.dims
      .slice(2)
      .map(
        (s, i) =>
          Math.floor(
            (s + (pads[i] as number) + (pads[i + kernel.length] as number) - (kernel[i] as number)) /
              (strides[i] as number),
          ) + 1,
      );
    return this.one('AveragePool', [x], x.dtype, [...x.dims.slice(0, 2), ...spatial], {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(strides),
      pads: attr.ints(pads),
      count_include_pad: attr.int(1),
    });
  }

  /** Nearest-neighbour upsampling of the spatial axes by integer factors. */
  resizeNearest(x: Tensor, factors: readonly number[]): Tensor {
    const scales = [1, 1, ...factors];
    const shape = x.dims.map((d, i) => d * (scales[i] as number));
    return this.one('Resize', [x, null, this.constant(scales, [scales.length], 'float32')], x.dtype, shape, {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
  }

  // ---------------------------------------------------------------- serialisation

  /** Serialises the part of the graph the outputs need. Inputs are kept even when unused. */
  toModel(options: ToModelOptions): Uint8Array {
    const outNodes: GraphNode[] = [];
    const outputs: { name: string; t: Tensor }[] = [];
    const used = new Set<string>();
    // Outputs computed by a node are renamed in place (an Identity would copy the whole tensor every
    // run: ~1 M parameters × 3 per training step); inputs, constants and repeats need the Identity.
    const rename = new Map<string, string>();
    const requested = new Set(Object.keys(options.outputs));
    const isGraphInput = (t: Tensor) =>
      this.inputs.includes(t) || [...this.params.values()].some((p) => p.tensor === t);
    for (const [name, t] of Object.entries(options.outputs)) {
      if (t.name === name) {
        outputs.push({ name, t });
        continue;
      }
      if (this.names.has(name) && !this.inputs.some((i) => i.name === name))
        fail(`output name ${name} is taken`);
      if (this.producers.has(t.name) && !rename.has(t.name) && !isGraphInput(t)) {
        if (!requested.has(t.name)) {
          rename.set(t.name, name);
          outputs.push({ name, t });
          continue;
        }
      }
      const id = new Tensor(this, name, t.dtype, t.shape);
      outNodes.push({ op: 'Identity', name: `out_${name}`, inputs: [t], outputs: [id], attrs: {} });
      outputs.push({ name, t: id });
    }
    // Reverse sweep keeps only nodes an output depends on.
    const need = new Set<string>();
    for (const n of outNodes) for (const i of n.inputs) if (i) need.add(i.name);
    for (const o of outputs) need.add(o.t.name);
    const kept: GraphNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i] as GraphNode;
      if (!n.outputs.some((o) => need.has(o.name))) continue;
      kept.push(n);
      for (const inp of n.inputs) if (inp) need.add(inp.name);
    }
    kept.reverse();
    kept.push(...outNodes);
    for (const n of kept) for (const i of n.inputs) if (i) used.add(i.name);

    const initializer: ReturnType<typeof tensorProto>[] = [];
    for (const c of this.consts.values())
      if (used.has(c.tensor.name)) initializer.push(tensorProto(c.tensor, c.data));
    const graphInputs = [...this.inputs];
    for (const p of this.params.values()) {
      const values = options.paramValues?.get(p.name);
      if (options.paramValues) {
        if (!values) fail(`no value for parameter ${p.name}`);
        if (used.has(p.tensor.name)) initializer.push(tensorProto(p.tensor, values));
      } else graphInputs.push(p.tensor);
    }

    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'stsr-studio',
      graph: {
        name: options.name ?? 'stsr',
        node: kept.map((n) => this.nodeProto(n, rename)),
        initializer,
        input: graphInputs.map((t) => valueInfo(t)),
        output: outputs.map((o) => valueInfo(o.t, o.name)),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private nodeProto(n: GraphNode, rename: ReadonlyMap<string, string>): onnxProto.onnx.INodeProto {
    const rn = (name: string) => rename.get(name) ?? name;
    return {
      opType: n.op,
      name: n.name,
      input: n.inputs.map((i) => (i ? rn(i.name) : '')),
      output: n.outputs.map((o) => rn(o.name)),
      attribute: Object.entries(n.attrs).map(([name, a]) => attrProto(name, a)),
    };
  }
}

export interface ConvOptions {
  strides?: readonly number[];
  /** [begin per spatial axis..., end per spatial axis...] */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

export interface ConvAttrs {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

export function convAttrs(rank: number, o: ConvOptions): ConvAttrs {
  const ones = Array.from({ length: rank }, () => 1);
  return {
    strides: [...(o.strides ?? ones)],
    pads: [...(o.pads ?? [...ones, ...ones].map(() => 0))],
    dilations: [...(o.dilations ?? ones)],
    group: o.group ?? 1,
  };
}

function convProto(c: ConvAttrs, kernel: readonly number[]): Record<string, Attr> {
  return {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(c.strides),
    pads: attr.ints(c.pads),
    dilations: attr.ints(c.dilations),
    group: attr.int(c.group),
  };
}

/** numpy slice range for one axis (ONNX Slice clamping rules, positive or negative steps). */
export function sliceRange(
  dim: number,
  start: number,
  end: number,
  step: number,
): { start: number; count: number } {
  if (step === 0) fail('Slice step 0');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = clamp(s, -1, dim - 1);
  e = clamp(e, -1, dim - 1);
  return { start: s, count: Math.max(0, Math.ceil((s - e) / -step)) };
}

function toTyped(data: TypedData | readonly number[], dtype: DType): TypedData {
  if (!Array.isArray(data)) return data as TypedData;
  const arr = data as readonly number[];
  switch (dtype) {
    case 'float32':
      return Float32Array.from(arr);
    case 'float64':
      return Float64Array.from(arr);
    case 'int64':
      return BigInt64Array.from(arr, (v) => BigInt(v));
    case 'int32':
      return Int32Array.from(arr);
    case 'bool':
      return Uint8Array.from(arr, (v) => (v ? 1 : 0));
  }
}

function tensorProto(t: Tensor, data: TypedData): onnxProto.onnx.ITensorProto {
  return {
    name: t.name,
    dataType: ONNX_TYPE[t.dtype],
    dims: t.dims,
    // Raw little-endian bytes: the compact encoding, and what ORT maps without a copy per element.
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function valueInfo(t: Tensor, name = t.name): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[t.dtype],
        shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attrProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.v };
    case 'float':
      return { name, type: T.FLOAT, f: a.v };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.v] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.v] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.v) };
    case 'scalarTensor': {
      const data = toTyped([a.v], a.dtype);
      return {
        name,
        type: T.TENSOR,
        t: { dataType: ONNX_TYPE[a.dtype], dims: [1], rawData: new Uint8Array(data.buffer) },
      };
    }
  }
}

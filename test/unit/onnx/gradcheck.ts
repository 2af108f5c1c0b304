/**
 * Central-difference gradient checks run through ORT. The checked function is
 * L = Σ out ⊙ R with a fixed random R, so every output element and every direction of the op's
 * Jacobian contributes with a different weight (a plain sum would hide transposed or permuted
 * gradients that happen to add up to the same total).
 */
import { gradients } from '../../../main/engine/onnx/autodiff';
import { Graph, sizeOf, type FloatDType, type Tensor } from '../../../main/engine/onnx/graph';
import { Rng } from '../../../main/engine/onnx/init';
import { createSession, toOrt, type OrtTensor } from '../../../main/engine/onnx/session';

export interface CheckInput {
  shape: number[];
  /** Values; default uniform in [-1, 1] from the check's seed. */
  data?: readonly number[];
  /** Generates each value (e.g. keep |x| away from a kink). */
  gen?: (rng: Rng) => number;
  /** Differentiate with respect to this input (default true). */
  diff?: boolean;
  dtype?: 'int64';
}

export interface CheckResult {
  /** max over elements of |analytic − numeric| / max(|analytic|, |numeric|, 1e-3·‖numeric of that tensor‖∞, 1e-6·‖all numeric‖∞) */
  maxRelErr: number;
  analytic: Record<string, number[]>;
  numeric: Record<string, number[]>;
}

export async function gradCheck(
  dtype: FloatDType,
  declared: Record<string, CheckInput>,
  build: (g: Graph, x: Record<string, Tensor>) => Tensor,
  options: { eps?: number; seed?: number } = {},
): Promise<CheckResult> {
  const eps = options.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rng = new Rng(options.seed ?? 7);
  let inputs = declared;
  const g = new Graph(dtype);
  const tensors: Record<string, Tensor> = {};
  const values: Record<string, number[]> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    tensors[name] = g.input(name, spec.shape, spec.dtype ?? dtype);
    const n = sizeOf(spec.shape);
    values[name] = spec.data
      ? [...spec.data]
      : Array.from({ length: n }, () => (spec.gen ? spec.gen(rng) : rng.uniform(-1, 1)));
  }
  const out = build(g, tensors);
  // Parameters a block declares are checked like inputs, fed under their p:<name> graph names.
  for (const prm of g.params.values()) {
    tensors[prm.tensor.name] = prm.tensor;
    inputs = { ...inputs, [prm.tensor.name]: { shape: [...prm.shape] } };
    values[prm.tensor.name] = Array.from({ length: sizeOf(prm.shape) }, () => rng.uniform(-1, 1));
  }
  const weights = Array.from({ length: out.size }, () => rng.uniform(-1, 1));
  const loss = g.reduceSum(g.mul(out, g.constant(weights, out.dims)));
  const diffNames = Object.keys(inputs).filter((k) => inputs[k]?.diff !== false && !inputs[k]?.dtype);
  const grads = gradients(
    loss,
    diffNames.map((k) => tensors[k] as Tensor),
  );
  const outputs: Record<string, Tensor> = { loss };
  diffNames.forEach((k, i) => (outputs[`grad_${k}`] = grads[i] as Tensor));
  const { session } = await createSession(g.toModel({ outputs }), { provider: 'cpu', threads: 1 });
  const lossOnly = (await createSession(g.toModel({ outputs: { loss } }), { provider: 'cpu', threads: 1 }))
    .session;

  const feed = (over?: { name: string; i: number; delta: number }): Record<string, OrtTensor> => {
    const f: Record<string, OrtTensor> = {};
    for (const [name, spec] of Object.entries(inputs)) {
      const vals = [...(values[name] as number[])];
      if (over && over.name === name) vals[over.i] = (vals[over.i] as number) + over.delta;
      if (spec.dtype === 'int64')
        f[name] = toOrt(
          'int64',
          BigInt64Array.from(vals, (v) => BigInt(v)),
          spec.shape,
        );
      else
        f[name] = toOrt(
          dtype,
          dtype === 'float32' ? Float32Array.from(vals) : Float64Array.from(vals),
          spec.shape,
        );
    }
    return f;
  };
  const res = await session.run(feed());
  const analytic: Record<string, number[]> = {};
  const numeric: Record<string, number[]> = {};
  let maxRelErr = 0;
  for (const name of diffNames) {
    analytic[name] = Array.from(res[`grad_${name}`]?.data as Float64Array);
    const num: number[] = [];
    const n = (values[name] as number[]).length;
    for (let i = 0; i < n; i++) {
      const up = (await lossOnly.run(feed({ name, i, delta: eps }))).loss?.data as Float64Array;
      const down = (await lossOnly.run(feed({ name, i, delta: -eps }))).loss?.data as Float64Array;
      num.push(((up[0] as number) - (down[0] as number)) / (2 * eps));
    }
    numeric[name] = num;
  }
  // Error floor: 1e-3 of the tensor's largest gradient, and 1e-6 of the largest gradient overall, so
  // an exactly-zero true gradient (e.g. a key bias under softmax) is not judged on FD noise alone.
  const globalScale = Math.max(...Object.values(numeric).flatMap((v) => v.map(Math.abs)));
  for (const name of diffNames) {
    const num = numeric[name] as number[];
    const scale = Math.max(...num.map(Math.abs));
    num.forEach((v, i) => {
      const a = analytic[name]?.[i] as number;
      const err =
        Math.abs(a - v) / Math.max(Math.abs(a), Math.abs(v), 1e-3 * scale, 1e-6 * globalScale, 1e-12);
      maxRelErr = Math.max(maxRelErr, err);
    });
  }
  await session.release();
  await lossOnly.release();
  return { maxRelErr, analytic, numeric };
}

/** Uniform in ±[lo, hi]: keeps values away from a kink at 0. */
export const awayFromZero =
  (lo = 0.1, hi = 1) =>
  (rng: Rng): number =>
    (rng.random() < 0.5 ? -1 : 1) * rng.uniform(lo, hi);

export const positive =
  (lo = 0.2, hi = 2) =>
  (rng: Rng): number =>
    rng.uniform(lo, hi);

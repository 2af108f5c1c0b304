/**
 * Deterministic initialisation and the trainer's epoch shuffles, drawn from the engine's one seeded
 * generator (analysis/random.ts, xoshiro128** seeded through splitmix32): JS numbers and 32-bit
 * integer maths give the same sequence everywhere, which Math.random and native RNGs do not promise.
 * The transforms below (one Box–Muller value per pair of draws, floor-scaled indices) are the ones
 * our initial weights and shuffles have always used, so a seed keeps its meaning.
 */
import { Rng } from '../analysis/random';

export { Rng };

/** Standard normal from two uniform draws (Box–Muller, cosine branch only; u in (0, 1]). */
function normalOf(rng: Rng): number {
  const u = 1 - rng.random();
  const v = rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** FNV-1a 32-bit hash; mixes a parameter's name into its seed. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx;
}

/**
 * How a parameter starts. fanIn/fanOut are given by the layer that declares the parameter, which
 * knows its layout ([in, out] for our MatMul weights, [out, in/group, k...] for Conv).
 */
export type InitSpec =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  | { kind: 'values'; data: readonly number[] }
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; low: number; high: number }
  /** Glorot: U(±gain·√(6/(fanIn+fanOut))). */
  | { kind: 'xavierUniform'; fanIn: number; fanOut: number; gain?: number }
  /** Glorot: N(0, gain·√(2/(fanIn+fanOut))). */
  | { kind: 'xavierNormal'; fanIn: number; fanOut: number; gain?: number }
  /** He: U(±gain·√(3/fanIn)), gain √2 (ReLU) by default. */
  | { kind: 'kaimingUniform'; fanIn: number; gain?: number }
  /** He: N(0, gain/√fanIn), gain √2 by default. */
  | { kind: 'kaimingNormal'; fanIn: number; gain?: number };

export const init = {
  zeros: (): InitSpec => ({ kind: 'zeros' }),
  ones: (): InitSpec => ({ kind: 'ones' }),
  constant: (value: number): InitSpec => ({ kind: 'constant', value }),
  values: (data: readonly number[]): InitSpec => ({ kind: 'values', data }),
  normal: (std: number, mean = 0): InitSpec => ({ kind: 'normal', std, mean }),
  uniform: (low: number, high: number): InitSpec => ({ kind: 'uniform', low, high }),
  xavierUniform: (fanIn: number, fanOut: number, gain = 1): InitSpec => ({
    kind: 'xavierUniform',
    fanIn,
    fanOut,
    gain,
  }),
  xavierNormal: (fanIn: number, fanOut: number, gain = 1): InitSpec => ({
    kind: 'xavierNormal',
    fanIn,
    fanOut,
    gain,
  }),
  kaimingUniform: (fanIn: number, gain = Math.SQRT2): InitSpec => ({ kind: 'kaimingUniform', fanIn, gain }),
  kaimingNormal: (fanIn: number, gain = Math.SQRT2): InitSpec => ({ kind: 'kaimingNormal', fanIn, gain }),
  /** PyTorch's nn.Linear/Conv default (kaiming_uniform with a = √5): U(±1/√fanIn), weights and bias. */
  torchDefault: (fanIn: number): InitSpec => ({
    kind: 'uniform',
    low: -1 / Math.sqrt(fanIn),
    high: 1 / Math.sqrt(fanIn),
  }),
};

/** Fills `n` values for one parameter; `rng` is used only by the random schemes. */
export function initValues(spec: InitSpec, n: number, rng: Rng): number[] {
  const out = new Array<number>(n);
  const fill = (f: () => number) => {
    for (let i = 0; i < n; i++) out[i] = f();
  };
  switch (spec.kind) {
    case 'zeros':
      fill(() => 0);
      break;
    case 'ones':
      fill(() => 1);
      break;
    case 'constant':
      fill(() => spec.value);
      break;
    case 'values':
      if (spec.data.length !== n) throw new RangeError(`init values: ${spec.data.length} given, ${n} needed`);
      fill(() => 0);
      spec.data.forEach((v, i) => (out[i] = v));
      break;
    case 'normal':
      fill(() => (spec.mean ?? 0) + spec.std * normalOf(rng));
      break;
    case 'uniform':
      fill(() => rng.uniform(spec.low, spec.high));
      break;
    case 'xavierUniform': {
      const a = (spec.gain ?? 1) * Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      fill(() => rng.uniform(-a, a));
      break;
    }
    case 'xavierNormal': {
      const std = (spec.gain ?? 1) * Math.sqrt(2 / (spec.fanIn + spec.fanOut));
      fill(() => std * normalOf(rng));
      break;
    }
    case 'kaimingUniform': {
      const a = (spec.gain ?? Math.SQRT2) * Math.sqrt(3 / spec.fanIn);
      fill(() => rng.uniform(-a, a));
      break;
    }
    case 'kaimingNormal': {
      const std = (spec.gain ?? Math.SQRT2) / Math.sqrt(spec.fanIn);
      fill(() => std * normalOf(rng));
      break;
    }
  }
  return out;
}

/**
 * Initial values for every parameter. Each parameter draws from its own stream seeded by
 * (seed, name), so adding a layer does not change the initial values of the others.
 */
export function initParams(
  params: Iterable<{ name: string; shape: readonly number[]; init: InitSpec }>,
  seed: number,
  dtype: 'float32' | 'float64',
): Map<string, Float32Array | Float64Array> {
  const out = new Map<string, Float32Array | Float64Array>();
  for (const p of params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const values = initValues(p.init, n, new Rng(hashString(p.name, seed >>> 0)));
    out.set(p.name, dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values));
  }
  return out;
}

/**
 * Diff-ST's diffusion maths (methods.md §5.3), host side: the linear β schedule, the forward
 * process q(x_t | x_0), the posterior q(x_{t−1} | x_t, x_0), the learned-range variance, timestep
 * respacing for sampling and the sinusoidal timestep embedding. These are the formulas of
 * guided-diffusion (`gaussian_diffusion.py`, `respace.py`, `nn.py`) written out in float64; the
 * training graph takes the per-sample coefficients from here as inputs, and the sampling loop
 * runs entirely on them.
 */

/** Everything a (possibly respaced) schedule needs, per step index 0..T−1. */
export interface Schedule {
  /** number of steps */
  T: number;
  /** the model's timestep input for each step (the original index when respaced) */
  timestepMap: Int32Array;
  betas: Float64Array;
  alphasCumprod: Float64Array;
  alphasCumprodPrev: Float64Array;
  sqrtAlphasCumprod: Float64Array;
  sqrtOneMinusAlphasCumprod: Float64Array;
  sqrtRecipAlphasCumprod: Float64Array;
  sqrtRecipm1AlphasCumprod: Float64Array;
  posteriorVariance: Float64Array;
  /** log of the posterior variance, with step 0's (= 0) replaced by step 1's */
  posteriorLogVarianceClipped: Float64Array;
  posteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2: Float64Array;
}

/** Linear β from `start` to `end` over T steps (Diff-ST: 1e-4 … 0.02, T = 1000; guided-diffusion scales by 1000/T). */
export function linearBetas(T: number, start = 1e-4, end = 0.02): Float64Array {
  if (!(T >= 1) || !Number.isInteger(T)) throw new RangeError(`T must be a positive integer, got ${T}`);
  const scale = 1000 / T;
  const b0 = scale * start;
  const b1 = scale * end;
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = T === 1 ? b0 : b0 + ((b1 - b0) * i) / (T - 1);
  return out;
}

/** A schedule from its β's (`timestepMap` defaults to 0..T−1). */
export function scheduleFromBetas(betas: Float64Array, timestepMap?: Int32Array): Schedule {
  const T = betas.length;
  const ac = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    prod *= 1 - betas[i]!;
    ac[i] = prod;
  }
  const acPrev = new Float64Array(T);
  for (let i = 0; i < T; i++) acPrev[i] = i === 0 ? 1 : ac[i - 1]!;
  const s: Schedule = {
    T,
    timestepMap: timestepMap ?? Int32Array.from({ length: T }, (_, i) => i),
    betas,
    alphasCumprod: ac,
    alphasCumprodPrev: acPrev,
    sqrtAlphasCumprod: ac.map(Math.sqrt),
    sqrtOneMinusAlphasCumprod: ac.map((a) => Math.sqrt(1 - a)),
    sqrtRecipAlphasCumprod: ac.map((a) => Math.sqrt(1 / a)),
    sqrtRecipm1AlphasCumprod: ac.map((a) => Math.sqrt(1 / a - 1)),
    posteriorVariance: new Float64Array(T),
    posteriorLogVarianceClipped: new Float64Array(T),
    posteriorMeanCoef1: new Float64Array(T),
    posteriorMeanCoef2: new Float64Array(T),
  };
  for (let i = 0; i < T; i++) {
    const b = betas[i]!;
    s.posteriorVariance[i] = (b * (1 - acPrev[i]!)) / (1 - ac[i]!);
    s.posteriorMeanCoef1[i] = (b * Math.sqrt(acPrev[i]!)) / (1 - ac[i]!);
    s.posteriorMeanCoef2[i] = ((1 - acPrev[i]!) * Math.sqrt(1 - b)) / (1 - ac[i]!);
  }
  for (let i = 0; i < T; i++)
    s.posteriorLogVarianceClipped[i] = Math.log(
      T > 1 && i === 0 ? s.posteriorVariance[1]! : s.posteriorVariance[i]!,
    );
  return s;
}

/** Diff-ST's training schedule: linear β 1e-4 … 0.02 over T = 1000. */
export function diffstSchedule(T = 1000): Schedule {
  return scheduleFromBetas(linearBetas(T));
}

/**
 * guided-diffusion's `space_timesteps(T, [n])` for one section: n indices evenly strided over
 * 0..T−1 (rounded), always including 0 and T−1.
 */
export function spacedTimesteps(T: number, n: number): Int32Array {
  if (!(n >= 1) || n > T || !Number.isInteger(n)) throw new RangeError(`steps must be in 1..${T}, got ${n}`);
  if (n === 1) return Int32Array.of(0);
  const stride = (T - 1) / (n - 1);
  const out = new Int32Array(n);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(cur);
    cur += stride;
  }
  return out;
}

/**
 * The respaced schedule (`respace.py`): keep the ᾱ of the chosen steps, new β_i = 1 − ᾱ_{t_i}/ᾱ_{t_{i−1}};
 * the model still receives the original timestep index t_i.
 */
export function respace(base: Schedule, steps: number): Schedule {
  const use = spacedTimesteps(base.T, steps);
  const betas = new Float64Array(use.length);
  let last = 1;
  use.forEach((t, i) => {
    const a = base.alphasCumprod[t]!;
    betas[i] = 1 - a / last;
    last = a;
  });
  return scheduleFromBetas(betas, use);
}

/** x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, elementwise into `out`. */
export function qSample(
  s: Schedule,
  t: number,
  x0: ArrayLike<number>,
  noise: ArrayLike<number>,
  out: Float32Array | Float64Array,
): void {
  const a = s.sqrtAlphasCumprod[t]!;
  const b = s.sqrtOneMinusAlphasCumprod[t]!;
  for (let i = 0; i < out.length; i++) out[i] = a * x0[i]! + b * noise[i]!;
}

/**
 * Learned-range variance (`LEARNED_RANGE`): the model's v ∈ [−1, 1] interpolates the log variance
 * between the clipped posterior log variance (v = −1) and log β_t (v = 1).
 */
export function learnedRangeLogVariance(s: Schedule, t: number, v: number): number {
  const frac = (v + 1) / 2;
  const minLog = s.posteriorLogVarianceClipped[t]!;
  const maxLog = Math.log(s.betas[t]!);
  return frac * maxLog + (1 - frac) * minLog;
}

/** x̂_0 from ε̂: √(1/ᾱ_t) x_t − √(1/ᾱ_t − 1) ε̂. */
export function predictX0(s: Schedule, t: number, xt: number, eps: number): number {
  return s.sqrtRecipAlphasCumprod[t]! * xt - s.sqrtRecipm1AlphasCumprod[t]! * eps;
}

/** Posterior mean of q(x_{t−1} | x_t, x_0). */
export function posteriorMean(s: Schedule, t: number, x0: number, xt: number): number {
  return s.posteriorMeanCoef1[t]! * x0 + s.posteriorMeanCoef2[t]! * xt;
}

/**
 * One ancestral step of p(x_{i−1} | x_i) with learned-range variance (guided-diffusion's
 * `p_sample`, x̂_0 clipped to [−1, 1]): the posterior mean from x̂_0 plus, for i > 0, its standard
 * deviation times `z` ~ N(0, 1).
 */
export function ancestralStep(s: Schedule, i: number, xt: number, eps: number, v: number, z: number): number {
  const x0 = Math.max(-1, Math.min(1, predictX0(s, i, xt, eps)));
  const mean = posteriorMean(s, i, x0, xt);
  if (i === 0) return mean;
  return mean + Math.exp(0.5 * learnedRangeLogVariance(s, i, Math.max(-1, Math.min(1, v)))) * z;
}

/** KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) in nats (guided-diffusion's `normal_kl`). */
export function normalKl(m1: number, lv1: number, m2: number, lv2: number): number {
  return 0.5 * (-1 + lv2 - lv1 + Math.exp(lv1 - lv2) + (m1 - m2) ** 2 * Math.exp(-lv2));
}

/** tanh approximation of the standard normal CDF, as guided-diffusion uses. */
export function approxStdNormalCdf(x: number): number {
  return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/**
 * log-likelihood of x under a Gaussian discretised into 255 bins of width 2/255 on [−1, 1], the
 * decoder term at t = 0 (guided-diffusion's `discretized_gaussian_log_likelihood`).
 */
export function discretizedGaussianLogLikelihood(x: number, mean: number, logScale: number): number {
  const c = x - mean;
  const inv = Math.exp(-logScale);
  const cdfPlus = approxStdNormalCdf(inv * (c + 1 / 255));
  const cdfMin = approxStdNormalCdf(inv * (c - 1 / 255));
  const logCdfPlus = Math.log(Math.max(cdfPlus, 1e-12));
  const logOneMinusCdfMin = Math.log(Math.max(1 - cdfMin, 1e-12));
  const delta = cdfPlus - cdfMin;
  if (x < -0.999) return logCdfPlus;
  if (x > 0.999) return logOneMinusCdfMin;
  return Math.log(Math.max(delta, 1e-12));
}

/**
 * Sinusoidal timestep embedding (guided-diffusion's `timestep_embedding`): half cosines then half
 * sines of t·10000^(−i/half), i = 0..half−1.
 */
export function timestepEmbedding(t: number, dim: number, out?: Float32Array, offset = 0): Float32Array {
  const half = Math.floor(dim / 2);
  const dst = out ?? new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const f = Math.exp((-Math.log(10000) * i) / half);
    dst[offset + i] = Math.cos(t * f);
    dst[offset + half + i] = Math.sin(t * f);
  }
  if (dim % 2 === 1) dst[offset + dim - 1] = 0;
  return dst;
}

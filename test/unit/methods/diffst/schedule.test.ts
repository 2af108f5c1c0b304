/** Diff-ST's diffusion maths against hand-computed values (guided-diffusion's formulas). */
import { describe, expect, it } from 'vitest';
import {
  ancestralStep,
  approxStdNormalCdf,
  diffstSchedule,
  discretizedGaussianLogLikelihood,
  learnedRangeLogVariance,
  linearBetas,
  normalKl,
  posteriorMean,
  predictX0,
  qSample,
  respace,
  spacedTimesteps,
  timestepEmbedding,
} from '../../../../main/engine/methods/diffst/schedule';

describe('Diff-ST schedule', () => {
  it('linear β from 1e-4 to 0.02 over 1000 steps', () => {
    const b = linearBetas(1000);
    expect(b[0]).toBeCloseTo(1e-4, 15);
    expect(b[999]).toBeCloseTo(0.02, 15);
    expect(b[1]).toBeCloseTo(1e-4 + 0.0199 / 999, 15);
  });

  it('ᾱ, posterior variance (clipped at t = 0) and posterior coefficients', () => {
    const s = diffstSchedule();
    const b0 = 1e-4;
    const b1 = 1e-4 + 0.0199 / 999;
    const a0 = 1 - b0;
    const a1 = a0 * (1 - b1);
    expect(s.alphasCumprod[0]).toBeCloseTo(a0, 15);
    expect(s.alphasCumprod[1]).toBeCloseTo(a1, 15);
    expect(s.posteriorVariance[0]).toBe(0);
    const pv1 = (b1 * (1 - a0)) / (1 - a1);
    expect(s.posteriorVariance[1]).toBeCloseTo(pv1, 15);
    expect(s.posteriorLogVarianceClipped[0]).toBeCloseTo(Math.log(pv1), 12);
    expect(s.posteriorMeanCoef1[1]).toBeCloseTo((b1 * Math.sqrt(a0)) / (1 - a1), 12);
    expect(s.posteriorMeanCoef2[1]).toBeCloseTo(((1 - a0) * Math.sqrt(1 - b1)) / (1 - a1), 12);
    // ᾱ_T of this schedule is ≈ 4.0e-5 (a known property of the linear 1e-4…0.02 schedule)
    expect(s.alphasCumprod[999]).toBeGreaterThan(3e-5);
    expect(s.alphasCumprod[999]).toBeLessThan(5e-5);
  });

  it('respacing to 20 steps keeps ᾱ at the chosen steps and maps back to the original t', () => {
    const t = spacedTimesteps(1000, 20);
    expect(Array.from(t.slice(0, 4))).toEqual([0, 53, 105, 158]);
    expect(t[19]).toBe(999);
    const base = diffstSchedule();
    const r = respace(base, 20);
    expect(r.T).toBe(20);
    expect(Array.from(r.timestepMap)).toEqual(Array.from(t));
    expect(r.betas[0]).toBeCloseTo(1e-4, 15);
    expect(r.betas[1]).toBeCloseTo(1 - base.alphasCumprod[53]! / base.alphasCumprod[0]!, 15);
    for (let i = 0; i < 20; i++) expect(r.alphasCumprod[i]).toBeCloseTo(base.alphasCumprod[t[i]!]!, 12);
    expect(Array.from(spacedTimesteps(1000, 1000).slice(0, 3))).toEqual([0, 1, 2]);
  });

  it('x̂_0 from the true ε inverts q(x_t | x_0)', () => {
    const s = diffstSchedule();
    const out = new Float64Array(3);
    qSample(s, 500, [0.2, -0.5, 1], [1.5, -0.3, 0], out);
    [0.2, -0.5, 1].forEach((x0, i) =>
      expect(predictX0(s, 500, out[i]!, [1.5, -0.3, 0][i]!)).toBeCloseTo(x0, 10),
    );
  });

  it('respaced ancestral sampling with the true ε reconstructs x_0 from pure noise', () => {
    // An oracle denoiser: at every step ε = (x_t − √ᾱ x_0)/√(1 − ᾱ) for the known x_0. Its x̂_0 is
    // exact, so the posterior mean at the last step is x_0 whatever noise the earlier steps added.
    const s = respace(diffstSchedule(), 20);
    const x0 = [0.3, -0.7, 0.95, 0];
    const x = [1.2, -0.4, 0.1, -2];
    let seed = 1;
    const z = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 3;
    for (let i = s.T - 1; i >= 0; i--)
      for (let q = 0; q < x.length; q++) {
        const eps = (x[q]! - s.sqrtAlphasCumprod[i]! * x0[q]!) / s.sqrtOneMinusAlphasCumprod[i]!;
        x[q] = ancestralStep(s, i, x[q]!, eps, 0, z());
      }
    x.forEach((v, q) => expect(v).toBeCloseTo(x0[q]!, 9));
    // And one step's spread is the learned-range SD (v = 1: β_i).
    const a = ancestralStep(s, 10, 0.5, 0.1, 1, 0);
    const b = ancestralStep(s, 10, 0.5, 0.1, 1, 1);
    expect(b - a).toBeCloseTo(Math.sqrt(s.betas[10]!), 12);
  });

  it('posterior mean with x_0 = x_t at t = 0 is x_0 (β_0 weight on x_0, no x_t term)', () => {
    const s = diffstSchedule();
    // t = 0: ᾱ_prev = 1 → coef1 = β_0/(1 − ᾱ_0) = 1, coef2 = 0
    expect(posteriorMean(s, 0, 0.7, -3)).toBeCloseTo(0.7, 12);
  });

  it('learned-range variance interpolates between the clipped posterior and β', () => {
    const s = diffstSchedule();
    expect(learnedRangeLogVariance(s, 10, 1)).toBeCloseTo(Math.log(s.betas[10]!), 12);
    expect(learnedRangeLogVariance(s, 10, -1)).toBeCloseTo(s.posteriorLogVarianceClipped[10]!, 12);
    expect(learnedRangeLogVariance(s, 10, 0)).toBeCloseTo(
      (Math.log(s.betas[10]!) + s.posteriorLogVarianceClipped[10]!) / 2,
      12,
    );
  });

  it('KL, the CDF approximation and the discretised decoder likelihood', () => {
    expect(normalKl(0, 0, 0, 0)).toBe(0);
    expect(normalKl(1, 0, 0, 0)).toBeCloseTo(0.5, 12);
    // KL(N(0,1) ‖ N(0,e)) = ½(−1 + 1 − 0 + e^{−1}) = ½e^{−1}
    expect(normalKl(0, 0, 0, 1)).toBeCloseTo(0.5 * Math.exp(-1), 12);
    expect(approxStdNormalCdf(0)).toBe(0.5);
    expect(approxStdNormalCdf(1.96)).toBeCloseTo(0.975, 3);
    // bin of width 2/255 at the mode of N(0, 1): ≈ (2/255)·φ(0)
    expect(discretizedGaussianLogLikelihood(0, 0, 0)).toBeCloseTo(Math.log((2 / 255) * 0.3989422804), 4);
    // edge bins integrate the tails
    expect(discretizedGaussianLogLikelihood(1, 1, 0)).toBeCloseTo(
      Math.log(1 - approxStdNormalCdf(-1 / 255)),
      12,
    );
  });

  it('sinusoidal timestep embedding: cosines then sines of t·10000^(−i/half)', () => {
    expect(Array.from(timestepEmbedding(0, 4))).toEqual([1, 1, 0, 0]);
    const e = timestepEmbedding(1, 4);
    expect(e[0]).toBeCloseTo(Math.cos(1), 6);
    expect(e[1]).toBeCloseTo(Math.cos(0.01), 6);
    expect(e[2]).toBeCloseTo(Math.sin(1), 6);
    expect(e[3]).toBeCloseTo(Math.sin(0.01), 6);
  });
});

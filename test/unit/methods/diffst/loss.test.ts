/**
 * One forward + loss of the ONNX training graph against an independent host computation: the
 * denoiser's outputs (inference model, same weights and inputs) put through the loss written out
 * with schedule.ts's float64 formulas (guided-diffusion's normal_kl and discretised decoder) —
 * Charbonnier on ε, the bound with learned-range variance (t = 0: decoder NLL), the disentangling
 * ratio, masked to real rows and measured pixels, with more genes than diffused directions.
 */
import { describe, expect, it } from 'vitest';
import { diffstModel, type DiffstConfig } from '../../../../models/diffst';
import { buildEvalModel, buildInference, names } from '../../../../main/engine/onnx/model';
import { Rng } from '../../../../main/engine/onnx/init';
import { createSession, toOrt, type OrtTensor } from '../../../../main/engine/onnx/session';
import { coexpressionAdjacency } from '../../../../main/engine/methods/diffst/raster';
import {
  diffstSchedule,
  discretizedGaussianLogLikelihood,
  normalKl,
  timestepEmbedding,
} from '../../../../main/engine/methods/diffst/schedule';

const cfg: DiffstConfig = {
  genes: 3,
  latent: 2,
  hr: 4,
  channels: 4,
  levels: 1,
  groups: 2,
  imageScale: 2,
  cells: 4,
  cellPx: 2,
  region: 1,
  graphAlpha: 0.3,
  adjacency: coexpressionAdjacency([1, 5, 2]),
  disentangleWeight: 0.5,
};

describe('Diff-ST loss graph', () => {
  it('equals the loss computed on the host from the denoiser outputs', async () => {
    const B = 3;
    const K = 2;
    const H = cfg.hr;
    const n = K * H * H;
    const def = diffstModel(cfg);
    const rng = new Rng(7);
    const s = diffstSchedule();
    const ts = [0, 37, 612];

    // Inputs, targets and the coefficients for each row's t; x_t from x_0 and ε.
    const built = buildEvalModel(def, B);
    const data: Record<string, Float32Array> = {};
    for (const d of built.dataInputs) data[d.name] = new Float32Array(d.dims.reduce((a, b) => a * b, 1));
    for (const k of ['lowres', 'x0']) data[k]!.forEach((_, i, a) => (a[i] = rng.random() * 2 - 1));
    for (const k of ['wsi', 'cells']) data[k]!.forEach((_, i, a) => (a[i] = 255 * rng.random()));
    data['noise']!.forEach((_, i, a) => (a[i] = rng.normal()));
    data['hrMask']!.forEach((_, i, a) => (a[i] = rng.random() < 0.7 ? 1 : 0));
    data[names.mask]!.set([1, 1, 0]);
    ts.forEach((t, r) => {
      for (let q = 0; q < n; q++)
        data['x_t']![r * n + q] =
          s.sqrtAlphasCumprod[t]! * data['x0']![r * n + q]! +
          s.sqrtOneMinusAlphasCumprod[t]! * data['noise']![r * n + q]!;
      timestepEmbedding(t, cfg.channels, data['temb'], r * cfg.channels);
      data['sqrtRecipAc']![r] = s.sqrtRecipAlphasCumprod[t]!;
      data['sqrtRecipm1Ac']![r] = s.sqrtRecipm1AlphasCumprod[t]!;
      data['postCoef1']![r] = s.posteriorMeanCoef1[t]!;
      data['postCoef2']![r] = s.posteriorMeanCoef2[t]!;
      data['postLogVar']![r] = s.posteriorLogVarianceClipped[t]!;
      data['logBeta']![r] = Math.log(s.betas[t]!);
      data['isFirst']![r] = t === 0 ? 1 : 0;
    });
    // Non-zero weights everywhere (the output conv starts at zero, which would hide ε̂ and v).
    const params = new Map(
      built.params.map((p) => {
        const v = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
        v.forEach((_, i) => (v[i] = (rng.random() * 2 - 1) * 0.4));
        return [p.name, v] as const;
      }),
    );

    const feeds = (list: { name: string; dims: number[] }[], extra: Record<string, Float32Array>) => {
      const f: Record<string, OrtTensor> = {};
      for (const d of list) f[d.name] = toOrt('float32', (extra[d.name] ?? data[d.name])!, d.dims);
      return f;
    };
    const evalSess = (await createSession(built.bytes, {})).session;
    const paramFeeds: Record<string, OrtTensor> = {};
    for (const p of built.params)
      paramFeeds[names.param(p.name)] = toOrt('float32', params.get(p.name)!, [...p.shape]);
    const graphLoss = (
      (await evalSess.run({ ...feeds(built.dataInputs, {}), ...paramFeeds }))[names.loss]!
        .data as Float32Array
    )[0]!;
    await evalSess.release();

    const inf = buildInference(def, params, B);
    const infSess = (await createSession(inf.bytes, {})).session;
    const o = await infSess.run(feeds(inf.dataInputs, {}));
    await infSess.release();
    const out = o['out']!.data as Float32Array;
    const arr = (k: string) => o[k]!.data as Float32Array;

    // Host loss in float64.
    let charb = 0;
    let vb = 0;
    let weight = 0;
    for (let r = 0; r < B; r++) {
      if (!data[names.mask]![r]) continue;
      const t = ts[r]!;
      const minLog = s.posteriorLogVarianceClipped[t]!;
      const maxLog = Math.log(s.betas[t]!);
      for (let c = 0; c < K; c++)
        for (let q = 0; q < H * H; q++) {
          if (!data['hrMask']![r * H * H + q]) continue;
          const i = r * n + c * H * H + q;
          const epsHat = out[r * 2 * n + c * H * H + q]!;
          const v = out[r * 2 * n + n + c * H * H + q]!;
          const xt = data['x_t']![i]!;
          const x0 = data['x0']![i]!;
          charb += Math.sqrt((epsHat - data['noise']![i]!) ** 2 + 1e-6);
          const frac = (v + 1) / 2;
          const logVar = frac * maxLog + (1 - frac) * minLog;
          const x0Pred = s.sqrtRecipAlphasCumprod[t]! * xt - s.sqrtRecipm1AlphasCumprod[t]! * epsHat;
          const mean = s.posteriorMeanCoef1[t]! * x0Pred + s.posteriorMeanCoef2[t]! * xt;
          const trueMean = s.posteriorMeanCoef1[t]! * x0 + s.posteriorMeanCoef2[t]! * xt;
          vb +=
            t === 0
              ? -discretizedGaussianLogLikelihood(x0, mean, 0.5 * logVar) / Math.LN2
              : normalKl(trueMean, minLog, mean, logVar) / Math.LN2;
          weight++;
        }
    }
    const rowMeanSq = (a: Float32Array, b: Float32Array) => {
      const per = a.length / B;
      let sum = 0;
      let rows = 0;
      for (let r = 0; r < B; r++) {
        if (!data[names.mask]![r]) continue;
        rows++;
        for (let k = 0; k < per; k++) sum += (a[r * per + k]! - b[r * per + k]!) ** 2;
      }
      return sum / (rows * per);
    };
    const ratio = rowMeanSq(arr('comWsi'), arr('comLr')) / (rowMeanSq(arr('distWsi'), arr('distLr')) + 1e-8);
    const host = charb / weight + vb / weight + cfg.disentangleWeight * ratio;
    expect(weight).toBeGreaterThan(10);
    expect(vb / weight).toBeGreaterThan(1e-3); // the bound is really in play
    expect(graphLoss).toBeCloseTo(host, 3);
    expect(Math.abs(graphLoss - host) / host).toBeLessThan(1e-4);
  });
});

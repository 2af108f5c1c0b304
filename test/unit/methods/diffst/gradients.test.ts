/**
 * Finite-difference checks of Diff-ST's denoiser, branch by branch (float64 where ORT's CPU kernels
 * have a double version: the gene graph, GroupNorm, the attention blocks, the modulation, the loss),
 * the conv ResBlock with FiLM and up/down sampling and the whole denoiser in float32 (ORT's Conv,
 * AveragePool and Resize are float32-only).
 */
import { describe, expect, it } from 'vitest';
import { diffstBlocks, diffstDenoiser, diffstLoss, type DiffstConfig } from '../../../../models/diffst';
import type { Graph, Tensor } from '../../../../main/engine/onnx/graph';
import { coexpressionAdjacency } from '../../../../main/engine/methods/diffst/raster';
import { gradCheck, positive } from '../../onnx/gradcheck';
import { gradients } from '../../../../main/engine/onnx/autodiff';
import { Graph as GraphCtor } from '../../../../main/engine/onnx/graph';
import { Rng } from '../../../../main/engine/onnx/init';
import { createSession, toOrt, type OrtTensor } from '../../../../main/engine/onnx/session';

const t = (x: Record<string, Tensor>, k: string) => x[k] as Tensor;

function tinyConfig(genes = 3): DiffstConfig {
  return {
    genes,
    hr: 4,
    channels: 4,
    levels: 1,
    groups: 2,
    imageScale: 2,
    cells: 4,
    cellPx: 2,
    region: 1,
    graphAlpha: 0.3,
    adjacency: coexpressionAdjacency([1, 5, 2].slice(0, genes)),
    disentangleWeight: 0.5,
  };
}

describe('Diff-ST denoiser gradients', () => {
  it('gene graph layer (float64)', async () => {
    const cfg = tinyConfig();
    const r = await gradCheck('float64', { x: { shape: [2, 3, 2, 2] } }, (g: Graph, x) =>
      diffstBlocks.geneGraph(g, diffstBlocks.params(g), t(x, 'x'), cfg),
    );
    expect(r.maxRelErr).toBeLessThan(1e-4);
  }, 120_000);

  it('GroupNorm with learned scale and shift (float64)', async () => {
    const r = await gradCheck('float64', { x: { shape: [2, 4, 3, 3] } }, (g: Graph, x) =>
      diffstBlocks.norm(g, diffstBlocks.params(g), 'n', t(x, 'x'), 2),
    );
    expect(r.maxRelErr).toBeLessThan(1e-4);
  }, 120_000);

  it('single-head cross-attention, bias-free projections (float64)', async () => {
    const r = await gradCheck(
      'float64',
      { q: { shape: [2, 4, 3] }, kv: { shape: [2, 5, 6] } },
      (g: Graph, x) => diffstBlocks.crossAttention(g, diffstBlocks.params(g), 'a', t(x, 'q'), t(x, 'kv'), 3),
    );
    expect(r.maxRelErr).toBeLessThan(1e-4);
  }, 120_000);

  it('cross-modal adaptive modulation on 2×2 regions (float64)', async () => {
    const r = await gradCheck(
      'float64',
      { y: { shape: [1, 2, 4, 4] }, h: { shape: [1, 2, 4, 4] } },
      (g: Graph, x) => {
        const [my, mh] = diffstBlocks.modulate(g, diffstBlocks.params(g), t(x, 'y'), t(x, 'h'), 2);
        return g.concat([my, mh], 1);
      },
    );
    expect(r.maxRelErr).toBeLessThan(1e-4);
  }, 120_000);

  it('loss: Charbonnier + variational bound (KL and the t = 0 decoder term) + disentangling ratio (float64)', async () => {
    const cfg = tinyConfig(2);
    const B = 2;
    const H = 2;
    const coefs = {
      sqrtRecipAc: { shape: [B, 1], gen: positive(1, 2) },
      sqrtRecipm1Ac: { shape: [B, 1], gen: positive(0.1, 1) },
      postCoef1: { shape: [B, 1], gen: positive(0.1, 1) },
      postCoef2: { shape: [B, 1], gen: positive(0.1, 1) },
      postLogVar: { shape: [B, 1], data: [-3, -4] },
      logBeta: { shape: [B, 1], data: [-2, -3] },
      // one sample at t = 0 (decoder NLL), one at t > 0 (KL)
      isFirst: { shape: [B, 1], data: [1, 0], diff: false },
    };
    const r = await gradCheck(
      'float64',
      {
        // ε̂ enters the bound only through a detached mean, so finite differences over it would see a
        // path the analytic gradient deliberately drops: ε̂ is checked in the next test instead.
        epsHat: { shape: [B, 2, H, H], diff: false },
        v: { shape: [B, 2, H, H], gen: (rng) => rng.uniform(-0.9, 0.9) },
        comWsi: { shape: [B, 2, H, H] },
        comLr: { shape: [B, 2, H, H] },
        distWsi: { shape: [B, 2, H, H] },
        distLr: { shape: [B, 2, H, H] },
        x_t: { shape: [B, 2, H, H] },
        noise: { shape: [B, 2, H, H] },
        // x0 inside (−0.999, 0.999): the decoder's middle bin branch, away from the where() switch
        x0: { shape: [B, 2, H, H], gen: (rng) => rng.uniform(-0.9, 0.9), diff: false },
        hrMask: { shape: [B, 1, H, H], data: [1, 1, 0, 1, 1, 0, 1, 1], diff: false },
        mask: { shape: [B, 1], data: [1, 1], diff: false },
        ...coefs,
      },
      (g: Graph, x) => {
        const o = {
          out: g.concat([t(x, 'epsHat'), t(x, 'v')], 1),
          comWsi: t(x, 'comWsi'),
          comLr: t(x, 'comLr'),
          distWsi: t(x, 'distWsi'),
          distLr: t(x, 'distLr'),
        };
        const targets: Record<string, Tensor> = {
          noise: t(x, 'noise'),
          x0: t(x, 'x0'),
          hrMask: t(x, 'hrMask'),
        };
        for (const k of Object.keys(coefs)) targets[k] = t(x, k);
        return diffstLoss(g, cfg, { x_t: t(x, 'x_t') }, o, targets, t(x, 'mask'));
      },
      // The t = 0 decoder term is log(Φ(a) − Φ(b)) of two close CDFs: a difference that has lost
      // ~6 digits, so the finite-difference step must be larger than the default 1e-6.
      { eps: 1e-4 },
    );
    if (process.env['DIFFST_GRAD_DEBUG'])
      for (const k of Object.keys(r.analytic))
        console.log(k, r.analytic[k]?.slice(0, 8), r.numeric[k]?.slice(0, 8));
    expect(r.maxRelErr).toBeLessThan(1e-4);
  }, 120_000);

  it('the ε̂ half of the output gets no gradient from the bound (the mean is detached)', async () => {
    // The analytic gradient of ε̂ with the bound must equal the one of the Charbonnier term alone
    // (the disentangling ratio is constant here): stopGradient keeps the bound off the mean.
    const cfg = tinyConfig(1);
    const build = (withVb: boolean) => (g: Graph, x: Record<string, Tensor>) => {
      const targets: Record<string, Tensor> = {
        noise: t(x, 'noise'),
        x0: t(x, 'x0'),
        hrMask: g.constant([1, 1, 1, 1], [1, 1, 2, 2]),
      };
      for (const [k, v] of Object.entries({
        sqrtRecipAc: 1.5,
        sqrtRecipm1Ac: 0.5,
        postCoef1: 0.3,
        postCoef2: 0.6,
        postLogVar: -3,
        logBeta: -2,
        isFirst: 0,
      }))
        targets[k] = g.constant([v], [1, 1]);
      const zeros = g.constant([0, 0, 0, 0], [1, 1, 2, 2]);
      const ones = g.constant([1, 1, 1, 1], [1, 1, 2, 2]);
      const o = { out: t(x, 'out'), comWsi: zeros, comLr: zeros, distWsi: zeros, distLr: ones };
      const full = diffstLoss(g, cfg, { x_t: t(x, 'x_t') }, o, targets, g.constant([1], [1, 1]));
      if (withVb) return full;
      const [epsHat] = g.split(t(x, 'out'), [1, 1], 1) as [Tensor, Tensor];
      const d = g.sub(epsHat, t(x, 'noise'));
      return g.reduceMean(g.sqrt(g.add(g.mul(d, d), 1e-6)));
    };
    const inputs = {
      out: { shape: [1, 2, 2, 2] },
      x_t: { shape: [1, 1, 2, 2], diff: false },
      noise: { shape: [1, 1, 2, 2], diff: false },
      x0: { shape: [1, 1, 2, 2], diff: false },
    };
    const a = await gradCheck('float64', inputs, build(true));
    const b = await gradCheck('float64', inputs, build(false));
    expect(b.maxRelErr).toBeLessThan(1e-4);
    // gradCheck weights the scalar loss by a fixed R, the same in both runs: compare the ε̂ half.
    const epsA = (a.analytic['out'] as number[]).slice(0, 4);
    const epsB = (b.analytic['out'] as number[]).slice(0, 4);
    epsA.forEach((v, i) => expect(v).toBeCloseTo(epsB[i] as number, 10));
  }, 120_000);

  it('ResBlock with FiLM, down and up (float32, directional derivatives)', async () => {
    for (const r of ['down', 'up', 'none'] as const) {
      const errs = await directionalCheck({ x: [1, 2, 4, 4], emb: [1, 4] }, (g: Graph, x) =>
        diffstBlocks.resBlock(
          g,
          diffstBlocks.params(g),
          'rb',
          t(x, 'x'),
          t(x, 'emb'),
          r === 'none' ? 2 : 4,
          2,
          r,
        ),
      );
      expect(Math.max(...Object.values(errs))).toBeLessThan(2e-2);
    }
  }, 300_000);

  it('the whole denoiser: every parameter and input (float32, directional derivatives)', async () => {
    const cfg = tinyConfig(2);
    const errs = await directionalCheck(
      { x_t: [1, 2, 4, 4], temb: [1, 4], lowres: [1, 2, 2, 2], wsi: [1, 3, 8, 8], cells: [1, 4, 3, 2, 2] },
      (g: Graph, x) => diffstDenoiser(g, cfg, x).out,
    );
    // every branch's parameters were reached
    for (const k of [
      'lr/graph/w',
      'lr/pre_graph/w',
      'cells/in/w',
      'cell_attn/q/w',
      'mod/h2y/w',
      'mod/y2h/w',
      'dis/common/w',
      'dis/distinct/w',
      'cond_attn/k/w',
      'enc/0/res/in_conv/w',
      'lrenc/1/res/emb/w',
      'dec/1/up/out_conv/w',
      'out/w',
      'time/l1/w',
    ])
      expect(errs[`p:${k}`], k).toBeDefined();
    const worst = Object.entries(errs).sort((a, b) => b[1] - a[1])[0]!;
    expect(worst[1], worst[0]).toBeLessThan(2e-2);
  }, 600_000);

  it('the whole denoiser reading feature channels (5 channels, no /255): every parameter and input', async () => {
    const cfg: DiffstConfig = { ...tinyConfig(2), imageChannels: 5, imageDivisor: 1 };
    const errs = await directionalCheck(
      { x_t: [1, 2, 4, 4], temb: [1, 4], lowres: [1, 2, 2, 2], wsi: [1, 5, 8, 8], cells: [1, 4, 5, 2, 2] },
      (g: Graph, x) => diffstDenoiser(g, cfg, x).out,
      // Unscaled (unit-SD) image channels drive the network harder than RGB/255, so the loss is more
      // curved along a direction: ε = 1e-2 leaves a truncation error (lrenc emb: 0.529 numeric vs
      // 0.481 analytic; at ε = 3e-3, 0.4810 vs 0.4809).
      3e-3,
    );
    for (const k of ['wsi', 'cells', 'p:wsi/in/w', 'p:cells/in/w', 'p:cell_attn/q/w'])
      expect(errs[k], k).toBeDefined();
    const worst = Object.entries(errs).sort((a, b) => b[1] - a[1])[0]!;
    expect(worst[1], worst[0]).toBeLessThan(2e-2);
  }, 600_000);
});

/**
 * Directional central differences in float32 (ORT's Conv has no double kernel): for every input and
 * parameter T, a random ±1 direction d_T; the analytic Σ ∂L/∂T ⊙ d_T against
 * (L(T + εd_T) − L(T − εd_T)) / 2ε of L = Σ out ⊙ R with a fixed random R. Two runs per tensor
 * instead of two per element, so a network with thousands of weights is checked in seconds;
 * returns the relative error per tensor (floored at 1e-2 of the largest directional derivative: float32 rounding).
 */
async function directionalCheck(
  shapes: Record<string, number[]>,
  build: (g: Graph, x: Record<string, Tensor>) => Tensor,
  eps = 1e-2,
): Promise<Record<string, number>> {
  const rng = new Rng(11);
  const g = new GraphCtor('float32');
  const x: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(shapes)) x[k] = g.input(k, s);
  const out = build(g, x);
  const all: Record<string, { tensor: Tensor; shape: number[] }> = {};
  for (const [k, s] of Object.entries(shapes)) all[k] = { tensor: x[k]!, shape: s };
  for (const p of g.params.values()) all[p.tensor.name] = { tensor: p.tensor, shape: [...p.shape] };
  const values: Record<string, Float32Array> = {};
  const dirs: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(all)) {
    const n = v.shape.reduce((a, b) => a * b, 1);
    values[k] = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    dirs[k] = Float32Array.from({ length: n }, () => (rng.random() < 0.5 ? -1 : 1));
  }
  const R = Array.from({ length: out.size }, () => rng.uniform(-1, 1));
  const loss = g.reduceSum(g.mul(out, g.constant(R, out.dims)));
  const names = Object.keys(all);
  const grads = gradients(
    loss,
    names.map((k) => all[k]!.tensor),
  );
  const outputs: Record<string, Tensor> = { loss };
  names.forEach(
    (k, i) => (outputs[`d${i}`] = g.reduceSum(g.mul(grads[i]!, g.constant(dirs[k]!, all[k]!.shape)))),
  );
  const withGrads = (await createSession(g.toModel({ outputs }), { provider: 'cpu', threads: 1 })).session;
  const lossOnly = (await createSession(g.toModel({ outputs: { loss } }), { provider: 'cpu', threads: 1 }))
    .session;
  const feed = (shift?: { name: string; sign: number }) => {
    const f: Record<string, OrtTensor> = {};
    for (const k of names) {
      const v = Float32Array.from(values[k]!);
      if (shift?.name === k)
        for (let i = 0; i < v.length; i++) v[i] = v[i]! + shift.sign * eps * dirs[k]![i]!;
      f[all[k]!.tensor.name] = toOrt('float32', v, all[k]!.shape);
    }
    return f;
  };
  const res = await withGrads.run(feed());
  const analytic: Record<string, number> = {};
  const numeric: Record<string, number> = {};
  for (const [i, k] of names.entries()) {
    analytic[k] = Number(res[`d${i}`]!.data[0]);
    const central = async (h: number) => {
      const up = Number((await lossOnly.run(feed({ name: k, sign: h }))).loss!.data[0]);
      const down = Number((await lossOnly.run(feed({ name: k, sign: -h }))).loss!.data[0]);
      return (up - down) / (2 * h * eps);
    };
    // Richardson extrapolation of two central differences cancels the O(ε²) truncation term,
    // which float32 forces us to keep large (small steps drown in rounding).
    const d1 = await central(1);
    const dHalf = await central(0.5);
    numeric[k] = (4 * dHalf - d1) / 3;
  }
  await withGrads.release();
  await lossOnly.release();
  const scale = Math.max(...Object.values(numeric).map(Math.abs));
  const errs: Record<string, number> = {};
  if (process.env['DIFFST_GRAD_DEBUG']) for (const k of names) console.log(k, analytic[k], numeric[k]);
  for (const k of names)
    errs[k] =
      Math.abs(analytic[k]! - numeric[k]!) /
      Math.max(Math.abs(analytic[k]!), Math.abs(numeric[k]!), 1e-2 * scale);
  return errs;
}

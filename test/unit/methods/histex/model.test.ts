/**
 * The graph is the paper's maths: HISTEX's forward (two BCA layers, masked padding, concat, affine
 * head, ELU₀.₀₁ + 0.01) and the iStar MLP, run through ONNX Runtime in float32 (Elu and LeakyRelu have no float64 CPU kernel), equal an independent
 * plain-TypeScript implementation on small random weights; the folded head equals the unfolded one.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../../../main/engine/onnx/graph';
import { initParams } from '../../../../main/engine/onnx/init';
import { createSession, toOrt } from '../../../../main/engine/onnx/session';
import { foldHead, medianOf } from '../../../../main/engine/methods/histex/pipeline';
import { TrainSession } from '../../../../main/engine/onnx/train-session';
import {
  histexDefinition,
  histexForward,
  resolvedOptions,
  type HistexModelOptions,
} from '../../../../models/histex';
import { referenceHistex, referenceIstar } from './reference';

const B = 2;
const n = 6;
const F = 7;
const G = 5;
const k = 3;

function rand(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
}

async function runGraph(opts: HistexModelOptions, seed: number) {
  const o = resolvedOptions({ ...opts, dtype: 'float32' });
  const g = new Graph('float32');
  const his = g.input('his', [B, n, F]);
  const gene = o.arch === 'istar' ? null : g.input('gene', [B, k, G]);
  const bag = g.input('bag', [B, n]);
  const { pred, z } = histexForward(g, o, his, gene, bag);
  const params = initParams([...g.params.values()], seed, 'float32');
  // larger weights than the init so every nonlinearity is exercised
  for (const v of params.values()) for (let i = 0; i < v.length; i++) v[i] = v[i]! * 3;
  const bytes = g.toModel({ outputs: { pred, z }, paramValues: params });
  const { session } = await createSession(bytes, { provider: 'cpu' });
  const r = rand(seed + 7);
  const hisD = Float32Array.from({ length: B * n * F }, () => r() * 2);
  const geneD = Float32Array.from({ length: B * k * G }, () => r() + 0.5);
  const mask = Float32Array.from({ length: B * n }, (_, i) => (i % n < n - (i < n ? 0 : 2) ? 1 : 0));
  const feeds: Record<string, ReturnType<typeof toOrt>> = {
    his: toOrt('float32', hisD, [B, n, F]),
    bag: toOrt('float32', mask, [B, n]),
  };
  if (gene) feeds['gene'] = toOrt('float32', geneD, [B, k, G]);
  const out = await session.run(feeds);
  await session.release();
  return {
    o,
    params,
    hisD,
    geneD,
    mask,
    pred: out['pred']!.data as Float32Array,
    z: out['z']!.data as Float32Array,
  };
}

/** float32 graph against the float64 reference: relative 1e-4 (weights ×3 make values of order 10³) */
function close(a: number | undefined, b: number) {
  expect(Math.abs((a ?? NaN) - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b)));
}

const rows = (d: ArrayLike<number>, b: number, len: number, w: number) =>
  Array.from({ length: len }, (_, i) => Array.from({ length: w }, (_, j) => d[(b * len + i) * w + j]!));

describe('HISTEX graph = the equations', () => {
  // The folded head brackets the chain at its cheapest width: these widths put the split after the
  // first layer ([2, …]), in the middle ([12, 2, …]) and nowhere (the whole head as one matrix).
  const cases = [
    { scale: 'code', fold: false, head: [12, 8, 8, 8] },
    { scale: 'paper', fold: false, head: [12, 8, 8, 8] },
    { scale: 'code', fold: true, head: [12, 8, 8, 8] },
    { scale: 'paper', fold: true, head: [12, 8, 8, 8] },
    { scale: 'code', fold: true, head: [2, 8, 8, 8] },
    { scale: 'code', fold: true, head: [12, 2, 8, 8] },
  ] as const;
  for (const { scale, fold: foldHeadInGraph, head } of cases)
    it(`forward (scale ${scale}, head ${head.join('-')} ${foldHeadInGraph ? 'folded' : 'layered'}) matches plain TypeScript, with padding`, async () => {
      const opts: HistexModelOptions = {
        features: F,
        genes: G,
        tokens: n,
        geneTokens: k,
        dim: 16,
        heads: 4,
        head,
        scale,
        foldHead: foldHeadInGraph,
      };
      const r = await runGraph(opts, 3);
      const sc = scale === 'code' ? 1 / Math.sqrt(4) : 1 / Math.sqrt(16 / 4);
      for (let b = 0; b < B; b++) {
        const m = Array.from(r.mask.subarray(b * n, (b + 1) * n));
        const ref = referenceHistex(r.params, rows(r.hisD, b, n, F), rows(r.geneD, b, k, G), m, {
          heads: 4,
          scale: sc,
          headLayers: 4,
        });
        for (let i = 0; i < n; i++) {
          if (!m[i]) continue; // padded tokens are never read
          for (let j = 0; j < G; j++) close(r.pred[(b * n + i) * G + j], ref.pred[i]![j]!);
          for (let j = 0; j < 16; j++) close(r.z[(b * n + i) * 16 + j], ref.z[i]![j]!);
        }
      }
      // outputs are ≥ 0 (ELU₀.₀₁ ≥ −0.01)
      for (const v of r.pred) expect(v).toBeGreaterThanOrEqual(0);
    });

  it("the folded head has the layered head's gradients (one SGD step, every bracketing)", async () => {
    const rows = 3;
    const r = rand(5);
    const feeds = {
      his: toOrt(
        'float32',
        Float32Array.from({ length: rows * n * F }, () => r() * 2),
        [rows, n, F],
      ),
      gene: toOrt(
        'float32',
        Float32Array.from({ length: rows * k * G }, () => r() + 0.5),
        [rows, k, G],
      ),
      bag: toOrt(
        'float32',
        Float32Array.from({ length: rows * n }, (_, i) => (i % n < 4 ? 1 : 0)),
        [rows, n],
      ),
      y: toOrt(
        'float32',
        Float32Array.from({ length: rows * G }, () => r() + 0.5),
        [rows, G],
      ),
      mask: toOrt('float32', Float32Array.of(1, 1, 0), [rows, 1]),
    };
    for (const head of [
      [12, 8, 8, 8],
      [2, 8, 8, 8],
      [12, 2, 8, 8],
    ]) {
      const def = (foldHead: boolean) =>
        histexDefinition({
          features: F,
          genes: G,
          tokens: n,
          geneTokens: k,
          dim: 8,
          heads: 2,
          head,
          foldHead,
        });
      const cfg = { batchSize: rows, optimizer: { kind: 'sgd' as const } };
      const layered = await TrainSession.create(def(false), cfg, { seed: 3 });
      const initial = new Map([...layered.paramValues()].map(([name, v]) => [name, Float32Array.from(v)]));
      const folded = await TrainSession.create(def(true), cfg, { seed: 3, initial });
      // lr = 1: p' = p − ∇p, so the difference of the updated parameters is the difference of gradients
      await layered.step(feeds, 1);
      await folded.step(feeds, 1);
      const a = layered.paramValues();
      let compared = 0;
      for (const [name, v] of folded.paramValues()) {
        const want = a.get(name)!;
        const p0 = initial.get(name)!;
        const scale = Math.max(1e-3, ...Array.from(want, (x, i) => Math.abs(x - p0[i]!)));
        for (let i = 0; i < v.length; i++)
          expect(Math.abs(v[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
        compared++;
      }
      expect(compared).toBe(a.size);
      await layered.release();
      await folded.release();
    }
  });

  it('padding does not change the real tokens (masked keys)', async () => {
    const opts: HistexModelOptions = {
      features: F,
      genes: G,
      tokens: n,
      geneTokens: k,
      dim: 8,
      heads: 2,
      head: [6, 4, 4, 4],
    };
    const a = await runGraph(opts, 5);
    // sample 1 has 2 padded tokens: recompute it by the reference on its 4 real tokens only
    const m = Array.from(a.mask.subarray(n, 2 * n));
    const real = m.filter(Boolean).length;
    const ref = referenceHistex(
      a.params,
      rows(a.hisD, 1, n, F).slice(0, real),
      rows(a.geneD, 1, k, G),
      m.slice(0, real),
      {
        heads: 2,
        scale: 1 / Math.sqrt(2),
        headLayers: 4,
      },
    );
    for (let i = 0; i < real; i++)
      for (let j = 0; j < G; j++) close(a.pred[(n + i) * G + j], ref.pred[i]![j]!);
  });

  it('iStar ablation (without BCA) is the pointwise MLP of §6.2', async () => {
    const r = await runGraph({ features: F, genes: G, tokens: n, geneTokens: k, arch: 'istar' }, 4);
    const ref = referenceIstar(r.params, rows(r.hisD, 0, n, F));
    for (let i = 0; i < n; i++) for (let j = 0; j < G; j++) close(r.pred[i * G + j], ref.pred[i]![j]!);
  });

  it('latent → gene folding equals the unfolded head', async () => {
    const opts: HistexModelOptions = {
      features: F,
      genes: G,
      tokens: n,
      geneTokens: k,
      dim: 16,
      heads: 4,
      foldHead: false,
    };
    const r = await runGraph(opts, 11);
    const h = foldHead(r.o, r.params);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < G; j++) {
        let v = h.b[j]!;
        for (let q = 0; q < 16; q++) v += r.z[t * 16 + q]! * h.w[q * G + j]!;
        for (let q = 0; q < F; q++) v += r.hisD[t * F + q]! * h.w[(16 + q) * G + j]!;
        const out = (v > 0 ? v : 0.01 * Math.expm1(v)) + 0.01;
        close(out, r.pred[t * G + j]!);
      }
    }
  });

  it('ensemble median per element (odd and even counts)', () => {
    const a = [Float32Array.of(1, 5, 3), Float32Array.of(2, 4, 9), Float32Array.of(3, 6, -1)];
    expect(Array.from(medianOf(a))).toEqual([2, 5, 3]);
    expect(Array.from(medianOf(a.slice(0, 2)))).toEqual([1.5, 4.5, 6]);
  });
});

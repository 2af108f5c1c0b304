/**
 * Whole models trained by the engine against references computed here from first principles:
 * a linear model against gradient descent done by hand and the closed-form least-squares solution,
 * a tanh MLP against hand-written backprop, and HISTEX's cross-attention block against a teacher
 * of the same architecture (the optimum, loss 0, is known).
 */
import { describe, expect, it } from 'vitest';
import {
  arrayDataset,
  buildInference,
  createSession,
  init,
  initParams,
  modelParams,
  mseLoss,
  l1Loss,
  charbonnierLoss,
  Rng,
  toOrt,
  train,
  type ModelDefinition,
} from '../../../main/engine/onnx';
import { linear } from '../../../models/layers';
import { crossAttention } from '../../../models/cross-attention';
import { awayFromZero, gradCheck } from './gradcheck';

const cpu1 = { provider: 'cpu' as const, threads: 1 };

/** Solves A x = b by Gaussian elimination with partial pivoting (small dense systems). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

describe('linear least squares', () => {
  const N = 40;
  const F = 3;
  const rng = new Rng(3);
  const X = Array.from({ length: N * F }, () => rng.uniform(-1, 1));
  const y = Array.from(
    { length: N },
    (_, i) => 0.7 * X[i * F]! - 1.2 * X[i * F + 1]! + 0.3 * X[i * F + 2]! + 0.5 + 0.1 * rng.normal(),
  );
  const model: ModelDefinition = {
    name: 'linreg',
    dtype: 'float64',
    inputs: { x: { shape: [F] } },
    targets: { y: { shape: [1] } },
    forward: (g, i) => ({
      y: linear(g, 'fc', i.x!, 1, { weightInit: init.zeros(), biasInit: init.zeros() }),
    }),
    loss: (g, o, t, mask) => mseLoss(g, o.y!, t.y!, mask),
  };

  it('follows hand-computed gradient descent step by step and reaches the closed-form fit', async () => {
    const losses: number[] = [];
    const steps = 300;
    const lr = 0.1;
    const result = await train({
      model,
      train: arrayDataset({
        x: { data: Float64Array.from(X), rowSize: F },
        y: { data: Float64Array.from(y), rowSize: 1 },
      }),
      batchSize: N,
      epochs: steps,
      seed: 1,
      shuffle: false,
      optimizer: { kind: 'sgd' },
      lr: { kind: 'constant', lr },
      onProgress: (u) => {
        if (u.metrics?.gradNorm !== undefined) losses.push(u.metrics.loss as number);
      },
      session: cpu1,
    });
    // Reference: GD on mean squared error, gradient 2/N·Xᵀr, in plain float64 JS.
    let w = [0, 0, 0];
    let b = 0;
    for (let s = 0; s < steps; s++) {
      const r = y.map((yi, i) => w[0]! * X[i * F]! + w[1]! * X[i * F + 1]! + w[2]! * X[i * F + 2]! + b - yi);
      const loss = r.reduce((a, v) => a + v * v, 0) / N;
      expect(Math.abs(losses[s]! - loss)).toBeLessThanOrEqual(1e-10 * loss);
      w = w.map((wk, k) => wk - (lr * 2 * r.reduce((a, v, i) => a + v * X[i * F + k]!, 0)) / N);
      b -= (lr * 2 * r.reduce((a, v) => a + v, 0)) / N;
    }
    // Closed form: normal equations with an intercept column.
    const A = Array.from({ length: F + 1 }, (_, p) =>
      Array.from({ length: F + 1 }, (_, q) => {
        let s = 0;
        for (let i = 0; i < N; i++) s += (p < F ? X[i * F + p]! : 1) * (q < F ? X[i * F + q]! : 1);
        return s;
      }),
    );
    const rhs = Array.from({ length: F + 1 }, (_, p) =>
      y.reduce((a, yi, i) => a + (p < F ? X[i * F + p]! : 1) * yi, 0),
    );
    const exact = solve(A, rhs);
    const trained = [...result.params.get('fc/w')!, ...result.params.get('fc/b')!];
    trained.forEach((v, k) => expect(Math.abs(v - exact[k]!)).toBeLessThan(1e-6));
  });
});

describe('tanh MLP', () => {
  it('reproduces the loss curve of hand-written backprop', async () => {
    const [N, F, H] = [16, 3, 5];
    const rng = new Rng(11);
    const X = Array.from({ length: N * F }, () => rng.uniform(-1, 1));
    const y = Array.from({ length: N }, (_, i) => Math.sin(2 * X[i * F]!) + X[i * F + 1]! * X[i * F + 2]!);
    const model: ModelDefinition = {
      name: 'mlp',
      dtype: 'float64',
      inputs: { x: { shape: [F] } },
      targets: { y: { shape: [1] } },
      forward: (g, i) => ({ y: linear(g, 'l2', g.tanh(linear(g, 'l1', i.x!, H)), 1) }),
      loss: (g, o, t, mask) => mseLoss(g, o.y!, t.y!, mask),
    };
    const init0 = initParams(modelParams(model), 5, 'float64');
    const losses: number[] = [];
    await train({
      model,
      train: arrayDataset({
        x: { data: Float64Array.from(X), rowSize: F },
        y: { data: Float64Array.from(y), rowSize: 1 },
      }),
      batchSize: N,
      epochs: 30,
      seed: 5,
      shuffle: false,
      optimizer: { kind: 'sgd' },
      lr: { kind: 'constant', lr: 0.2 },
      onProgress: (u) => {
        if (u.metrics?.gradNorm !== undefined) losses.push(u.metrics.loss as number);
      },
      session: cpu1,
    });
    const W1 = Array.from(init0.get('l1/w')!); // [F, H]
    const b1 = Array.from(init0.get('l1/b')!);
    const W2 = Array.from(init0.get('l2/w')!); // [H, 1]
    let b2 = init0.get('l2/b')![0]!;
    for (let s = 0; s < 30; s++) {
      const gW1 = new Array<number>(F * H).fill(0);
      const gb1 = new Array<number>(H).fill(0);
      const gW2 = new Array<number>(H).fill(0);
      let gb2 = 0;
      let loss = 0;
      for (let i = 0; i < N; i++) {
        const h = b1.map((bj, j) =>
          Math.tanh(bj + [0, 1, 2].reduce((a, k) => a + X[i * F + k]! * W1[k * H + j]!, 0)),
        );
        const out = b2 + h.reduce((a, hj, j) => a + hj * W2[j]!, 0);
        const r = out - y[i]!;
        loss += (r * r) / N;
        const dOut = (2 * r) / N;
        gb2 += dOut;
        h.forEach((hj, j) => {
          gW2[j]! += dOut * hj;
          const dPre = dOut * W2[j]! * (1 - hj * hj);
          gb1[j]! += dPre;
          for (let k = 0; k < F; k++) gW1[k * H + j]! += dPre * X[i * F + k]!;
        });
      }
      expect(Math.abs(losses[s]! - loss)).toBeLessThanOrEqual(1e-10 * loss);
      W1.forEach((_, k) => (W1[k]! -= 0.2 * gW1[k]!));
      b1.forEach((_, k) => (b1[k]! -= 0.2 * gb1[k]!));
      W2.forEach((_, k) => (W2[k]! -= 0.2 * gW2[k]!));
      b2 -= 0.2 * gb2;
    }
    expect(losses[29]!).toBeLessThan(losses[0]! * 0.5);
  });
});

describe('cross-attention block', () => {
  const dims = { n1: 3, n2: 2, dq: 3, dkv: 2, dim: 4, heads: 2 };
  const attentionModel = (name: string): ModelDefinition => ({
    name,
    dtype: 'float64',
    inputs: { a: { shape: [dims.n1, dims.dq] }, b: { shape: [dims.n2, dims.dkv] } },
    targets: { y: { shape: [dims.n1, dims.dim] } },
    forward: (g, i) => ({ y: crossAttention(g, 'ca', i.a!, i.b!, { dim: dims.dim, heads: dims.heads }) }),
    // mask [B,1] → [B,1,1] to weight whole samples.
    loss: (g, o, t, mask) => mseLoss(g, o.y!, t.y!, g.unsqueeze(mask, [2])),
  });

  it('has gradients that match central differences for every parameter and input (float64)', async () => {
    const r = await gradCheck(
      'float64',
      { a: { shape: [2, dims.n1, dims.dq] }, b: { shape: [2, dims.n2, dims.dkv] } },
      (g, x) => crossAttention(g, 'ca', x.a!, x.b!, { dim: dims.dim, heads: dims.heads }),
    );
    expect(r.maxRelErr).toBeLessThanOrEqual(1e-4);
  });

  it('learns a teacher of the same architecture down to the known optimum (loss 0)', async () => {
    const N = 32;
    const rng = new Rng(21);
    const A = Float64Array.from({ length: N * dims.n1 * dims.dq }, () => rng.uniform(-1, 1));
    const B = Float64Array.from({ length: N * dims.n2 * dims.dkv }, () => rng.uniform(-1, 1));
    const model = attentionModel('attention');
    const teacher = initParams(modelParams(model), 99, 'float64');
    const { session } = await createSession(buildInference(model, teacher).bytes, cpu1);
    const Y = (
      await session.run({
        a: toOrt('float64', A, [N, dims.n1, dims.dq]),
        b: toOrt('float64', B, [N, dims.n2, dims.dkv]),
      })
    ).y!.data as Float64Array;
    await session.release();
    const losses: number[] = [];
    await train({
      model,
      train: arrayDataset({
        a: { data: A, rowSize: dims.n1 * dims.dq },
        b: { data: B, rowSize: dims.n2 * dims.dkv },
        y: { data: Y, rowSize: dims.n1 * dims.dim },
      }),
      batchSize: N,
      epochs: 1500,
      seed: 1,
      optimizer: { kind: 'adam' },
      lr: { kind: 'cosine', lr: 0.02, minLr: 0.001 },
      onProgress: (u) => {
        if (u.metrics?.gradNorm !== undefined) losses.push(u.metrics.loss as number);
      },
      session: cpu1,
    });
    expect(losses[losses.length - 1]!).toBeLessThan(1e-3 * losses[0]!);
  });
});

describe('losses', () => {
  it('masked means ignore padded rows', async () => {
    const model = (kind: 'mse' | 'l1' | 'charb'): ModelDefinition => ({
      name: kind,
      dtype: 'float64',
      inputs: { x: { shape: [2] } },
      targets: { y: { shape: [2] } },
      forward: (_g, i) => ({ p: i.x! }),
      loss: (g, o, t, m) =>
        kind === 'mse'
          ? mseLoss(g, o.p!, t.y!, m)
          : kind === 'l1'
            ? l1Loss(g, o.p!, t.y!, m)
            : charbonnierLoss(g, o.p!, t.y!, m, 0.1),
    });
    const { buildEvalModel } = await import('../../../main/engine/onnx');
    const x = [1, 2, 3, -1, 100, 100];
    const y = [0, 0, 1, 1, 0, 0];
    const mask = [1, 1, 0];
    const d = [1, 2, 2, -2];
    const expected = {
      mse: d.reduce((a, v) => a + v * v, 0) / 4,
      l1: d.reduce((a, v) => a + Math.abs(v), 0) / 4,
      charb: d.reduce((a, v) => a + Math.sqrt(v * v + 0.01), 0) / 4,
    };
    for (const kind of ['mse', 'l1', 'charb'] as const) {
      const { session } = await createSession(buildEvalModel(model(kind), 3).bytes, cpu1);
      const out = await session.run({
        x: toOrt('float64', Float64Array.from(x), [3, 2]),
        y: toOrt('float64', Float64Array.from(y), [3, 2]),
        mask: toOrt('float64', Float64Array.from(mask), [3, 1]),
      });
      expect(out.loss!.data[0]).toBeCloseTo(expected[kind], 12);
      await session.release();
    }
  });

  for (const [name, fn] of [
    ['MSE', mseLoss],
    ['L1 (residuals away from 0)', l1Loss],
    ['Charbonnier', charbonnierLoss],
  ] as const) {
    it(`${name} gradient matches central differences`, async () => {
      const r = await gradCheck(
        'float64',
        {
          p: { shape: [3, 2], gen: awayFromZero(0.2, 1) },
          m: { shape: [3, 1], data: [1, 0, 1], diff: false },
        },
        (g, x) => fn(g, x.p!, g.constant([0, 0, 0, 0, 0, 0], [3, 2]), x.m!),
      );
      expect(r.maxRelErr).toBeLessThanOrEqual(1e-4);
    });
  }
});

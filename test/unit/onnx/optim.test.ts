/** Optimizer graphs against hand-computed updates (PyTorch's formulas, in float64 JS). */
import { describe, expect, it } from 'vitest';
import {
  init,
  TrainSession,
  toOrt,
  type ModelDefinition,
  type OptimizerConfig,
  type OrtTensor,
} from '../../../main/engine/onnx';

const W0 = [0.5, -1, 2];
const TARGET = [1, 0, -1];

/** loss = ½‖w − t‖², so the gradient is exactly w − t. */
function quadratic(dtype: 'float32' | 'float64'): ModelDefinition {
  return {
    name: 'quadratic',
    dtype,
    inputs: {},
    targets: { t: { shape: [3] } },
    forward: (g) => ({ w: g.param('w', [3], init.values(W0)) }),
    loss: (g, out, tg) => g.mul(g.reduceSum(g.square(g.sub(out.w!, tg.t!))), 0.5),
  };
}

function feeds(dtype: 'float32' | 'float64'): Record<string, OrtTensor> {
  const arr = (v: number[]) => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));
  return { t: toOrt(dtype, arr(TARGET), [1, 3]), mask: toOrt(dtype, arr([1]), [1, 1]) };
}

/** Reference Adam/AdamW exactly as PyTorch documents them. */
function handAdam(steps: number, lr: number, wd: number, decoupled: boolean): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  let w = [...W0];
  let m = [0, 0, 0];
  let v = [0, 0, 0];
  for (let t = 1; t <= steps; t++) {
    let g = w.map((wi, i) => wi - (TARGET[i] as number));
    if (!decoupled) g = g.map((gi, i) => gi + wd * (w[i] as number));
    m = m.map((mi, i) => b1 * mi + (1 - b1) * (g[i] as number));
    v = v.map((vi, i) => b2 * vi + (1 - b2) * (g[i] as number) ** 2);
    const wDecayed = decoupled ? w.map((wi) => wi * (1 - lr * wd)) : w;
    w = wDecayed.map(
      (wi, i) =>
        wi - (lr * ((m[i] as number) / (1 - b1 ** t))) / (Math.sqrt((v[i] as number) / (1 - b2 ** t)) + eps),
    );
  }
  return w;
}

async function runSteps(
  dtype: 'float32' | 'float64',
  optimizer: OptimizerConfig,
  steps: number,
  lr: number,
  clipNorm?: number,
) {
  const cfg = clipNorm === undefined ? { batchSize: 1, optimizer } : { batchSize: 1, optimizer, clipNorm };
  const s = await TrainSession.create(quadratic(dtype), cfg, {
    seed: 1,
    session: { provider: 'cpu', threads: 1 },
  });
  const norms: number[] = [];
  for (let i = 0; i < steps; i++) norms.push((await s.step(feeds(dtype), lr)).gradNorm);
  const w = Array.from(s.paramValues().get('w') as Float64Array);
  await s.release();
  return { w, norms };
}

const close = (a: number[], b: number[], rel: number) =>
  a.forEach((x, i) =>
    expect(Math.abs(x - (b[i] as number))).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b[i] as number))),
  );

describe('optimizer steps match hand computation', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`Adam, 3 steps (${dtype})`, async () => {
      const { w } = await runSteps(dtype, { kind: 'adam' }, 3, 0.1);
      close(w, handAdam(3, 0.1, 0, false), 1e-6);
    });
    it(`Adam with coupled L2 weight decay (${dtype})`, async () => {
      const { w } = await runSteps(dtype, { kind: 'adam', weightDecay: 0.1 }, 3, 0.1);
      close(w, handAdam(3, 0.1, 0.1, false), 1e-6);
    });
    it(`AdamW with decoupled weight decay (${dtype})`, async () => {
      const { w } = await runSteps(dtype, { kind: 'adamw', weightDecay: 0.05 }, 4, 0.1);
      close(w, handAdam(4, 0.1, 0.05, true), 1e-6);
      // Decay must have made a difference, or the test would not tell AdamW from Adam.
      expect(Math.abs((w[2] as number) - (handAdam(4, 0.1, 0, false)[2] as number))).toBeGreaterThan(1e-4);
    });
  }

  it('SGD with momentum', async () => {
    const { w } = await runSteps('float64', { kind: 'sgd', momentum: 0.9 }, 2, 0.1);
    let wr = [...W0];
    let buf = [0, 0, 0];
    for (let t = 0; t < 2; t++) {
      const g = wr.map((wi, i) => wi - (TARGET[i] as number));
      buf = buf.map((b, i) => 0.9 * b + (g[i] as number));
      wr = wr.map((wi, i) => wi - 0.1 * (buf[i] as number));
    }
    close(w, wr, 1e-12);
  });

  it('clips by global norm before the update and reports the raw norm', async () => {
    const { w, norms } = await runSteps('float64', { kind: 'sgd' }, 1, 1, 0.1);
    const g = W0.map((wi, i) => wi - (TARGET[i] as number));
    const norm = Math.hypot(...g);
    expect(norms[0]).toBeCloseTo(norm, 12);
    close(
      w,
      W0.map((wi, i) => wi - (0.1 * (g[i] as number)) / norm),
      1e-12,
    );
  });
});

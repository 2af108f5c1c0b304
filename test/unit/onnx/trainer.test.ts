import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  arrayDataset,
  checkpointPath,
  createSession,
  exportOnnx,
  init,
  learningRate,
  mseLoss,
  toOrt,
  train,
  type FloatArray,
  type ModelDefinition,
} from '../../../main/engine/onnx';
import { readArrayFile } from '../../../main/engine/store/array-file';
import { makeTempDir } from '../../helpers/tmp';
import { linear } from '../../../models/layers';
import { resumeOptions, TOTAL_STEPS } from './fixtures/resume-config';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});
function tmp(): string {
  const t = makeTempDir('stsr-onnx-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function bytesOf(params: Map<string, FloatArray>): Map<string, Buffer> {
  return new Map([...params].map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]));
}

function expectBitwiseEqual(a: Map<string, FloatArray>, b: Map<string, FloatArray>): void {
  const ba = bytesOf(a);
  const bb = bytesOf(b);
  expect([...ba.keys()].sort()).toEqual([...bb.keys()].sort());
  for (const [k, v] of ba) expect(v.equals(bb.get(k) as Buffer), k).toBe(true);
}

describe('learning-rate schedules', () => {
  it('computes constant, step and warm-up + cosine rates', () => {
    expect(learningRate({ kind: 'constant', lr: 0.1 }, 50, 100)).toBe(0.1);
    expect(learningRate({ kind: 'step', lr: 1, every: 10, gamma: 0.5 }, 25, 100)).toBe(0.25);
    const cos = { kind: 'cosine', lr: 1, minLr: 0.1, warmup: 4 } as const;
    expect(learningRate(cos, 0, 104)).toBe(0.25);
    expect(learningRate(cos, 3, 104)).toBe(1);
    expect(learningRate(cos, 4, 104)).toBeCloseTo(1, 12);
    expect(learningRate(cos, 103, 104)).toBeCloseTo(0.1, 12);
    expect(learningRate(cos, 4 + 99 / 2, 104)).toBeCloseTo(0.55, 12);
  });
});

describe('checkpoints and resume', () => {
  it('resumes after a cancel to the same parameters bit for bit', async () => {
    const reference = await train(resumeOptions(tmp()));
    const dir = tmp();
    const abort = new AbortController();
    await expect(
      train({
        ...resumeOptions(dir),
        signal: abort.signal,
        onProgress: (u) => {
          if (u.metrics?.step === 11) abort.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    const resumed = await train(resumeOptions(dir));
    expect(resumed.resumedFromStep).toBe(11);
    expect(resumed.steps).toBe(TOTAL_STEPS);
    expectBitwiseEqual(resumed.params, reference.params);
    expect(resumed.history).toEqual(reference.history);
  });

  it('resumes after SIGKILL of the training process to the same parameters bit for bit', async () => {
    const dir = tmp();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'train-child.ts'), dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const file = checkpointPath(dir);
    const deadline = Date.now() + 60_000;
    while (!existsSync(file) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(out).not.toContain('finished');
    const meta = readArrayFile(file).meta as { updates: number };
    expect(meta.updates).toBeGreaterThan(0);
    expect(meta.updates).toBeLessThan(TOTAL_STEPS);

    const resumed = await train(resumeOptions(dir));
    expect(resumed.resumedFromStep).toBe(meta.updates);
    const reference = await train(resumeOptions(tmp()));
    expectBitwiseEqual(resumed.params, reference.params);
  });

  it('refuses a checkpoint made with another configuration', async () => {
    const dir = tmp();
    await train({ ...resumeOptions(dir), epochs: 1 });
    await expect(train({ ...resumeOptions(dir), seed: 99 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

/** loss = (w − t)²: SGD walks w from 0 towards the training target 1; validation wants 0.2. */
function walker(): ModelDefinition {
  return {
    name: 'walker',
    dtype: 'float64',
    inputs: {},
    targets: { t: { shape: [1] } },
    forward: (g) => ({ w: g.param('w', [1], init.zeros()) }),
    loss: (g, o, t, mask) => mseLoss(g, g.mul(o.w!, g.constant([1], [1, 1])), t.t!, mask),
  };
}

describe('training loop', () => {
  it('stops early on a rising validation loss and restores the best parameters', async () => {
    const epochsSeen: number[] = [];
    const r = await train({
      model: walker(),
      train: arrayDataset({ t: { data: Float64Array.of(1), rowSize: 1 } }),
      validation: arrayDataset({ t: { data: Float64Array.of(0.2), rowSize: 1 } }),
      batchSize: 1,
      epochs: 50,
      seed: 1,
      optimizer: { kind: 'sgd' },
      lr: { kind: 'constant', lr: 0.1 },
      earlyStopping: { patience: 2 },
      onProgress: (u) => {
        if (u.metrics?.validationLoss !== undefined) epochsSeen.push(u.metrics.epoch as number);
      },
      session: { provider: 'cpu', threads: 1 },
    });
    // w: 0 → 0.2 → 0.36 → 0.488: validation (w − 0.2)² is best after epoch 1, worse for 2 epochs.
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(epochsSeen).toEqual([1, 2, 3]);
    expect(r.params.get('w')![0]).toBeCloseTo(0.2, 12);
    expect(r.history[0]!.validationLoss).toBeCloseTo(0, 12);
  });

  it('reports loss, step and ETA, and ends at fraction 1', async () => {
    const updates: { fraction: number; metrics?: Record<string, number> }[] = [];
    await train({
      model: walker(),
      train: arrayDataset({ t: { data: Float64Array.of(1, 1, 1), rowSize: 1 } }),
      batchSize: 2,
      epochs: 2,
      seed: 1,
      optimizer: { kind: 'sgd' },
      lr: { kind: 'constant', lr: 0.1 },
      onProgress: (u) => updates.push(u),
      session: { provider: 'cpu', threads: 1 },
    });
    const steps = updates.filter((u) => u.metrics?.step !== undefined);
    expect(steps.map((u) => u.metrics!.step)).toEqual([1, 2, 3, 4]);
    for (const u of steps) {
      expect(Number.isFinite(u.metrics!.loss)).toBe(true);
      expect(u.metrics!.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(steps.at(-1)!.metrics!.etaSeconds).toBe(0);
    expect(updates.at(-1)!.fraction).toBe(1);
  });

  it('exports a standalone ONNX model whose output equals the trained parameters applied by hand', async () => {
    const model: ModelDefinition = {
      name: 'affine',
      dtype: 'float32',
      inputs: { x: { shape: [2] } },
      targets: { y: { shape: [1] } },
      forward: (g, i) => ({ y: g.relu(linear(g, 'fc', i.x!, 1)) }),
      loss: (g, o, t, mask) => mseLoss(g, o.y!, t.y!, mask),
    };
    const r = await train({
      model,
      train: arrayDataset({
        x: { data: Float32Array.of(1, 2, 3, 4, -1, 0), rowSize: 2 },
        y: { data: Float32Array.of(1, 2, 0), rowSize: 1 },
      }),
      batchSize: 2,
      epochs: 3,
      seed: 4,
      optimizer: { kind: 'adam' },
      lr: { kind: 'constant', lr: 0.05 },
      session: { provider: 'cpu', threads: 1 },
    });
    const path = join(tmp(), 'model.onnx');
    exportOnnx(model, r.params, path);
    const { session } = await createSession(new Uint8Array(readFileSync(path)), {
      provider: 'cpu',
      threads: 1,
    });
    expect(session.inputNames).toEqual(['x']);
    const x = Float32Array.of(0.5, -1, 2, 3, -4, 1, 0, 0, 1, 1);
    const out = (await session.run({ x: toOrt('float32', x, [5, 2]) })).y!.data as Float32Array;
    const w = r.params.get('fc/w')!;
    const b = r.params.get('fc/b')![0]!;
    for (let i = 0; i < 5; i++) {
      const expected = Math.max(0, x[2 * i]! * w[0]! + x[2 * i + 1]! * w[1]! + b);
      expect(out[i]).toBeCloseTo(expected, 5);
    }
    await session.release();
  });
});

import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import {
  Graph,
  broadcastShapes,
  buildInference,
  createSession,
  init,
  toOrt,
  type ModelDefinition,
} from '../../../main/engine/onnx';
import { sliceRange } from '../../../main/engine/onnx/graph';
import { biCrossAttention } from '../../../models/cross-attention';

const cpu1 = { provider: 'cpu' as const, threads: 1 };

describe('graph builder', () => {
  it('broadcasts shapes like numpy, symbolic dims only against themselves or 1', () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes(['batch', 5], [1, 5])).toEqual(['batch', 5]);
    expect(broadcastShapes([], [3])).toEqual([3]);
    expect(() => broadcastShapes([2, 3], [4, 3])).toThrow(/do not broadcast/);
    expect(() => broadcastShapes(['a'], ['b'])).toThrow(/do not broadcast/);
  });

  it('computes slice ranges with ONNX clamping', () => {
    expect(sliceRange(5, 1, 3, 1)).toEqual({ start: 1, count: 2 });
    expect(sliceRange(5, -4, -1, 1)).toEqual({ start: 1, count: 3 });
    expect(sliceRange(5, 0, 100, 2)).toEqual({ start: 0, count: 3 });
    expect(sliceRange(5, 4, 0, -2)).toEqual({ start: 4, count: 2 });
    expect(sliceRange(5, -1, -100, -1)).toEqual({ start: 4, count: 5 });
  });

  it('infers shapes and rejects mismatches at build time', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 4]);
    expect(g.matmul(x, g.input('w', [4, 5])).shape).toEqual([2, 3, 5]);
    expect(g.reshape(x, [0, -1]).shape).toEqual([2, 12]);
    expect(g.reduceMean(x, [1], true).shape).toEqual([2, 1, 4]);
    expect(g.transpose(x, [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(g.slice(x, [1], [3], [2]).shape).toEqual([2, 3, 2]);
    expect(
      g.conv(g.input('img', [1, 3, 8, 8]), g.input('k', [4, 3, 3, 3]), null, {
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      }).shape,
    ).toEqual([1, 4, 4, 4]);
    expect(() => g.matmul(x, g.input('bad', [5, 2]))).toThrow(/inner sizes differ/);
    expect(() => g.reshape(x, [5, -1])).toThrow(/cannot reshape/);
    expect(() => g.input('x', [1])).toThrow(/already used/);
  });

  it('scopes parameter names and refuses duplicates', () => {
    const g = new Graph();
    const w = g.scope('enc', () => g.scope('l1', () => g.param('w', [2, 2], init.zeros())));
    expect(w.name).toBe('p:enc/l1/w');
    expect([...g.params.keys()]).toEqual(['enc/l1/w']);
    expect(() => g.scope('enc', () => g.scope('l1', () => g.param('w', [2], init.zeros())))).toThrow(
      /declared twice/,
    );
  });

  it('serialises only what the outputs need, at opset 21', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    g.exp(x); // dead branch
    const y = g.add(g.mul(x, 2), 1);
    const model = onnxProto.onnx.ModelProto.decode(g.toModel({ outputs: { y } }));
    expect(Number(model.opsetImport[0]?.version)).toBe(21);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['Mul', 'Add']);
    expect(model.graph?.output?.map((o) => o.name)).toEqual(['y']);
  });

  it('exports a model with a symbolic batch that runs at any batch size', async () => {
    const def: ModelDefinition = {
      name: 'bca',
      dtype: 'float32',
      inputs: { a: { shape: [4, 6] }, b: { shape: [2, 5] } },
      targets: {},
      forward: (g, i) => ({ z: biCrossAttention(g, 'bca', i.a!, i.b!, { dim: 8, heads: 2 }) }),
      loss: (g, o) => g.reduceMean(o.z!),
    };
    const built = buildInference(def, null);
    expect(built.dataInputs.find((d) => d.name === 'a')?.dims).toEqual([-1, 4, 6]);
    const { initParams } = await import('../../../main/engine/onnx');
    const values = initParams(built.params, 3, 'float32');
    const { session } = await createSession(buildInference(def, values).bytes, cpu1);
    for (const batch of [1, 3]) {
      const out = await session.run({
        a: toOrt('float32', new Float32Array(batch * 24).fill(0.5), [batch, 4, 6]),
        b: toOrt('float32', new Float32Array(batch * 10).fill(-0.25), [batch, 2, 5]),
      });
      expect(out.z!.dims).toEqual([batch, 4, 8]);
      expect(Array.from(out.z!.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    await session.release();
  });
});

import { describe, expect, it } from 'vitest';
import { Rng, initParams, initValues, init, shuffledIndices, hashString } from '../../../main/engine/onnx';

describe('seeded initialisation', () => {
  it('repeats a sequence for a seed and resumes from a saved state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    const saved = a.state;
    const next = a.random();
    expect(new Rng(saved).random()).toBe(next);
    expect(new Rng(43).nextUint32()).not.toBe(first[0]);
  });

  it('one generator for the engine: the values the separate onnx generator gave before the merge', () => {
    // recorded from the former onnx/init.ts Rng (xoshiro128** seeded by splitmix32), so models
    // initialise and shuffle exactly as before
    const a = new Rng(42);
    expect(Array.from({ length: 3 }, () => a.nextUint32())).toEqual([2837322924, 544945897, 479756282]);
    expect(initValues(init.normal(1), 3, new Rng(3))).toEqual([
      -1.1828885738527188, 0.7897999051396406, 1.0409593095696426,
    ]);
    expect(shuffledIndices(8, new Rng(5))).toEqual([5, 0, 1, 7, 3, 2, 4, 6]);
  });

  it('draws uniforms in [0,1) and normals with the right moments', () => {
    const r = new Rng(7);
    const n = 20000;
    const u = Array.from({ length: n }, () => r.random());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / n - 0.5)).toBeLessThan(0.01);
    const z = Array.from({ length: n }, () => r.normal());
    const mean = z.reduce((s, v) => s + v, 0) / n;
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('implements the schemes with their documented bounds and spreads', () => {
    const r = new Rng(1);
    const xu = initValues(init.xavierUniform(30, 20), 5000, r);
    const bound = Math.sqrt(6 / 50);
    expect(Math.max(...xu.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...xu.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    const kn = initValues(init.kaimingNormal(50), 20000, r);
    const sd = Math.sqrt(kn.reduce((s, v) => s + v * v, 0) / kn.length);
    expect(Math.abs(sd - Math.SQRT2 / Math.sqrt(50))).toBeLessThan(0.01);
    const ku = initValues(init.kaimingUniform(12), 5000, r);
    expect(Math.max(...ku.map(Math.abs))).toBeLessThanOrEqual(Math.SQRT2 * Math.sqrt(3 / 12));
    expect(initValues(init.zeros(), 3, r)).toEqual([0, 0, 0]);
    expect(initValues(init.constant(0.5), 2, r)).toEqual([0.5, 0.5]);
    const nm = initValues(init.normal(0.02, 1), 20000, r);
    expect(Math.abs(nm.reduce((s, v) => s + v, 0) / nm.length - 1)).toBeLessThan(0.001);
  });

  it('gives each parameter its own stream, independent of the others', () => {
    const p1 = { name: 'a/w', shape: [3], init: init.normal(1) };
    const p2 = { name: 'b/w', shape: [3], init: init.normal(1) };
    const both = initParams([p1, p2], 5, 'float64');
    const alone = initParams([p2], 5, 'float64');
    expect(Array.from(alone.get('b/w')!)).toEqual(Array.from(both.get('b/w')!));
    expect(Array.from(both.get('a/w')!)).not.toEqual(Array.from(both.get('b/w')!));
    expect(hashString('a', 1)).not.toBe(hashString('a', 2));
  });

  it('shuffles to a permutation', () => {
    const p = shuffledIndices(100, new Rng(3));
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(p).not.toEqual([...Array(100).keys()]);
    expect(shuffledIndices(100, new Rng(3))).toEqual(p);
  });
});

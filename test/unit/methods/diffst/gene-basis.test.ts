/** The diffused gene directions: exact on low-rank targets, scaled into [−1, 1], identity when G ≤ k. */
import { describe, expect, it } from 'vitest';
import { decodeGenes, encodeGenes, geneBasis } from '../../../../main/engine/methods/diffst/gene-basis';

describe('Diff-ST gene basis', () => {
  // G = 5 genes over n = 6 pixels, rank 2: x_g(q) = u_g·a(q) + w_g·b(q).
  const G = 5;
  const n = 6;
  const u = [1, 2, 0, -1, 3];
  const w = [0, 1, 1, 1, -2];
  const a = [0.5, -1, 2, 0, 1, 3];
  const b = [1, 1, -0.5, 2, 0, -3];
  const x = new Float32Array(G * n);
  for (let g = 0; g < G; g++) for (let q = 0; q < n; q++) x[g * n + q] = u[g]! * a[q]! + w[g]! * b[q]!;

  it('two directions of a rank-2 target keep all of it and decode it back', () => {
    const mask = new Float32Array(n).fill(1);
    const basis = geneBasis([{ x, mask }], G, 2);
    expect(basis.k).toBe(2);
    expect(basis.kept).toBeCloseTo(1, 6);
    const z = encodeGenes(basis, x, n);
    expect(z.length).toBe(2 * n);
    expect(Math.max(...z.map(Math.abs))).toBeCloseTo(1, 5);
    const back = decodeGenes(basis, z, 0, n);
    back.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 4));
  });

  it('one direction keeps less than all, and masked pixels do not shape the basis', () => {
    const mask = new Float32Array(n).fill(1);
    expect(geneBasis([{ x, mask }], G, 1).kept).toBeLessThan(0.99);
    // Only pixels where b = 0 … none; mask all but pixel 4 (b = 0): the target there is u·a.
    const one = new Float32Array(n);
    one[4] = 1;
    const basis = geneBasis([{ x, mask: one }], G, 1);
    const norm = Math.hypot(...u);
    for (let g = 0; g < G; g++) expect(Math.abs(basis.rows![g]!)).toBeCloseTo(Math.abs(u[g]!) / norm, 5);
  });

  it('is the identity when there are no more genes than directions', () => {
    const basis = geneBasis([{ x, mask: new Float32Array(n).fill(1) }], G, 8);
    expect(basis.rows).toBeNull();
    expect(basis.k).toBe(G);
    expect(Array.from(encodeGenes(basis, x, n))).toEqual(Array.from(x));
    expect(Array.from(decodeGenes(basis, x, 0, n))).toEqual(Array.from(x));
  });
});

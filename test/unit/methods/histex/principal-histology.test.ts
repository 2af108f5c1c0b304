import { describe, expect, it } from 'vitest';
import { principalHistology, type HistexFeatures } from '../../../../main/engine/methods/histex';

/** 3 histology channels (a, 2a + small b, b) + 2 trailing channels, on a 6 × 5 grid with a tissue mask. */
function map(): HistexFeatures {
  const rows = 6;
  const cols = 5;
  const dim = 5;
  const n = rows * cols;
  const data = new Float32Array(n * dim);
  const mask = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const a = Math.sin(s * 1.3) * 3;
    const b = Math.cos(s * 0.7);
    data.set([a, 2 * a + 0.1 * b, b, s / n, 1 - s / n], s * dim);
    mask[s] = s % 7 === 3 ? 0 : 1;
  }
  return {
    grid: { originX: 0, originY: 0, sizePx: 10, width: cols, height: rows },
    dim,
    data,
    mask,
    channels: ['h0', 'h1', 'h2', 'rgb_r', 'pos_row'],
  };
}

const column = (f: HistexFeatures, c: number, tissueOnly: boolean) =>
  Array.from({ length: f.grid.height * f.grid.width }, (_, s) => s)
    .filter((s) => !tissueOnly || f.mask[s])
    .map((s) => f.data[s * f.dim + c]!);

function stats(v: number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, sd };
}

describe('principalHistology', () => {
  it('replaces the histology channels by principal components at the asked SD, keeping the rest', () => {
    const f = map();
    const out = principalHistology(f, 3, { components: 2, scale: 0.3 });
    expect(out.dim).toBe(4);
    expect(out.channels).toEqual(['his_pc1', 'his_pc2', 'rgb_r', 'pos_row']);
    for (const c of [0, 1]) {
      const { mean, sd } = stats(column(out, c, true));
      expect(mean).toBeCloseTo(0, 6);
      expect(sd).toBeCloseTo(0.3, 5);
    }
    // PC1 is the dominant direction (a, 2a): it follows a to within the small b component
    const a = column(f, 0, true);
    const pc1 = column(out, 0, true);
    const ma = stats(a).mean;
    const cov = a.reduce((s, v, i) => s + (v - ma) * pc1[i]!, 0) / (a.length - 1);
    expect(Math.abs(cov / (stats(a).sd * 0.3))).toBeGreaterThan(0.999);
    // components are uncorrelated over tissue
    const pc2 = column(out, 1, true);
    expect(Math.abs(pc1.reduce((s, v, i) => s + v * pc2[i]!, 0))).toBeLessThan(1e-4);
    // trailing channels copied exactly, background superpixels projected too
    expect(column(out, 2, false)).toEqual(column(f, 3, false));
    expect(column(out, 3, false)).toEqual(column(f, 4, false));
    expect(column(out, 0, false).every(Number.isFinite)).toBe(true);
  });
});

// maskedQuantile runs on the server's thread for every SR gene layer: it must give exactly the
// quantile of the masked finite values (checked against a plain sort), ignoring NaN and ±Infinity.
import { describe, expect, it } from 'vitest';
import { maskedQuantile } from '../../../main/engine/layers/raster';

function reference(values: ArrayLike<number>, mask: ArrayLike<number>, q: number): number {
  const v: number[] = [];
  for (let i = 0; i < values.length; i++) if (mask[i] && Number.isFinite(values[i]!)) v.push(values[i]!);
  if (v.length === 0) return 0;
  v.sort((a, b) => a - b);
  return v[Math.round(q * (v.length - 1))]!;
}

describe('maskedQuantile', () => {
  it('equals the quantile of the masked finite values', () => {
    let x = 12345;
    const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const n of [1, 2, 7, 1000, 20_001]) {
      const values = new Float32Array(n);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const r = rand();
        values[i] = r < 0.02 ? Number.NaN : r < 0.03 ? Number.POSITIVE_INFINITY : (rand() - 0.3) * 100;
        mask[i] = rand() < 0.7 ? 1 : 0;
      }
      for (const q of [0, 0.01, 0.5, 0.99, 1])
        expect(maskedQuantile(values, mask, q)).toBe(reference(values, mask, q));
    }
  });

  it('is 0 when nothing is masked in or finite', () => {
    expect(maskedQuantile([Number.NaN, 3], [1, 0], 0.5)).toBe(0);
    expect(maskedQuantile([], [], 0.99)).toBe(0);
  });
});

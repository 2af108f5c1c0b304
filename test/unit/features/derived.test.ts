import { describe, expect, it } from 'vitest';
import { parseReading, principalComponents } from '../../../main/engine/features/derived';

describe('feature readings', () => {
  it('parses GROUP:COMPONENTS lists and refuses unknown groups', () => {
    expect(parseReading('builtin')).toBeNull();
    expect(parseReading('builtin:16,nuclei:8')).toEqual([
      { group: 'builtin', components: 16 },
      { group: 'nuclei', components: 8 },
    ]);
    expect(() => parseReading('builtin:16,uni:8')).toThrow(/uni:8/);
    expect(() => parseReading('nuclei:0')).toThrow(/nuclei:0/);
  });

  it('principal components over tissue have SD `scale` on tissue', () => {
    const n = 200;
    const dim = 3;
    const data = new Float32Array(n * dim).map((_, i) => Math.sin(i * 1.7) + (i % 3) * Math.cos(i * 0.3));
    const mask = new Uint8Array(n).map((_, i) => (i < 150 ? 1 : 0));
    const pcs = principalComponents(data, n, dim, mask, 2, 0.3);
    for (let c = 0; c < 2; c++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < 150; i++) {
        s += pcs[i * 2 + c]!;
        s2 += pcs[i * 2 + c]! ** 2;
      }
      const m = s / 150;
      // pca's explained variance uses n − 1
      expect(Math.sqrt((s2 / 150 - m * m) * (150 / 149))).toBeCloseTo(0.3, 4);
      expect(Math.abs(m)).toBeLessThan(1e-4);
    }
  });
});

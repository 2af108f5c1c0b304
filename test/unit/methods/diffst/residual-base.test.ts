import { describe, expect, it } from 'vitest';
import { residualBase } from '../../../../main/engine/methods/diffst/residual-base';

// One gene, a 2×2 LR window [[0, 4], [8, 12]] → a 4×4 HR patch.
const lr = Float32Array.from([0, 4, 8, 12]);
const all = Uint8Array.from([1, 1, 1, 1]);

describe('residualBase', () => {
  it('is nothing for the map target', () => {
    expect(residualBase('map', lr, all, 1, 2)).toBeNull();
  });

  it('repeats each parent over its 2×2 children for the nearest residual', () => {
    expect(Array.from(residualBase('residual', lr, all, 1, 2)!)).toEqual([
      0, 0, 4, 4, 0, 0, 4, 4, 8, 8, 12, 12, 8, 8, 12, 12,
    ]);
  });

  it('interpolates between LR centres, by hand', () => {
    // HR pixel 1 sits at LR coordinate 0.25 (between LR 0 and 1, ¾ : ¼); HR pixel 0 at −0.25 has
    // only LR 0 inside the window, so it takes LR 0's value.
    const up = residualBase('residual-bilinear', lr, all, 1, 2)!;
    const at = (a: number, b: number) => up[a * 4 + b]!;
    expect(at(0, 0)).toBeCloseTo(0);
    expect(at(0, 1)).toBeCloseTo(1); // 0·¾ + 4·¼
    expect(at(1, 1)).toBeCloseTo(3); // rows: 0.75·(0·¾ + 4·¼) + 0.25·(8·¾ + 12·¼) = 0.75 + 2.25
    expect(at(2, 2)).toBeCloseTo(9); // 0.25·(0·¼ + 4·¾) + 0.75·(8·¼ + 12·¾) = 0.75 + 8.25
    expect(at(3, 3)).toBeCloseTo(12);
    expect(at(1, 0)).toBeCloseTo(2); // 0·¾ + 8·¼
  });

  it('keeps the block means of a linear field away from the window edge', () => {
    // a linear ramp is reproduced exactly by bilinear interpolation in the interior
    const L = 4;
    const ramp = Float32Array.from({ length: L * L }, (_, q) => 2 * Math.floor(q / L) + (q % L));
    const up = residualBase('residual-bilinear', ramp, new Uint8Array(L * L).fill(1), 1, L)!;
    const H = 2 * L;
    // HR (a, b) ↦ LR ((a − ½)/2, (b − ½)/2) → 2·(a − ½)/2 + (b − ½)/2
    for (let a = 1; a < H - 1; a++)
      for (let b = 1; b < H - 1; b++) expect(up[a * H + b]).toBeCloseTo(a - 0.5 + (b - 0.5) / 2, 5);
  });

  it('skips unmeasured LR pixels (normalised weights), and falls back to the parent', () => {
    const some = Uint8Array.from([1, 0, 1, 1]);
    const up = residualBase('residual-bilinear', lr, some, 1, 2)!;
    // HR (0, 1): taps LR 0 (w ¾) and LR 1 (w ¼, missing) → LR 0's value
    expect(up[0 * 4 + 1]).toBeCloseTo(0);
    // HR (1, 1): LR 0 ¾·¾, LR 1 missing, LR 2 ¼·¾, LR 3 ¼·¼ → (0·9 + 8·3 + 12·1) / 13
    expect(up[1 * 4 + 1]).toBeCloseTo(36 / 13);
    const none = residualBase('residual-bilinear', lr, new Uint8Array(4), 1, 2)!;
    expect(Array.from(none).slice(0, 4)).toEqual([0, 0, 4, 4]);
  });

  it('handles several genes independently', () => {
    const two = Float32Array.from([0, 4, 8, 12, 1, 1, 1, 1]);
    const up = residualBase('residual-bilinear', two, all, 2, 2)!;
    expect(up[1 * 4 + 1]).toBeCloseTo(3);
    for (let q = 16; q < 32; q++) expect(up[q]).toBeCloseTo(1);
  });
});

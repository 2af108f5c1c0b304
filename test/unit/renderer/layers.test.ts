import { describe, expect, it } from 'vitest';
import { colorAt } from '../../../preload/contract/colormaps';
import {
  autoRange,
  defaultStack,
  drawOrder,
  moveLayer,
  restoreStack,
  setStyle,
} from '../../../renderer/src/features/layers/layer-stack';
import { TILE, colourTable, colourTile } from '../../../renderer/src/features/layers/value-tiles';
import { kthSmallest } from '../../../preload/contract/select';

describe('layer stack', () => {
  it('moves layers within the order and never the slide', () => {
    const s = defaultStack();
    const top = s.order[0]!;
    const second = s.order[1]!;
    const moved = moveLayer(s, second, -1);
    expect(moved.order.slice(0, 2)).toEqual([second, top]);
    expect(moveLayer(s, top, -1)).toBe(s);
    expect(moveLayer(s, 'slide', 1)).toBe(s);
    expect(drawOrder(moved).at(-1)).toBe(second);
  });
  it('sets one style without touching the others', () => {
    const s = setStyle(defaultStack(), 'sr', { opacity: 0.3, colormap: 'cividis' });
    expect(s.styles.sr).toMatchObject({ opacity: 0.3, colormap: 'cividis' });
    expect(s.styles.spots).toEqual(defaultStack().styles.spots);
  });
  it('restores saved stacks leniently', () => {
    expect(restoreStack('junk')).toEqual(defaultStack());
    const r = restoreStack({ order: ['sr', 'bogus', 'sr'], styles: { sr: { opacity: 0.5 }, nope: {} } });
    expect(r.order[0]).toBe('sr');
    expect(new Set(r.order).size).toBe(defaultStack().order.length);
    expect(r.order).not.toContain('bogus');
    expect(r.styles.sr.opacity).toBe(0.5);
    expect(r.styles.sr.colormap).toBe('viridis');
  });
});

describe('autoRange', () => {
  it('goes from 0 to the chosen percentile (linear interpolation, NaN skipped)', () => {
    const v = [NaN, ...Array.from({ length: 101 }, (_, i) => i)];
    expect(autoRange(v, 99)).toEqual([0, 99]);
    expect(autoRange(v, 50)).toEqual([0, 50]);
    expect(autoRange([1, 2, 3, 4], 100)).toEqual([0, 4]);
    expect(autoRange([2, 3], 50)).toEqual([0, 2.5]);
  });
  it('is symmetric around 0 for diverging maps and keeps negative minima otherwise', () => {
    expect(autoRange([-4, -1, 0, 2], 100, true)).toEqual([-4, 4]);
    expect(autoRange([-4, -1, 0, 2], 100)).toEqual([-4, 2]);
    expect(autoRange([], 99)).toEqual([0, 1]);
  });
  it('equals the sorted definition on large grids with ties, NaN and all-zero heads', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const n of [1, 2, 17, 1000, 250_000]) {
      // SR-like: many exact zeros and NaN outside the tissue, a long right tail, repeated values
      const v = Float32Array.from({ length: n }, () => {
        const u = rand();
        return u < 0.2 ? NaN : u < 0.5 ? 0 : Math.round(Math.exp(4 * rand()) * 8) / 8;
      });
      const finite = [...v].filter(Number.isFinite).sort((a, b) => a - b);
      for (const p of [0, 37.5, 50, 99, 99.9, 100]) {
        const pos = (finite.length - 1) * (p / 100);
        const lo = Math.floor(pos);
        const hi = finite.length ? finite[lo]! + (finite[Math.ceil(pos)]! - finite[lo]!) * (pos - lo) : 1;
        const top = hi > 0 ? hi : finite.at(-1) || 1;
        expect(autoRange(v, p)).toEqual(finite.length ? [Math.min(0, finite[0]!), top] : [0, 1]);
      }
    }
  });
});

describe('kthSmallest', () => {
  it('finds every order statistic of arrays with duplicates, sorted or reversed input', () => {
    const cases = [
      [3, 1, 2],
      [5, 5, 5, 5],
      [1, 2, 3, 4, 5, 6, 7, 8],
      [8, 7, 6, 5, 4, 3, 2, 1],
      [2, 9, 2, 9, 2, 9, 0, -1, 9, 2],
    ];
    for (const c of cases) {
      const want = [...c].sort((a, b) => a - b);
      for (let k = 0; k < c.length; k++) {
        const v = Float64Array.from(c);
        expect(kthSmallest(v, v.length, k)).toBe(want[k]);
        // partitioned around k
        for (let i = 0; i < v.length; i++)
          if (i < k) expect(v[i]).toBeLessThanOrEqual(want[k]!);
          else if (i > k) expect(v[i]).toBeGreaterThanOrEqual(want[k]!);
      }
    }
    expect(() => kthSmallest(new Float64Array(3), 3, 3)).toThrow(RangeError);
  });
});

describe('colourTile', () => {
  it('colours a grid tile through the table, NaN transparent, clipped at the grid edge', () => {
    const rows = 2;
    const cols = TILE + 3;
    const values = new Float32Array(rows * cols).fill(NaN);
    values[0] = 0; // range low
    values[1] = 10; // range high
    values[2] = 20; // above: clamped
    values[cols + TILE] = 5; // first cell of tile (1, 0), second row
    const lut = colourTable('viridis');
    const out = new Uint8ClampedArray(TILE * TILE * 4);
    const a = colourTile(values, rows, cols, 0, 0, lut, [0, 10], out);
    expect(a).toEqual({ w: TILE, h: 2 });
    const low = colorAt('viridis', 0).map(Math.round);
    const high = colorAt('viridis', 1).map(Math.round);
    expect([...out.subarray(0, 4)]).toEqual([...low, 255]);
    expect([...out.subarray(4, 8)]).toEqual([...high, 255]);
    expect([...out.subarray(8, 12)]).toEqual([...high, 255]);
    expect(out[15]).toBe(0); // NaN → alpha 0
    const b = colourTile(values, rows, cols, 1, 0, lut, [0, 10], out);
    expect(b).toEqual({ w: 3, h: 2 });
    // value 5 → index floor(127.5) = 127 of 255
    const mid = colorAt('viridis', 127 / 255).map((x) => Math.round(x));
    expect([...out.subarray(3 * 4, 3 * 4 + 3)]).toEqual(mid);
    expect(out[3 * 4 + 3]).toBe(255);
  });
});

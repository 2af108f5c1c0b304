import { describe, expect, it } from 'vitest';
import {
  blockCells,
  greyFromRgb,
  jointBilateral,
  latticeCells,
  measureBoundaries,
} from '../../../main/engine/analysis';

describe('measureBoundaries', () => {
  // 2 × 4 grid, two domains split down the middle, lattice cells the same split, an image step
  // exactly on the split. Edges: 3 horizontal per row × 2 + 4 vertical = 10; 2 cross the split.
  const labels = Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1]);
  const grey = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1]);

  it('counts border edges on the lattice and the chance level by hand', () => {
    const m = measureBoundaries({ rows: 2, cols: 4, labels, cells: labels, grey, shift: 1, band: 1 });
    expect(m.boundaryEdges).toBe(2);
    expect(m.latticeFraction).toBe(1);
    expect(m.latticeChance).toBeCloseTo(2 / 10, 12);
    // across the split |1 − 0| = 1 on both edges
    expect(m.boundaryGradient).toBe(1);
    // shifted copies per edge: one row shift stays in the grid and lands on the other row's split
    // edge (contrast 1; the other leaves the grid), both column shifts land inside a flat half
    // (contrast 0): 2 / 6
    expect(m.shiftedGradient).toBeCloseTo(1 / 3, 12);
    expect(m.gradientRatio).toBeCloseTo(3, 12);
  });

  it('a border off the lattice and off the image edge scores 0 on the lattice and ratio < 1', () => {
    const cells = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]); // lattice split between the rows
    const lab = Int32Array.from([0, 1, 1, 1, 0, 1, 1, 1]); // border between columns 0 and 1
    const m = measureBoundaries({ rows: 2, cols: 4, labels: lab, cells, grey, shift: 1, band: 1 });
    expect(m.boundaryEdges).toBe(2);
    expect(m.latticeFraction).toBe(0);
    expect(m.latticeChance).toBeCloseTo(4 / 10, 12);
    expect(m.boundaryGradient).toBe(0);
    // shifted by +1 column onto the image step (1 each); by −1 column out of the grid; by ±1 row:
    // the other row's edge at the same place (0 each) → 2 / 4
    expect(m.shiftedGradient).toBe(0.5);
    expect(m.gradientRatio).toBe(0);
  });

  it('averages `band` superpixels either side and skips unlabelled superpixels', () => {
    const lab = Int32Array.from([0, 0, 1, 1, -1, -1, -1, -1]);
    const g = Float32Array.from([0, 2, 4, 10, 0, 0, 0, 0]);
    const m = measureBoundaries({ rows: 2, cols: 4, labels: lab, cells: lab, grey: g, shift: 1, band: 2 });
    expect(m.boundaryEdges).toBe(1);
    // (0 + 2)/2 = 1 against (4 + 10)/2 = 7
    expect(m.boundaryGradient).toBe(6);
    // every shifted copy leaves the labelled row or the grid's band → none counted
    expect(m.shiftedGradient).toBeNaN();
  });

  it('refuses mismatched sizes and a zero shift', () => {
    expect(() => measureBoundaries({ rows: 2, cols: 4, labels, cells: labels, grey, shift: 0 })).toThrow(
      /shift/,
    );
    expect(() => measureBoundaries({ rows: 3, cols: 4, labels, cells: labels, grey, shift: 1 })).toThrow(
      /rows × cols/,
    );
  });
});

describe('latticeCells', () => {
  it('gives each superpixel its nearest spot, −1 beyond maxDistance', () => {
    const spots = [
      { row: 1, col: 1 },
      { row: 1, col: 3 },
    ];
    expect(Array.from(latticeCells(2, 4, spots, 5))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    // maxDistance 1: centre (0.5, 0.5) is √0.5 from spot 0 (kept), (1.5, 2.5) is √0.5 from spot 1
    const far = latticeCells(3, 5, spots, 1);
    expect(far[0]).toBe(0);
    expect(far[1 * 5 + 2]).toBe(1);
    // (2.5, 4.5) is √(1.5² + 1.5²) ≈ 2.1 from spot 1
    expect(far[2 * 5 + 4]).toBe(-1);
  });
});

describe('jointBilateral', () => {
  it('averages within alike guide values and not across a guide step', () => {
    // 1 × 4 strip: values 0, 2 | 10, 12; guide 0, 0 | 100, 100
    const index = Int32Array.from([0, 1, 2, 3]);
    const v = Float64Array.from([0, 2, 10, 12]);
    const guide = Float64Array.from([0, 0, 100, 100]);
    const out = jointBilateral(1, 4, index, v, 1, guide, 1, 1, 1);
    // radius 1, σs = 0.5: the neighbour's spatial weight is e^{−2}, self 1; across the step the
    // guide weight is e^{−5000} ≈ 0
    const w = Math.exp(-2);
    expect(out[0]).toBeCloseTo((0 + 2 * w) / (1 + w), 12);
    expect(out[1]).toBeCloseTo((2 + 0 * w) / (1 + w), 12);
    expect(out[2]).toBeCloseTo((10 + 12 * w) / (1 + w), 12);
    expect(out[3]).toBeCloseTo((12 + 10 * w) / (1 + w), 12);
  });
});

describe('greyFromRgb', () => {
  it('is Rec. 601 luma, NaN outside the mask', () => {
    const g = greyFromRgb(Float32Array.from([1, 0, 0, 0, 1, 0]), Uint8Array.from([1, 0]));
    expect(g[0]).toBeCloseTo(0.299, 6);
    expect(g[1]).toBeNaN();
  });
});

describe('blockCells', () => {
  it('numbers side × side squares from the origin, row by row', () => {
    expect(Array.from(blockCells(3, 5, 2))).toEqual([0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 3, 3, 4, 4, 5]);
  });
});

/**
 * Diff-ST's 2× map read at the bins of pseudo-spots cut by the tissue edge (the Visium HD coarsen
 * protocol): every bin must get a value, and it must come from its own pseudo-spot's children.
 * A pseudo-spot's centre is its members' centroid, so partial blocks pull the fitted lattice off the
 * blocks; reading by the nearest 2× node alone then sends edge bins to a neighbour's children or
 * to an unmeasured node (NaN), which is what the second case shows.
 */
import { describe, expect, it } from 'vitest';
import { spotFootprints } from '../../../../main/engine/methods/diffst/footprint';
import { DIFFST_PRESETS } from '../../../../main/engine/methods/diffst/presets';
import type { DiffstFit, SampledMap } from '../../../../main/engine/methods/diffst/pipeline';
import { childAffine } from '../../../../main/engine/methods/diffst/raster';
import { inputFootprints, inputRaster, toOutput } from '../../../../main/engine/methods/diffst/sr-method';
import { superpixelsToSpots, type SrInput, type SrSpot } from '../../../../main/engine/methods/types';

const BIN = 10; // px between bin centres
const K = 3; // bins per pseudo-spot side
const N = 12; // bins per side (4 × 4 blocks)

// Tissue: columns and rows 2..9 (so the outer blocks keep one bin line, their centroids 10 px
// inward), less the top-right block, which is empty.
function inTissue(r: number, c: number): boolean {
  if (r < 2 || r > 9 || c < 2 || c > 9) return false;
  return !(Math.floor(r / K) === 0 && Math.floor(c / K) === 3);
}

function hdInput(): { input: SrInput } {
  const blocks = new Map<string, { a: number; b: number; members: { x: number; y: number }[] }>();
  const targets: { x: number; y: number }[] = [];
  for (let r = 0; r < N; r++)
    for (let c = 0; c < N; c++) {
      if (!inTissue(r, c)) continue;
      const a = Math.floor(c / K);
      const b = Math.floor(r / K);
      const key = `${a},${b}`;
      const bin = { x: 5 + c * BIN, y: 5 + r * BIN };
      const blk = blocks.get(key) ?? { a, b, members: [] };
      blk.members.push(bin);
      blocks.set(key, blk);
      targets.push(bin);
    }
  const order = [...blocks.keys()];
  const spots: SrSpot[] = order.map((k) => {
    const blk = blocks.get(k)!;
    const x = blk.members.reduce((s, m) => s + m.x, 0) / blk.members.length;
    const y = blk.members.reduce((s, m) => s + m.y, 0) / blk.members.length;
    return { x, y, lattice: { a: blk.a, b: blk.b }, members: blk.members };
  });
  const n = spots.length;
  const values = { nRows: n, nCols: 1, data: new Float64Array(n).fill(1) };
  const input: SrInput = {
    sample: 'hand-made',
    genes: ['g'],
    spots,
    values,
    space: 'counts',
    counts: values,
    totalCounts: new Float64Array(n).fill(1),
    lattice: 'square',
    // the harness's footprint of a square bin: its circumscribed disk
    spotDiameterPx: BIN * Math.SQRT2,
    umPerPx: 1,
    targets,
  };
  return { input };
}

/** A 2× map of R whose child (2I + a, 2J + b) holds 100·(I·w + J) + 2a + b: its parent is readable. */
function labelledMap(input: SrInput) {
  const R = inputRaster(input);
  const W2 = 2 * R.width;
  const H2 = 2 * R.height;
  const mean = new Float32Array(W2 * H2);
  const present = new Uint8Array(W2 * H2);
  for (let I = 0; I < R.height; I++)
    for (let J = 0; J < R.width; J++)
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) {
          const q = (2 * I + a) * W2 + 2 * J + b;
          mean[q] = 100 * (I * R.width + J) + 2 * a + b;
          present[q] = R.present[I * R.width + J]!;
        }
  const map: SampledMap = {
    width: W2,
    height: H2,
    genes: 1,
    pitch: R.pitch / 2,
    affine: childAffine(R.affine),
    mean,
    sd: new Float32Array(mean.length),
    present,
    samples: 1,
    meanSamples: 1,
    steps: 1,
    seconds: 0,
  };
  return { R, map };
}

const fit = {
  preset: DIFFST_PRESETS.tiny,
  train: { steps: 0, history: [] },
  trainingRows: 0,
  seconds: 0,
} as unknown as DiffstFit;

/**
 * Superpixels whose centre lies in an in-tissue bin's square: how many are absent, and how many
 * read a child of another pseudo-spot than the bin's own.
 */
function audit(out: ReturnType<typeof toOutput>, R: ReturnType<typeof inputRaster>, input: SrInput) {
  const blockPixel = new Map<string, number>();
  input.spots.forEach((s, k) => blockPixel.set(`${s.lattice!.a},${s.lattice!.b}`, R.spotPixel![k]!));
  const { grid } = out;
  let checked = 0;
  let absent = 0;
  let wrong = 0;
  for (let i = 0; i < grid.height; i++)
    for (let j = 0; j < grid.width; j++) {
      const x = grid.originX + (j + 0.5) * grid.sizePx;
      const y = grid.originY + (i + 0.5) * grid.sizePx;
      const c = Math.floor(x / BIN);
      const r = Math.floor(y / BIN);
      if (!inTissue(r, c)) continue;
      checked++;
      const q = i * grid.width + j;
      if (!out.present![q]) absent++;
      else if (
        Math.floor(out.values[q]! / 100) !== blockPixel.get(`${Math.floor(c / K)},${Math.floor(r / K)}`)
      )
        wrong++;
    }
  return { checked, absent, wrong };
}

describe('Diff-ST output over pseudo-spots cut by the tissue edge', () => {
  it('gives every superpixel in a bin a child of the bin’s own pseudo-spot, and every bin a value', () => {
    const { input } = hdInput();
    const { R, map } = labelledMap(input);
    const out = toOutput(map, fit, inputFootprints(input, R));
    const a = audit(out, R, input);
    expect(a.checked).toBeGreaterThan(8 * 8 * 4);
    expect(a).toEqual({ checked: a.checked, absent: 0, wrong: 0 });
    const at = superpixelsToSpots(out, input.targets, input.spotDiameterPx);
    expect(at.data.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('is needed: by the nearest 2× node alone, edge bins read a neighbour or nothing', () => {
    const { input } = hdInput();
    const { R, map } = labelledMap(input);
    const a = audit(toOutput(map, fit), R, input);
    expect(a.absent + a.wrong).toBeGreaterThan(0);
  });

  it('gives a point to the spot of the nearest member within the footprint', () => {
    const f = spotFootprints([{ members: [{ x: 0, y: 0 }] }, { members: [{ x: 10, y: 0 }] }], [7, 9], 12);
    expect(f.ownerAt(4, 0)).toBe(7);
    expect(f.ownerAt(6, 1)).toBe(9);
    expect(f.ownerAt(-5.9, 0)).toBe(7);
    expect(f.ownerAt(-6.1, 0)).toBe(-1);
    expect(f.bounds).toEqual({ x0: -6, y0: -6, x1: 16, y1: 6 });
  });
});

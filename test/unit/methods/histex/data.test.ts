/**
 * HISTEX on real HER2ST C2: bags from spot disks (and pseudo-spot unions), the enhancement's
 * mask rule, the MIL bag mean, and a short training run that lowers the loss.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { coarsenSpots } from '../../../../main/engine/analysis';
import type { Sample } from '../../../../main/engine/io/sample';
import { readSample } from '../../../../main/engine/io/index';
import {
  builtinFeatures,
  enhance,
  fitHistex,
  footprint,
  inferLatent,
  geneValues,
  padBags,
  PRESETS,
  pseudoSpotInput,
  selectGenes,
  type HistexFeatures,
} from '../../../../main/engine/methods/histex';
import { superpixelCentre } from '../../../../main/engine/methods/types';
import { Graph } from '../../../../main/engine/onnx/graph';
import { initParams } from '../../../../main/engine/onnx/init';
import { createSession, toOrt } from '../../../../main/engine/onnx/session';
import { histexDefinition } from '../../../../models/histex';
import { sharedData } from '../../../helpers/paths';

let sample: Sample;
let f: HistexFeatures;

beforeAll(async () => {
  sample = await readSample(sharedData('her2st', 'C2'));
  f = await builtinFeatures(sample);
}, 60_000);

describe('bags on C2', () => {
  it('a spot bag is every superpixel whose centre lies in its 100 µm disk', () => {
    const r = sample.spotDiameterUm / sample.umPerPx / 2;
    for (const s of sample.spots.slice(0, 20)) {
      const bag = footprint(f.grid, [s], r);
      // π·(50/8)² ≈ 122.7 superpixels of 8 µm
      expect(bag.length).toBeGreaterThan(110);
      expect(bag.length).toBeLessThan(136);
      for (const sp of bag) {
        const c = superpixelCentre(f.grid, Math.floor(sp / f.grid.width), sp % f.grid.width);
        expect(Math.hypot(c.x - s.x, c.y - s.y)).toBeLessThanOrEqual(r);
      }
      // the ring just outside is excluded
      const c0 = { r: Math.floor(s.y / f.grid.sizePx), c: Math.floor(s.x / f.grid.sizePx) };
      const out = (c0.r - 8) * f.grid.width + c0.c;
      expect(bag.includes(out)).toBe(false);
    }
  });

  it('pseudo-spot bags are the union of member disks, padded with a mask', () => {
    const c = coarsenSpots(sample.spots, sample.counts, sample.lattice);
    const r = sample.spotDiameterUm / sample.umPerPx / 2;
    const members = c.pseudoSpots.map((p) =>
      footprint(
        f.grid,
        p.members.map((m) => sample.spots[m]!),
        r,
      ),
    );
    c.pseudoSpots.forEach((p, i) => {
      const sizes = p.members.map((m) => footprint(f.grid, [sample.spots[m]!], r).length);
      // 200 µm pitch, 100 µm disks: disjoint, so the union is the sum
      expect(members[i]!.length).toBe(sizes.reduce((a, b) => a + b, 0));
    });
    const bags = padBags(members);
    expect(bags.tokens).toBe(Math.max(...members.map((m) => m.length)));
    members.forEach((m, i) => {
      const row = bags.mask.subarray(i * bags.tokens, (i + 1) * bags.tokens);
      expect(row.reduce((a, b) => a + b, 0)).toBe(m.length);
      expect(row[m.length - 1]).toBe(1);
      if (m.length < bags.tokens) expect(row[m.length]).toBe(0);
    });
  });

  it('enhancement: midpoints and cell centres only where all parents are measured', () => {
    // 2×2 square block plus one isolated spot
    const spots = [
      { x: 0, y: 0, row: 0, col: 0 },
      { x: 10, y: 0, row: 0, col: 1 },
      { x: 0, y: 10, row: 1, col: 0 },
      { x: 10, y: 10, row: 1, col: 1 },
      { x: 30, y: 30, row: 3, col: 3 },
    ];
    const v = Float64Array.of(1, 2, 3, 4, 100);
    const e = enhance(spots, v, 1, 'square');
    expect(e.measured).toBe(5);
    // 5 spots + 1 cell centre + 4 edges
    expect(e.x.length).toBe(10);
    const at = (x: number, y: number) => {
      for (let i = 0; i < e.x.length; i++) if (e.x[i] === x && e.y[i] === y) return e.values[i];
      return undefined;
    };
    expect(at(5, 0)).toBe(1.5);
    expect(at(0, 5)).toBe(2);
    expect(at(5, 5)).toBe(2.5);
    expect(at(20, 20)).toBeUndefined();
  });
});

describe('MIL on C2', () => {
  it('the bag mean is the mean of the bag instances, padding excluded', async () => {
    const def = histexDefinition({
      features: 3,
      genes: 2,
      tokens: 4,
      geneTokens: 2,
      dim: 8,
      heads: 2,
      head: [4, 4, 4, 4],
    });
    const g = new Graph('float32');
    const x = {
      his: g.input('his', [2, 4, 3]),
      gene: g.input('gene', [2, 2, 2]),
      bag: g.input('bag', [2, 4]),
    };
    const out = def.forward(g, x);
    const params = initParams([...g.params.values()], 1, 'float32');
    const bytes = g.toModel({
      outputs: { pred: out['pred']!, bagMean: out['bagMean']! },
      paramValues: params,
    });
    const { session } = await createSession(bytes, { provider: 'cpu' });
    const mask = Float32Array.of(1, 1, 1, 1, 1, 1, 0, 0);
    const r = await session.run({
      his: toOrt(
        'float32',
        Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
        [2, 4, 3],
      ),
      gene: toOrt(
        'float32',
        Float32Array.from({ length: 8 }, (_, i) => Math.cos(i)),
        [2, 2, 2],
      ),
      bag: toOrt('float32', mask, [2, 4]),
    });
    await session.release();
    const pred = r['pred']!.data as Float32Array;
    const bm = r['bagMean']!.data as Float32Array;
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < 2; j++) {
        let s = 0;
        let n = 0;
        for (let t = 0; t < 4; t++)
          if (mask[b * 4 + t]) {
            s += pred[(b * 4 + t) * 2 + j]!;
            n++;
          }
        expect(bm[b * 2 + j]).toBeCloseTo(s / n, 6);
      }
  });

  it('a short run on C2 pseudo-spots lowers the MIL loss; the ensemble infers and maps genes', async () => {
    const genes = selectGenes(sample, 8);
    const c = coarsenSpots(sample.spots, sample.counts, sample.lattice);
    const input = pseudoSpotInput(sample, c, genes, f);
    input.spots = input.spots.slice(0, 12);
    input.counts = input.counts.subarray(0, 12 * genes.length);
    const fit = await fitHistex(input, {
      ...PRESETS.paper,
      dim: 16,
      heads: 4,
      epochs: 6,
      lr: 1e-3,
      ensemble: 2,
      batchSize: 4,
      k: 3,
    });
    for (const h of fit.history) expect(h[h.length - 1]!).toBeLessThan(h[0]!);
    const someSpots = Int32Array.from(footprint(f.grid, [sample.spots[0]!], 20));
    const latent = await inferLatent(fit, { superpixels: someSpots });
    expect(latent.latents).toHaveLength(2);
    expect(latent.latents[0]!.length).toBe(someSpots.length * 16);
    const v = geneValues(fit, latent, [0, 3]);
    expect(v.length).toBe(someSpots.length * 2);
    for (const x of v) expect(Number.isFinite(x)).toBe(true);
  }, 90_000);
});

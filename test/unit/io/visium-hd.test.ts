/**
 * Visium HD, Space Ranger 3 layout (fixture: visium-hd-fixture.ts): the reader at 2, 8 and 16 µm
 * against the counts the fixture drew, and the benchmark's coarsen protocol with the 8 µm bins as
 * truth — what the methods see (pseudo-spots = sums of 7×7 bins, checked against the 2 µm grid),
 * where they are scored (every bin of a kept pseudo-spot), and the controls.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import {
  expandAll,
  getMethod,
  methodsFor,
  registerMethod,
  runBench,
  type BenchResult,
} from '../../../main/engine/bench';
import { denseFrom } from '../../../main/engine/analysis/matrix';
import type { SrInput } from '../../../main/engine/methods/types';
import { makeTempDir } from '../../helpers/tmp';
import { buildVisiumHd, HD_BINS_UM, type HdFixture } from './visium-hd-fixture';

const tmp = makeTempDir('stsr-visium-hd-');
afterAll(() => tmp.cleanup());

let fx: HdFixture;
beforeAll(async () => {
  fx = await buildVisiumHd(tmp.dir);
}, 120_000);

const G = (): number => fx.genes.length;

/** Sum of the fixture's 2 µm counts over a square of `f`×`f` 2 µm bins at 2 µm (row, col). */
function sum2(r0: number, c0: number, f: number): { counts: number[]; tissue: number } {
  const counts = new Array<number>(G()).fill(0);
  let tissue = 0;
  for (let r = r0; r < r0 + f; r++)
    for (let c = c0; c < c0 + f; c++) {
      if (r >= fx.side2 || c >= fx.side2) continue;
      const i = r * fx.side2 + c;
      tissue += fx.inTissue2[i]!;
      for (let g = 0; g < G(); g++) counts[g]! += fx.counts2[i * G() + g]!;
    }
  return { counts, tissue };
}

function rowOf(s: Sample, i: number): number[] {
  const out = new Array<number>(s.genes.length).fill(0);
  for (let k = s.counts.indptr[i]!; k < s.counts.indptr[i + 1]!; k++)
    out[s.counts.indices[k]!] = s.counts.data[k]!;
  return out;
}

describe('Visium HD reader on the Space Ranger 3 layout', () => {
  it.each(HD_BINS_UM)(
    'square_%ium: bins, counts (sums of 2 µm bins), positions, scale, image',
    async (bin) => {
      const folder = join(fx.outs, 'binned_outputs', `square_${String(bin).padStart(3, '0')}um`);
      const s = await readSample(folder);
      const f = bin / 2;
      const side = fx.side2 / f;
      let inTissue = 0;
      for (let r = 0; r < side; r++)
        for (let c = 0; c < side; c++) if (sum2(r * f, c * f, f).tissue > 0) inTissue++;
      expect(s.provenance.reader).toBe('visium-hd');
      expect(s.provenance.files.some((p) => p.endsWith('tissue_positions.parquet'))).toBe(true);
      expect(s.platform).toBe('visium-hd');
      expect(s.lattice).toBe('square');
      expect(s.spotDiameterUm).toBe(bin);
      expect(s.umPerPx).toBeCloseTo(fx.umPerPx, 9);
      expect(s.spots.length).toBe(inTissue);
      expect(s.genes.map((g) => g.symbol)).toEqual(fx.genes);
      // every 37th bin: its counts are the sum of the 2 µm bins it covers, its centre where it lies
      for (let i = 0; i < s.spots.length; i += 37) {
        const p = s.spots[i]!;
        expect(p.id).toBe(
          `s_${String(bin).padStart(3, '0')}um_${String(p.row).padStart(5, '0')}_${String(p.col).padStart(5, '0')}-1`,
        );
        expect(rowOf(s, i)).toEqual(sum2(p.row! * f, p.col! * f, f).counts);
        expect(p.x).toBeCloseTo(fx.origin.x + ((p.col! + 0.5) * bin) / fx.umPerPx, 6);
        expect(p.y).toBeCloseTo(fx.origin.y + ((p.row! + 0.5) * bin) / fx.umPerPx, 6);
      }
      // the images are in outs/spatial (Space Ranger 3), not in the bin folder
      expect(s.image!.path).toBe(join(fx.outs, 'spatial', 'tissue_hires_image.png'));
      expect(s.image!.scaleToFullRes).toBeCloseTo(1 / fx.hiresScale, 9);
    },
  );

  it('outs/ opens the 8 µm bins (10x’s default)', async () => {
    const s = await readSample(fx.outs);
    expect(s.spotDiameterUm).toBe(8);
    expect(s.provenance.notes.bin).toBe('square_008um');
  });
});

describe('coarsen with Visium HD 8 µm bins as truth', () => {
  let seen: SrInput | undefined;
  let result: BenchResult;
  let hd: Sample;

  beforeAll(async () => {
    hd = await readSample(fx.outs);
    // a bench-only method that records what the harness hands a method and predicts the
    // pseudo-spot mean (so its scores equal coarse's)
    registerMethod(
      {
        name: 'hd-probe',
        kind: 'spot',
        description: 'records its SrInput (test only)',
        predict: (input) => {
          seen = input;
          const g = input.genes.length;
          const out = denseFrom(input.targets.length, g);
          input.targets.forEach((t, k) => {
            const j = input.spots.findIndex(
              (p) => p.lattice!.a === Math.round(t.lattice!.a) && p.lattice!.b === Math.round(t.lattice!.b),
            );
            for (let q = 0; q < g; q++)
              out.data[k * g + q] = input.values.data[j * g + q]! / input.spots[j]!.members.length;
          });
          return Promise.resolve({ kind: 'spot', values: out });
        },
      },
      { replace: true },
    );
    result = await runBench(hd, { protocol: 'coarsen', methods: ['hd-probe', 'coarse', 'interp'], genes: 6 });
  }, 300_000);

  it('groups the bins into 7×7 pseudo-spots (56 µm) and says so', () => {
    expect(result.truth).toEqual({ platform: 'visium-hd', binUm: 8, block: 7, pseudoSpotUm: 56 });
    expect(result.notes.join('\n')).toMatch(/Visium HD truth: 8 µm bins, pseudo-spots of 7×7 bins \(56 µm\)/);
    expect(result.lattice).toBe('square');
  });

  it('hands the methods pseudo-spot sums equal to the 2 µm counts of each 56 µm block', () => {
    const input = seen!;
    const genes = input.genes.map((g) => fx.genes.indexOf(g));
    expect(genes.every((g) => g >= 0)).toBe(true);
    // blocks of 7×7 bins of 8 µm with ≥ 2 bins in tissue
    const side8 = fx.side2 / 4;
    let kept = 0;
    let bins = 0;
    for (let b = 0; b * 7 < side8; b++)
      for (let a = 0; a * 7 < side8; a++) {
        let n = 0;
        for (let r = b * 7; r < Math.min(side8, b * 7 + 7); r++)
          for (let c = a * 7; c < Math.min(side8, a * 7 + 7); c++) if (sum2(r * 4, c * 4, 4).tissue > 0) n++;
        if (n < 2) continue;
        kept++;
        bins += n;
        const k = input.spots.findIndex((p) => p.lattice!.a === a && p.lattice!.b === b);
        expect(k, `block ${a},${b}`).toBeGreaterThanOrEqual(0);
        expect(input.spots[k]!.members.length).toBe(n);
        // the 56 µm block is 28×28 bins of 2 µm; outside-tissue 2 µm bins hold no counts
        const want = sum2(b * 28, a * 28, 28).counts;
        genes.forEach((g, q) => expect(input.counts.data[k * genes.length + q]).toBe(want[g]));
      }
    expect(input.spots.length).toBe(kept);
    expect(result.inputSpots).toBe(kept);
    expect(result.evaluatedSpots).toBe(bins);
    expect(input.targets.length).toBe(bins);
    expect(input.space).toBe('counts');
    // targets are 8 µm bins, in the pseudo-spot frame: bin (row, col) at ((col − 3)/7, (row − 3)/7)
    // the disk that covers a whole 8 µm square bin (see footprintDiameterPx)
    expect(input.spotDiameterPx).toBeCloseTo((8 * Math.SQRT2) / fx.umPerPx, 9);
    const t = input.targets[0]!;
    expect(t.lattice).toEqual({ a: (t.col! - 3) / 7, b: (t.row! - 3) / 7 });
  });

  it('scores every method and the controls at the 8 µm bins', () => {
    for (const m of ['hd-probe', 'coarse', 'interp', 'interp:permuted', 'hd-probe:permuted', 'noise']) {
      const s = result.methods[m]!;
      expect(s, m).toBeDefined();
      for (const v of [s.pcc, s.rmse, s.ssim, s.mae, s.mse]) expect(Number.isFinite(v), m).toBe(true);
    }
    // the probe predicts exactly coarse's values: same scores
    expect(result.methods['hd-probe']!.pcc).toBeCloseTo(result.methods.coarse!.pcc, 12);
    expect(result.methods['hd-probe']!.rmse).toBeCloseTo(result.methods.coarse!.rmse, 12);
  });

  it('--pseudo-spot-um picks the block (rounded to whole bins) and is refused where it has no meaning', async () => {
    const r = await runBench(hd, {
      protocol: 'coarsen',
      methods: ['coarse'],
      genes: 4,
      pseudoSpotUm: 100,
      controls: false,
    });
    expect(r.truth).toEqual({ platform: 'visium-hd', binUm: 8, block: 13, pseudoSpotUm: 104 });
    await expect(
      runBench(hd, { protocol: 'coarsen', methods: ['coarse'], genes: 4, pseudoSpotUm: 10 }),
    ).rejects.toThrow(/less than 2 bins of 8 µm/);
    await expect(
      runBench(hd, { protocol: 'holdout', methods: ['coarse'], genes: 4, pseudoSpotUm: 55 }),
    ).rejects.toThrow(/belongs to the coarsen protocol/);
  });

  it("--methods all: the registry's coarsen methods; those needing the slide only when it is full-resolution", async () => {
    const notes: string[] = [];
    const withSlide = await readSample(fx.outs, { imagePath: fx.fullRes });
    expect(withSlide.image!.scaleToFullRes).toBe(1);
    const all = expandAll(['all', 'noise'], withSlide, 'coarsen', notes);
    expect(all).toEqual([...methodsFor('coarsen'), 'noise']);
    expect(all).toContain('interp');
    expect(all).not.toContain('histosge'); // holdout only
    expect(notes).toEqual([]);
    // outs/ alone has only the hires PNG: a scaled copy is never handed to a method as the slide
    const scaled = expandAll(['all'], hd, 'coarsen', notes);
    const needImage = methodsFor('coarsen').filter((m) => getMethod(m)!.needsImage);
    expect(needImage.length).toBeGreaterThan(0);
    expect(scaled).toEqual(methodsFor('coarsen').filter((m) => !needImage.includes(m)));
    expect(notes).toHaveLength(needImage.length);
    expect(notes[0]).toMatch(/left out of "all": it needs the H&E image and .* has only a scaled copy of it/);
    await expect(runBench(hd, { protocol: 'coarsen', methods: ['tesla'], genes: 4 })).rejects.toThrow(
      /tesla needs the H&E image, and .* has only a scaled copy/,
    );
  });
});

/**
 * Diff-ST on real HER2ST C2 under the coarsen protocol (tiny preset, through the harness): it sees
 * only the pseudo-spots and the H&E, trains through the shared trainer and samples K maps; the
 * answer is finite at every evaluated spot, each pseudo-spot's children average to its measured
 * value (calibration), and the SD over the samples is a real, non-degenerate map.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../../main/engine/bench';
import { registerMethod } from '../../main/engine/bench/registry';
import { readSample } from '../../main/engine/io';
import { diffstMethod, type DiffstOutput } from '../../main/engine/methods/diffst/sr-method';
import { outputAtTargets, superpixelsToSpots, type SrInput } from '../../main/engine/methods/types';
import { sharedData } from '../helpers/paths';

describe('Diff-ST on HER2ST C2 (coarsen, tiny preset)', () => {
  it('trains on its own pseudo-spots, calibrates to them and returns a per-spot SD', async () => {
    let captured: { input: SrInput; out: DiffstOutput } | null = null;
    registerMethod(
      {
        ...diffstMethod,
        async predict(input, o, progress, signal) {
          const out = (await diffstMethod.predict(input, o, progress, signal)) as DiffstOutput;
          captured = { input, out };
          return out;
        },
      },
      { replace: true },
    );
    const sample = await readSample(sharedData('her2st', 'C2'));
    const r = await runBench(sample, {
      protocol: 'coarsen',
      methods: ['diffst'],
      genes: 12,
      methodOptions: { diffst: { preset: 'tiny', updates: 20 } },
    });
    const s = r.methods['diffst']!;
    expect(Number.isFinite(s.pcc) && Number.isFinite(s.rmse)).toBe(true);
    expect(r.methods['diffst:permuted']).toBeDefined();
    const { input, out } = captured as unknown as { input: SrInput; out: DiffstOutput };
    expect(out.samples).toBe(4);
    expect(out.fit.updates).toBeGreaterThanOrEqual(20);
    const pred = outputAtTargets(out, input);
    const sd = superpixelsToSpots({ ...out, values: out.uncertainty }, input.targets, input.spotDiameterPx);
    const G = input.genes.length;
    let positive = 0;
    for (const v of sd.data) {
      expect(v).toBeGreaterThanOrEqual(0);
      if (v > 0) positive++;
    }
    expect(positive / sd.data.length).toBeGreaterThan(0.5);
    // Calibration: the targets inside a full pseudo-spot average to its value per member.
    const byPos = new Map(input.targets.map((t, k) => [`${Math.round(t.x)},${Math.round(t.y)}`, k]));
    let checked = 0;
    input.spots.forEach((sp, i) => {
      const kids = sp.members.map((m) => byPos.get(`${Math.round(m.x)},${Math.round(m.y)}`));
      if (kids.some((k) => k === undefined) || kids.length < 4) return;
      for (let g = 0; g < G; g++) {
        const vals = kids.map((k) => pred.data[k! * G + g]!);
        for (const v of vals) expect(v).toBeGreaterThanOrEqual(0);
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        expect(mean).toBeCloseTo(input.values.data[i * G + g]! / sp.members.length, 3);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(50);
  }, 900_000);

  it("reads the slide through the built-in feature map (the default preset's input)", async () => {
    let out: DiffstOutput | null = null;
    registerMethod(
      {
        ...diffstMethod,
        async predict(input, o, progress, signal) {
          out = (await diffstMethod.predict(input, o, progress, signal)) as DiffstOutput;
          return out;
        },
      },
      { replace: true },
    );
    const sample = await readSample(sharedData('her2st', 'C2'));
    const r = await runBench(sample, {
      protocol: 'coarsen',
      methods: ['diffst'],
      genes: 12,
      methodOptions: { diffst: { preset: 'tiny', updates: 20, image: 'builtin:16' } },
    });
    expect(Number.isFinite(r.methods['diffst']!.pcc)).toBe(true);
    const o = out as unknown as DiffstOutput;
    expect(o.fit.image).toBe('builtin:16');
    expect(o.values.every(Number.isFinite)).toBe(true);
  }, 1_800_000);
});

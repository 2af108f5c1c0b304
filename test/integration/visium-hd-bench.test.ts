/**
 * `stsr bench --data <Visium HD outs> --protocol coarsen --methods …` as docs/benchmark.md tells a
 * user with HD data to run it: every method of the registry is scored against the 8 µm bins of a
 * Space Ranger 3 folder built by the test (visium-hd-fixture.ts), with one training epoch so the
 * run stays short; the full-resolution slide is passed with --image (outs/ holds only scaled
 * copies). Left out of the CLI run: diffst, whose default preset (the CLI has no per-method options)
 * took 67 s by hand at load ≈ 6 and 344 s at load ≈ 15–20; it is scored in a second case through
 * the same harness with its `tiny` preset, which checks what broke it on HD data: a value at every
 * bin.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../../main/cli/commands/bench';
import type { Output } from '../../main/cli/output';
import { listMethods, methodsFor, runBench } from '../../main/engine/bench';
import { readSample } from '../../main/engine/io/index';
import { makeTempDir } from '../helpers/tmp';
import { buildVisiumHd, type HdFixture } from '../unit/io/visium-hd-fixture';

const tmp = makeTempDir('stsr-hd-bench-');
afterAll(() => tmp.cleanup());

const LEFT_OUT = ['diffst'];

let fx: HdFixture;
beforeAll(async () => {
  // 448 µm: 56 × 56 bins of 8 µm, 8 × 8 pseudo-spots of 56 µm (Diff-ST needs a few pseudo-spots
  // per side to cut training patches from)
  fx = await buildVisiumHd(tmp.dir, { sideUm: 448 });
}, 120_000);

describe('stsr bench on Visium HD', () => {
  it('scores every other registry method, and its control, at the 8 µm bins', async () => {
    const results: Record<string, unknown>[] = [];
    const notes: string[] = [];
    const out: Output = {
      json: true,
      result: (v) => results.push(JSON.parse(JSON.stringify(v)) as Record<string, unknown>),
      note: (t) => notes.push(t),
    };
    await benchCommand(
      [
        '--data',
        fx.outs,
        '--protocol',
        'coarsen',
        '--methods',
        // every registry method that runs under coarsen, but diffst (see above)
        methodsFor('coarsen')
          .filter((m) => !LEFT_OUT.includes(m))
          .join(','),
        '--genes',
        '16',
        '--epochs',
        '1',
        '--image',
        fx.fullRes,
        '--out',
        tmp.dir,
      ],
      out,
    );
    const r = results[0] as {
      truth: unknown;
      methods: Record<string, { pcc: number; rmse: number; ssim: number }>;
      evaluatedSpots: number;
      reports: { json: string; markdown: string };
    };
    expect(r.truth).toEqual({ platform: 'visium-hd', binUm: 8, block: 7, pseudoSpotUm: 56 });
    // the fixture has an H&E stand-in, so nothing is left out
    const expected = methodsFor('coarsen').filter((m) => !LEFT_OUT.includes(m));
    // histosge is holdout-only (its entry says so), so 'all' leaves it out of coarsen
    expect(listMethods()).toContain('histosge');
    expect(expected).not.toContain('histosge');
    expect(expected.length).toBeGreaterThanOrEqual(3);
    for (const m of expected) {
      const s = r.methods[m];
      expect(s, m).toBeDefined();
      expect(Number.isFinite(s!.pcc) && Number.isFinite(s!.rmse) && Number.isFinite(s!.ssim), m).toBe(true);
      if (m !== 'coarse') expect(r.methods[`${m}:permuted`], `${m}:permuted`).toBeDefined();
    }
    expect(r.methods.noise).toBeDefined();
    expect(r.evaluatedSpots).toBeGreaterThan(1500);
    expect(JSON.parse(readFileSync(r.reports.json, 'utf8'))).toMatchObject({ truth: r.truth });
    expect(readFileSync(r.reports.markdown, 'utf8')).toMatch(/Visium HD truth: 8 µm bins/);
  }, 900_000);

  it('scores diffst (tiny preset) with a value at every bin, edge pseudo-spots included', async () => {
    const sample = await readSample(fx.outs, { imagePath: fx.fullRes });
    // runBench refuses a method with any non-finite value at the targets, so this run completing
    // is the check; the scores must be finite too
    const r = await runBench(sample, {
      protocol: 'coarsen',
      methods: ['diffst'],
      genes: 16,
      controls: false,
      methodOptions: { diffst: { model: 'tiny' } },
    });
    expect(r.truth).toEqual({ platform: 'visium-hd', binUm: 8, block: 7, pseudoSpotUm: 56 });
    const s = r.methods['diffst'];
    expect(s).toBeDefined();
    expect(Number.isFinite(s!.pcc) && Number.isFinite(s!.rmse) && Number.isFinite(s!.ssim)).toBe(true);
    expect(r.evaluatedSpots).toBeGreaterThan(1500);
  }, 600_000);
});

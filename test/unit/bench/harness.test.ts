/**
 * The harness against independent computations: its `coarse` row equals analysis/coarseBaseline
 * scored directly, methods join through registerMethod, hexagonal coarsening runs end to end (the
 * pseudo-lattice frames are checked inside), and the report files are written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import {
  coarseBaseline,
  coarsenSpots,
  csrToDense,
  latticeImageLayout,
  scoreCoarsen,
  selectRows,
} from '../../../main/engine/analysis/index';
import { readSample } from '../../../main/engine/io/index';
import {
  benchMarkdown,
  listMethods,
  registerMethod,
  runBench,
  selectGenes,
  writeBenchReport,
} from '../../../main/engine/bench/index';
import type { SrMethod } from '../../../main/engine/methods/types';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-bench-');
afterAll(() => tmp.cleanup());

describe('bench harness', () => {
  it('coarse row = analysis.coarseBaseline scored directly (HER2ST C2, reference gene set)', async () => {
    const s = await readSample(sharedData('her2st', 'C2'));
    const r = await runBench(s, {
      protocol: 'coarsen',
      methods: ['coarse'],
      genes: 100,
      geneSelection: 'log1p-cp10k-variance',
      controls: false,
    });
    const genes = selectGenes(s, 100, 'log1p-cp10k-variance');
    const c = coarsenSpots(s.spots, s.counts, 'square');
    const truth = selectRows(csrToDense(s.counts, { columns: genes }), c.evaluated);
    const layout = latticeImageLayout(
      Array.from(c.evaluated, (i) => s.spots[i]!.row!),
      Array.from(c.evaluated, (i) => s.spots[i]!.col!),
      'square',
    );
    const direct = scoreCoarsen(truth, coarseBaseline(c, genes), layout);
    expect(r.methods['coarse']!.pcc).toBeCloseTo(direct.pcc, 12);
    expect(r.methods['coarse']!.rmse).toBeCloseTo(direct.rmse, 12);
    expect(r.methods['coarse']!.ssim).toBeCloseTo(direct.ssim, 12);
    expect(r.evaluatedSpots).toBe(c.evaluated.length);
    expect(r.inputSpots).toBe(c.pseudoSpots.length);
    // interp is always added to a coarsen table (benchmark.md step 5)
    expect(Object.keys(r.methods).sort()).toEqual(['coarse', 'interp']);
    expect(r.notes.join(' ')).toMatch(/interp added/);
  });

  it('registered methods run through the same path; unknown names list what exists', async () => {
    // A real (if dull) method: every target gets the mean per-member value over all pseudo-spots.
    const flat: SrMethod = {
      name: 'test-flat',
      kind: 'spot',
      description: 'global mean',
      predict(input) {
        const g = input.values.nCols;
        const mean = new Float64Array(g);
        input.spots.forEach((sp, i) => {
          for (let j = 0; j < g; j++)
            mean[j] = mean[j]! + input.values.data[i * g + j]! / sp.members.length / input.spots.length;
        });
        const data = new Float64Array(input.targets.length * g);
        for (let t = 0; t < input.targets.length; t++) data.set(mean, t * g);
        return Promise.resolve({ kind: 'spot', values: { nRows: input.targets.length, nCols: g, data } });
      },
    };
    registerMethod(flat);
    expect(listMethods()).toContain('test-flat');
    expect(() => registerMethod(flat)).toThrow(/already registered/);
    const s = await readSample(sharedData('mob', 'MOB1'));
    const r = await runBench(s, {
      protocol: 'coarsen',
      methods: ['test-flat', 'coarse', 'interp'],
      genes: 30,
    });
    // a constant prediction has no PCC (every gene constant) and its permutation is itself
    expect(Number.isNaN(r.methods['test-flat']!.pcc)).toBe(true);
    expect(r.methods['test-flat']!.pccGenes).toBe(0);
    expect(r.lattice).toBe('hex');
    expect(r.methods['coarse']!.pcc).toBeGreaterThan(r.methods['noise']!.pcc);
    await expect(runBench(s, { protocol: 'coarsen', methods: ['nope'] })).rejects.toThrow(
      /Unknown method "nope". Available: .*coarse.*interp.*tesla/,
    );
  });

  it('writes JSON, Markdown and a PNG chart', async () => {
    const s = await readSample(sharedData('mob', 'MOB1'));
    const r = await runBench(s, { protocol: 'holdout', methods: ['coarse', 'interp'], genes: 30, seed: 3 });
    expect(Object.keys(r.allSpots!)).toEqual(['coarse', 'interp']);
    const files = await writeBenchReport(r, tmp.dir);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).protocol).toBe('holdout');
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toBe(benchMarkdown(r));
    expect(md).toMatch(/\| interp \| \d\.\d{4} \|/);
    expect(md).toMatch(/All spots/);
    expect(existsSync(files.png)).toBe(true);
    const meta = await sharp(files.png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(500);
  });
});

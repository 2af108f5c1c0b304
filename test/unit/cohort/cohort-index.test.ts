/**
 * The app's reader of the cohort index (main/engine/cohort/cohort-index.ts): finds the index from
 * a file or folder, resolves project paths, reads figures only through the path guard, and refuses
 * a file that is not a cohort index with the file named. The index written by the real workflow is
 * read in test/integration/cohort-workflow.test.ts.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortFigure, findCohortIndex, readCohortIndex } from '../../../main/engine/cohort/cohort-index';
import { createProject } from '../../../main/engine/store/project';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-cohort-index-');
afterAll(tmp.cleanup);
const out = join(tmp.dir, 'results');
const cohortDir = join(out, 'cohort');
const indexFile = join(cohortDir, 'index.json');

function index(samples: unknown[], extra: Record<string, unknown> = {}) {
  return {
    kind: 'stsr-cohort',
    version: 1,
    created: '2026-12-07 03:00 UTC',
    complete: false,
    counts: { samples: samples.length, ok: 1, failed: 1 },
    samples,
    ...extra,
  };
}

const ok = {
  name: 'C2',
  status: 'ok',
  project: '../samples/C2/project',
  sampleId: 1,
  counts: { spots: 187, genes: 15706, reader: 'legacy-st' },
  sr: { runId: 1, method: 'histex', genes: 20, superpixels: 113488, finalLoss: 0.51, seconds: 80 },
  clustering: {
    clusteringId: 1,
    k: 5,
    sizes: [40, 40, 40, 40, 27],
    agreement: { label: { ari: 0.31, nmi: 0.4 } },
  },
  outputs: {
    spotsH5ad: '../samples/C2/spots.h5ad',
    srH5ad: '../samples/C2/sr.h5ad',
    figure: '../samples/C2/domains.png',
  },
  steps: { import: { seconds: 20.5, max_rss_mb: 300 }, sr: { seconds: 80, max_rss_mb: 610 } },
};
const failed = {
  name: 'MOB2',
  status: 'failed',
  project: '../samples/MOB2/project',
  steps: {},
  failures: [
    {
      step: 'import',
      code: 'BAD_INPUT',
      message: 'MOB2.tsv line 4: "zero" is not a finite number',
      exitCode: 2,
    },
  ],
};

beforeAll(async () => {
  mkdirSync(cohortDir, { recursive: true });
  createProject(join(out, 'samples', 'C2', 'project')).close();
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#7a2e5a' } })
    .png()
    .toFile(join(out, 'samples', 'C2', 'domains.png'));
  writeFileSync(indexFile, JSON.stringify(index([ok, failed])));
});

describe('the cohort index', () => {
  it('is found from the file, the cohort folder or the results folder', () => {
    expect(findCohortIndex(indexFile)).toBe(indexFile);
    expect(findCohortIndex(cohortDir)).toBe(indexFile);
    expect(findCohortIndex(out)).toBe(indexFile);
    expect(() => findCohortIndex(join(out, 'samples'))).toThrow(/holds no cohort index/);
    expect(() => findCohortIndex(join(tmp.dir, 'nowhere'))).toThrow(/does not exist/);
  });

  it('reads samples with absolute project folders, the registry label, step times and failures', () => {
    const c = readCohortIndex(out);
    expect(c).toMatchObject({ file: indexFile, name: 'results', complete: false, counts: { samples: 2 } });
    const [a, b] = c.samples;
    expect(a).toMatchObject({
      name: 'C2',
      status: 'ok',
      projectDir: join(out, 'samples', 'C2', 'project'),
      projectExists: true,
      spots: 187,
      sr: { method: 'histex', label: 'HISTEX', size: 113488, sizeUnit: 'superpixels', finalLoss: 0.51 },
      domains: { k: 5, ari: { label: 0.31 } },
      hasFigure: true,
    });
    expect(a!.steps.map((s) => s.step)).toEqual(['import', 'features', 'sr', 'cluster', 'export']);
    expect(a!.steps[0]).toEqual({ step: 'import', seconds: 20.5, peakMb: 300 });
    expect(a!.steps[1]).toEqual({ step: 'features', seconds: null, peakMb: null });
    expect(b).toMatchObject({ status: 'failed', projectExists: false, sr: null, hasFigure: false });
    expect(b!.failures).toEqual([failed.failures[0]]);
  });

  it('gives a spot-set run its generated spots as the SR size', () => {
    const file = join(tmp.dir, 'spots-index.json');
    writeFileSync(
      file,
      JSON.stringify(index([{ ...ok, sr: { runId: 2, method: 'interp', generated: 700 } }])),
    );
    expect(readCohortIndex(file).samples[0]!.sr).toMatchObject({ size: 700, sizeUnit: 'spots' });
  });

  it('reads a figure as PNG bytes, and nothing outside the results folder', async () => {
    const f = cohortFigure(indexFile, 'C2');
    expect(f.mime).toBe('image/png');
    expect((await sharp(Buffer.from(f.base64, 'base64')).metadata()).width).toBe(40);
    expect(() => cohortFigure(indexFile, 'MOB2')).toThrow(/has no figure/);
    expect(() => cohortFigure(indexFile, 'nobody')).toThrow(/no sample "nobody"/);

    // An index edited to point elsewhere: outside the results, at the database, through a link out.
    const evil = join(tmp.dir, 'evil', 'cohort');
    mkdirSync(evil, { recursive: true });
    mkdirSync(join(evil, '..', 'samples', 'x'), { recursive: true });
    symlinkSync(join(out, 'samples', 'C2', 'domains.png'), join(evil, '..', 'samples', 'x', 'link.png'));
    const points = (figure: string) => {
      writeFileSync(join(evil, 'index.json'), JSON.stringify(index([{ ...ok, outputs: { figure } }])));
      return () => cohortFigure(join(evil, 'index.json'), 'C2');
    };
    expect(points(join(out, 'samples', 'C2', 'domains.png'))).toThrow(/outside|FORBIDDEN|not one of/);
    expect(points('../samples/C2/project/project.sqlite')).toThrow(/database/);
    expect(points('../samples/x/link.png')).toThrow(/outside the project folder/);
  });

  it('refuses a file that is not a cohort index, naming it', () => {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, '{"kind": "something else"}');
    expect(() => readCohortIndex(bad)).toThrow(new RegExp(`${bad} is not a cohort index: kind`));
    writeFileSync(bad, 'not json');
    expect(() => readCohortIndex(bad)).toThrow(/bad\.json is not JSON/);
    writeFileSync(bad, JSON.stringify(index([{ ...ok, status: 'weird' }])));
    expect(() => readCohortIndex(bad)).toThrow(/samples\.0\.status/);
  });
});

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { H5adFile } from '../../main/engine/export';
import { listFeatureSets } from '../../main/engine/features';
import { BUILTIN_FOR_HISTEX } from '../../main/engine/methods/histex';
import { openProject } from '../../main/engine/store/project';
import { getRun } from '../../main/engine/store/repos/runs';
import { stsr as runStsr } from '../helpers/cli';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);

describe('an SR run end to end on HER2ST C2 (tiny settings)', () => {
  it('trains HISTEX, clusters its superpixels and exports them as AnnData', async () => {
    const project = join(tmp.dir, 'p');
    expect(stsr('import', sharedData('her2st', 'C2'), '--project', project).code).toBe(0);
    const sr = stsr(
      'sr',
      'C2',
      '--method',
      'histex',
      '--genes',
      '10',
      '--epochs',
      '2',
      '--ensemble',
      '1',
      '--project',
      project,
    );
    expect(sr.code, sr.stderr).toBe(0);
    expect(sr.json).toMatchObject({ runId: 1, method: 'histex', genes: 10 });
    const n = sr.json.superpixels as number;
    expect(n).toBeGreaterThan(10_000);

    const cl = stsr('cluster', 'C2', '--run', '1', '--k', '4', '--project', project);
    expect(cl.code, cl.stderr).toBe(0);
    expect((cl.json.sizes as number[]).reduce((a, b) => a + b, 0)).toBe(n);

    const out = join(tmp.dir, 'c2-sr.h5ad');
    const ex = stsr(
      'export',
      'C2',
      '--run',
      '1',
      '--clustering',
      String(cl.json.clusteringId),
      '--out',
      out,
      '--project',
      project,
    );
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.json).toMatchObject({ nObs: n, nVars: 10 });
    const f = await H5adFile.open(out);
    try {
      expect(f.keys('obsm').sort()).toEqual(['X_latent', 'spatial']);
      expect(f.keys('obs')).toContain('domain');
    } finally {
      f.close();
    }
    // A spot clustering cannot label superpixels: refused with a pointer to what to do.
    const spots = stsr('cluster', 'C2', '--k', '3', '--project', project);
    const bad = stsr(
      'export',
      'C2',
      '--run',
      '1',
      '--clustering',
      String(spots.json.clusteringId),
      '--out',
      join(tmp.dir, 'x.h5ad'),
      '--project',
      project,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/labels spots/);
  });

  it('trains HISTEX on a stored feature set and refuses one that does not exist', () => {
    const project = join(tmp.dir, 'p');
    const fs = stsr('features', 'C2', '--project', project);
    expect(fs.code, fs.stderr).toBe(0);
    const fsId = fs.json.featureSetId as number;
    const args = ['--genes', '5', '--epochs', '1', '--ensemble', '1', '--project', project];
    const sr = stsr('sr', 'C2', '--feature-set', String(fsId), ...args);
    expect(sr.code, sr.stderr).toBe(0);
    expect(sr.json.featureSetId).toBe(fsId);
    const p = openProject(project);
    try {
      // The first run extracted the built-in set itself (stored as set 1); this one read set fsId.
      expect(listFeatureSets(p, 1).map((r) => [r.id, r.extractor])).toEqual([
        [1, 'builtin'],
        [fsId, 'builtin'],
      ]);
      expect(getRun(p.db, 1)!.params).toMatchObject({ featureSetId: 1 });
      // the built-in channels' principal components + HISTEX's rgb (3) and pos (2)
      expect(getRun(p.db, sr.json.runId as number)!.params).toMatchObject({
        featureSetId: fsId,
        featureDim: BUILTIN_FOR_HISTEX.components + 5,
      });
    } finally {
      p.close();
    }
    const missing = stsr('sr', 'C2', '--feature-set', '99', ...args);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Feature set 99 is not one of sample/);
  });
});

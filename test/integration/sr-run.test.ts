import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { H5adFile } from '../../main/engine/export';
import { listFeatureSets } from '../../main/engine/features';
import { BUILTIN_FOR_HISTEX } from '../../main/engine/methods/histex';
import { csrToDense, logNormalize } from '../../main/engine/analysis';
import { readArrayFile } from '../../main/engine/store/array-file';
import { openProject } from '../../main/engine/store/project';
import { loadSample } from '../../main/engine/store/sample-store';
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
    // honest budget: SR domains smooth the latent along the tissue (~2 min for C2 on a loaded 2-core machine)
  }, 600_000);

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

  it('stores the interpolation baseline as a 4× spot set: measured values kept, midpoints the mean of their ends', () => {
    const project = join(tmp.dir, 'p');
    const r = stsr('sr', 'C2', '--method', 'interp', '--fold', '4', '--genes', '20', '--project', project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ method: 'interp', fold: 4, genes: 20 });
    expect(r.json.generated as number).toBeGreaterThan(r.json.measured as number);
    const p = openProject(project);
    try {
      const run = getRun(p.db, r.json.runId as number)!;
      expect(run.result).toMatchObject({ kind: 'spots', fold: 4 });
      const a = run.arrays as { xy: string; measured: string; values: string };
      const read = (f: string) => readArrayFile(join(p.arraysDir, f));
      const values = read(a.values).data as Float32Array;
      const measured = read(a.measured).data as Uint8Array;
      const lattice = read(a.values.replace('values.arr', 'lattice.arr')).data as Float64Array;
      const G = 20;
      const sample = loadSample(p, 1);
      const genes = run.result.genes as number[];
      const truth = csrToDense(logNormalize(sample.counts, 1e4), { columns: genes }).data;
      // measured rows come first, in the sample's spot order (duplicates aside), unchanged
      const m = measured.reduce((s, v) => s + v, 0);
      for (let i = 0; i < m; i += 17)
        for (let g = 0; g < G; g++) expect(values[i * G + g]).toBeCloseTo(truth[i * G + g]!, 5);
      // a generated point half-way along a lattice row is the mean of its two measured ends
      const at = new Map<string, number>();
      for (let i = 0; i < m; i++) at.set(`${lattice[2 * i]},${lattice[2 * i + 1]}`, i);
      let checked = 0;
      for (let i = m; i < measured.length && checked < 10; i++) {
        const [la, lb] = [lattice[2 * i]!, lattice[2 * i + 1]!];
        if (!Number.isInteger(lb) || Number.isInteger(la)) continue;
        const left = at.get(`${la - 0.5},${lb}`);
        const right = at.get(`${la + 0.5},${lb}`);
        expect(left !== undefined && right !== undefined).toBe(true);
        for (let g = 0; g < G; g++)
          expect(values[i * G + g]).toBeCloseTo((values[left! * G + g]! + values[right! * G + g]!) / 2, 5);
        checked++;
      }
      expect(checked).toBe(10);
    } finally {
      p.close();
    }
  });
});

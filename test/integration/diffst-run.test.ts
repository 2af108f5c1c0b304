/**
 * A stored Diff-ST run on HER2ST C2 through the CLI (tiny preset): one run holds the mean map and
 * the SD over the samples as its uncertainty layer (array `sd`, read back through the run reader),
 * and the SR h5ad export carries the SD as layers['sd'], read back with anndata.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSuperpixels } from '../../main/engine/methods/registry';
import { parseRun } from '../../main/engine/methods/runs';
import { openProject } from '../../main/engine/store/project';
import { listRuns } from '../../main/engine/store/repos/runs';
import { loadSample } from '../../main/engine/store/sample-store';
import { stsr as runStsr } from '../helpers/cli';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);
const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);

describe('a stored Diff-ST run (HER2ST C2, tiny preset)', () => {
  it('stores its SD as the run’s uncertainty layer and exports it as an h5ad layer', () => {
    const project = join(tmp.dir, 'p');
    expect(stsr('import', sharedData('her2st', 'C2'), '--project', project).code).toBe(0);
    const sr = stsr(
      'sr',
      'C2',
      '--method',
      'diffst',
      '--preset',
      'tiny',
      '--genes',
      '6',
      '--project',
      project,
    );
    expect(sr.code, sr.stderr).toBe(0);
    const runId = sr.json.runId as number;

    const p = openProject(project);
    const run1 = { n: 0 }; // superpixels of the run, read below
    try {
      const rows = listRuns(p.db, 1);
      expect(rows).toHaveLength(1); // one run, not a second run for the SD
      const run = parseRun(rows[0]!);
      expect(run.kind).toBe('superpixels');
      if (run.kind !== 'superpixels') return;
      expect(run.uncertainty).toMatch(/SD of the K Diff-ST samples/);
      const reader = openSuperpixels(run, p.arraysDir, loadSample(p, 1));
      const sd = reader.uncertainty?.();
      expect(sd).toBeTruthy();
      const n = reader.index.length;
      run1.n = n;
      expect(sd!.index).toEqual(reader.index);
      const mean = reader.rows(0, n);
      const s = sd!.rows(0, n);
      expect(s.length).toBe(mean.length);
      let positive = 0;
      for (let i = 0; i < s.length; i++) {
        expect(s[i]).toBeGreaterThanOrEqual(0);
        if (s[i]! > 0) positive++;
      }
      expect(positive / s.length).toBeGreaterThan(0.3);
      expect(Array.from(s)).not.toEqual(Array.from(mean));
    } finally {
      p.close();
    }

    const out = join(tmp.dir, 'c2-diffst.h5ad');
    const ex = stsr('export', 'C2', '--run', String(runId), '--out', out, '--project', project);
    expect(ex.code, ex.stderr).toBe(0);
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-W',
        'ignore',
        '-c',
        `
import json, anndata, numpy as np
a = anndata.read_h5ad(${JSON.stringify(out)})
sd = np.asarray(a.layers['sd'])
print(json.dumps({'shape': list(a.shape), 'sd': list(sd.shape), 'min': float(sd.min()),
  'pos': float((sd > 0).mean()), 'meaning': str(a.uns['stsr']['layer_sd'])}))`,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(py.status, py.stderr).toBe(0);
    const o = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as {
      shape: number[];
      sd: number[];
      min: number;
      pos: number;
      meaning: string;
    };
    expect(o.shape).toEqual([run1.n, 6]);
    expect(o.sd).toEqual(o.shape);
    expect(o.min).toBeGreaterThanOrEqual(0);
    expect(o.pos).toBeGreaterThan(0.3);
    expect(o.meaning).toMatch(/SD of the K Diff-ST samples/);
  }, 900_000);
});

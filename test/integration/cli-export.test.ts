import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { H5adFile } from '../../main/engine/export';
import { stsr as runStsr } from '../helpers/cli';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);

describe('stsr import → cluster → export → figure on HER2ST B1', () => {
  const project = join(tmp.dir, 'p');
  it('runs the whole headless path and each output reads back', async () => {
    const imp = stsr('import', sharedData('her2st', 'B1'), '--project', project);
    expect(imp.code).toBe(0);
    expect(imp.json).toMatchObject({ name: 'B1', spots: 295, genes: 15109, reader: 'legacy-st' });

    const cl = stsr('cluster', 'B1', '--k', '4', '--seed', '1', '--project', project);
    expect(cl.code).toBe(0);
    expect((cl.json.sizes as number[]).reduce((a, b) => a + b, 0)).toBe(295);
    expect(cl.json.agreement).toHaveProperty('label');

    const h5 = join(tmp.dir, 'b1.h5ad');
    const ex = stsr(
      'export',
      'B1',
      '--clustering',
      String(cl.json.clusteringId),
      '--out',
      h5,
      '--project',
      project,
    );
    expect(ex.code).toBe(0);
    expect(ex.json).toMatchObject({ path: h5, nObs: 295, nVars: 15109 });
    const f = await H5adFile.open(h5);
    try {
      expect(f.keys('obs')).toContain('domain');
      expect(f.keys('obs')).toContain('label');
    } finally {
      f.close();
    }

    const geo = join(tmp.dir, 'b1.geojson');
    expect(stsr('export', 'B1', '--out', geo, '--project', project).code).toBe(0);
    const fc = JSON.parse(readFileSync(geo, 'utf8')) as { type: string; features: unknown[] };
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(295);

    const png = join(tmp.dir, 'b1.png');
    const fig = stsr(
      'figure',
      'B1',
      '--gene',
      'ERBB2',
      '--width',
      '800',
      '--height',
      '600',
      '--out',
      png,
      '--project',
      project,
    );
    expect(fig.code).toBe(0);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([800, 600]);
  });

  it('says what is wrong with bad arguments, with the documented exit codes', () => {
    const noOut = stsr('export', 'B1', '--project', project);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out FILE is required/);
    const wrong = stsr('export', 'B1', '--out', join(tmp.dir, 'x.xlsx'), '--project', project);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Unknown format "xlsx"/);
    const missing = stsr('export', 'Z9', '--out', join(tmp.dir, 'z.h5ad'), '--project', project);
    expect(missing.code).toBe(3);
    expect(existsSync(join(tmp.dir, 'z.h5ad'))).toBe(false);
    const badK = stsr('cluster', 'B1', '--k', '1', '--project', project);
    expect(badK.code).toBe(2);
  });
});

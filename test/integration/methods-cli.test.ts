/**
 * `stsr methods`: the method registry on the command line, which batch tools (the cohort workflow)
 * read instead of a list of names. It lists exactly what the registry holds, adds a plugin's
 * methods with --plugin, and refuses a --project that is not a project without creating one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listMethodIds } from '../../main/engine/methods/registry';
import { stsr as runStsr } from '../helpers/cli';
import { repoRoot } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);
const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);
const PLUGIN = join(repoRoot, 'test', 'fixtures', 'plugins', 'coarse-times.ts');

type Listed = {
  id: string;
  kind: string;
  needs: { featureSet: string };
  presets: object;
  plugin: string | null;
};

describe('stsr methods', () => {
  it('lists the registry, plugins included, with needs and presets', () => {
    const r = stsr('methods');
    expect(r.code, r.stderr).toBe(0);
    const methods = r.json.methods as Listed[];
    expect(methods.map((m) => m.id)).toEqual(listMethodIds());
    expect(methods.find((m) => m.id === 'histex')).toMatchObject({
      kind: 'superpixels',
      needs: { featureSet: 'optional' },
      plugin: null,
    });
    expect(methods.find((m) => m.id === 'interp')).toMatchObject({
      kind: 'spots',
      needs: { featureSet: 'none' },
    });

    const withPlugin = stsr('methods', '--plugin', PLUGIN);
    expect(withPlugin.code, withPlugin.stderr).toBe(0);
    const added = (withPlugin.json.methods as Listed[]).find((m) => m.id === 'coarse-times');
    expect(added).toMatchObject({ plugin: PLUGIN, presets: { default: {}, triple: { factor: 3 } } });
  });

  it('refuses a --project that is not a project, and creates none', () => {
    const dir = join(tmp.dir, 'not-a-project');
    const r = stsr('methods', '--project', dir);
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 3 } });
    expect(existsSync(dir)).toBe(false);
    expect(stsr('methods', 'extra').code).toBe(2);
  });
});

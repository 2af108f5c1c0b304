import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, openProject } from '../../../main/engine/store/project';
import { listSamples } from '../../../main/engine/store/repos/samples';
import { TASKS } from '../../../main/engine/tasks';
import { repoRoot, sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

interface BuildScript {
  buildElectron(out: string): Promise<string>;
  EXTERNALS: string[];
  electronVersion(): string;
}

const tmp = makeTempDir();
// Inside the checkout (dist/ is git-ignored) so the bundles resolve the native externals from
// node_modules exactly as dist-electron/ does.
mkdirSync(join(repoRoot, 'dist'), { recursive: true });
const out = mkdtempSync(join(repoRoot, 'dist', 'electron-bundle-test-'));
let script: BuildScript;

beforeAll(async () => {
  script = (await import(pathToFileURL(join(repoRoot, 'scripts', 'build-electron.mjs')).href)) as BuildScript;
  await script.buildElectron(out);
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  tmp.cleanup();
});

function requires(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
}

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const staticImports = [...src.matchAll(/^import\s[^;]*?\bfrom\s+"([^"]+)";$/gm)].map((m) => m[1]!);
  const dynamicImports = [...src.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1]!);
  return [...staticImports, ...dynamicImports];
}

const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);
const packageOf = (name: string) =>
  name
    .split('/')
    .slice(0, name.startsWith('@') ? 2 : 1)
    .join('/');

describe('Electron bundles (scripts/build-electron.mjs)', () => {
  it('bundles a sandbox-compatible preload: CommonJS, only electron, no zod', () => {
    const preload = join(out, 'preload.cjs');
    expect(requires(preload)).toEqual(['electron']);
    const src = readFileSync(preload, 'utf8');
    expect(src).not.toMatch(/safeParse|ZodError|import\s|export\s/);
    expect(statSync(preload).size).toBeLessThan(10_000);
    expect(src).toContain('exposeInMainWorld("stsr"');
  });

  it('bundles main as CommonJS needing only Node built-ins and the native externals', () => {
    const main = join(out, 'main.cjs');
    const external = new Set(script.EXTERNALS);
    for (const r of requires(main)) expect(isBuiltin(r) || external.has(packageOf(r)), r).toBe(true);
    expect(readFileSync(main, 'utf8')).not.toMatch(/import\.meta/);
  });

  it('lays out the job worker and every task the engine knows beside main.cjs, without tsx', () => {
    expect(existsSync(join(out, 'worker-entry.mjs'))).toBe(true);
    // the service thread's module (layers.srValues) is found the same way as the tasks
    expect(existsSync(join(out, 'sr-values-layer.js'))).toBe(true);
    for (const def of TASKS.values()) {
      const js = join(out, basename(def.module).replace(/\.ts$/, '.js'));
      expect(existsSync(js), js).toBe(true);
      for (const i of importsOf(js).filter((s) => !s.startsWith('.'))) {
        expect(isBuiltin(i) || script.EXTERNALS.includes(packageOf(i)), `${js} imports ${i}`).toBe(true);
      }
    }
  });

  it('runs the bundled import task in the bundled worker on a real sample', async () => {
    const project = createProject(join(tmp.dir, 'proj'));
    project.close();
    const worker = new Worker(join(out, 'worker-entry.mjs'), {
      workerData: {
        modulePath: join(out, 'import-sample.js'),
        params: { path: sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'), name: 'bundled' },
        projectDir: project.dir,
        jobId: 1,
      },
    });
    const result = await new Promise<{ type: string; result?: { spots: number }; error?: unknown }>(
      (resolve, reject) => {
        worker.on('message', (m: { type: string }) => {
          if (m.type === 'done' || m.type === 'error') resolve(m);
        });
        worker.on('error', reject);
      },
    );
    await worker.terminate();
    expect(result.type, JSON.stringify(result.error)).toBe('done');
    expect(result.result?.spots).toBeGreaterThan(100);
    const reopened = openProject(project.dir);
    expect(listSamples(reopened.db).map((r) => r.name)).toEqual(['bundled']);
    reopened.close();
  });

  it('pins electron-builder to the installed Electron version', () => {
    const yml = readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8');
    expect(yml).toMatch(
      new RegExp(`^electronVersion: ${script.electronVersion().replace(/\./g, '\\.')}$`, 'm'),
    );
  });
});

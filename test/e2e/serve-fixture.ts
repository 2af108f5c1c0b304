import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, type Page } from '@playwright/test';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Served {
  url: string;
  origin: string;
  token: string;
  home: string;
  workDir: string;
  proc: ChildProcess;
}

/** Starts browser mode exactly as `npm run serve` does and hands the printed URL to the test. */
export async function startServe(args: string[] = []): Promise<Served> {
  const workDir = mkdtempSync(join(tmpdir(), 'stsr-e2e-'));
  const home = join(workDir, 'home');
  const proc = spawn(process.execPath, [join(repoRoot, 'scripts', 'serve.mjs'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, STSR_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`serve did not print a URL in time. stderr:\n${stderr}`)),
      120_000,
    );
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[0]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  const u = new URL(url);
  return { url, origin: u.origin, token: u.searchParams.get('token')!, home, workDir, proc };
}

export async function stopServe(s: Served): Promise<void> {
  if (s.proc.exitCode === null) {
    const exited = new Promise((r) => s.proc.once('exit', r));
    s.proc.kill('SIGTERM');
    await exited;
  }
  rmSync(s.workDir, { recursive: true, force: true });
}

export const test = base.extend<{ served: Served }>({
  // Playwright reads fixture dependencies from this destructuring: it must be an object pattern.
  // eslint-disable-next-line no-empty-pattern
  served: async ({}, use) => {
    const s = await startServe();
    await use(s);
    await stopServe(s);
  },
});
export { expect } from '@playwright/test';

/** The first minute of every workflow: open the served app, create a project, import a sample, select it. */
export async function createProjectAndImport(
  page: Page,
  served: Served,
  project: string,
  samplePath: string,
  sampleName: RegExp,
) {
  await page.goto(served.url);
  const create = page.getByRole('form', { name: 'Create project' });
  await create.getByLabel('Folder').fill(join(served.workDir, project));
  await create.getByRole('button', { name: 'Create project' }).click();
  const form = page.getByRole('form', { name: 'Import sample' });
  await form.getByPlaceholder('Folder or .h5ad file').fill(samplePath);
  await form.getByRole('button', { name: 'Import' }).click();
  await page.getByRole('button', { name: sampleName }).click({ timeout: 240_000 });
  await page.keyboard.press('Escape');
}

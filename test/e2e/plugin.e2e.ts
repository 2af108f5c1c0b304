import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '../helpers/paths';
import { expect, repoRoot, startServe, stopServe, test } from './serve-fixture';

const PLUGIN = join(repoRoot, 'test', 'fixtures', 'plugins', 'coarse-times.ts');

// A project whose settings name an SR method plugin: the served app offers that method in the SR
// panel beside the built-in ones, with its own option fields and presets (from methods.list).
test('a plugin method named in the project settings appears in the SR panel', async ({ page }) => {
  test.setTimeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'stsr-plugin-e2e-'));
  const project = join(dir, 'p');
  const stsr = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'stsr.mjs'), ...args, '--project', project],
      {
        encoding: 'utf8',
        env: { ...process.env, STSR_HOME: join(dir, 'home') },
      },
    );
    expect(r.status, r.stderr).toBe(0);
  };
  stsr('import', sharedData('her2st', 'C2'));
  stsr('project', 'plugins', PLUGIN);
  const served = await startServe(['--project', project]);
  try {
    await page.goto(served.url);
    await page.getByRole('button', { name: /C2/ }).click({ timeout: 120_000 });
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'SR', exact: true }).click();
    const panel = page.getByRole('complementary', { name: 'Super-resolution' });
    const select = panel.getByLabel('SR method');
    await expect(select.locator('option', { hasText: 'Coarse × constant (test plugin)' })).toHaveCount(1);
    await select.selectOption('coarse-times');
    await expect(panel.getByLabel('Factor')).toHaveValue('2');
    await panel.getByLabel('Preset').selectOption('triple');
    await expect(panel.getByLabel('Factor')).toHaveValue('3');
    await expect(panel.getByRole('button', { name: 'Run' })).toBeVisible();
  } finally {
    await stopServe(served);
    rmSync(dir, { recursive: true, force: true });
  }
});

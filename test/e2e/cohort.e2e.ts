/**
 * The read-only cohort view in browser mode (docs/cohort.md): a cohort index as the workflow
 * writes it, with one finished sample (a real project imported by the CLI, and a figure) and one
 * failed sample; the picker opens it, the table and the figure show, the failure's reason shows,
 * and "Open project" opens the sample's own project, from which the cohort is one click away.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { expect, repoRoot, test } from './serve-fixture';

test('browser mode: a cohort opens read-only and opens a sample project', async ({ page, served }) => {
  const results = join(served.workDir, 'her2-cohort');
  const project = join(results, 'samples', 'MOB1', 'project');
  const imp = spawnSync(
    process.execPath,
    [
      join(repoRoot, 'bin', 'stsr.mjs'),
      'import',
      join(repoRoot, '..', 'shared', 'data', 'mob', 'MOB1'),
    ].concat(['--project', project, '--json', '--threads', '1']),
    { encoding: 'utf8', env: { ...process.env, STSR_HOME: served.home } },
  );
  expect(imp.status, imp.stderr).toBe(0);
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#2e5a7a' } })
    .png()
    .toFile(join(results, 'samples', 'MOB1', 'domains.png'));
  mkdirSync(join(results, 'cohort'));
  const entry = (name: string) => ({ name, project: `../samples/${name}/project` });
  writeFileSync(
    join(results, 'cohort', 'index.incomplete.json'),
    JSON.stringify({
      kind: 'stsr-cohort',
      version: 1,
      created: '2026-12-07 03:00 UTC',
      complete: false,
      counts: { samples: 2, ok: 1, failed: 1 },
      samples: [
        {
          ...entry('MOB1'),
          status: 'ok',
          counts: { spots: 379, genes: 1000 },
          sr: { runId: 1, method: 'histex', genes: 20, superpixels: 56805, finalLoss: 0.4321 },
          clustering: { k: 4, sizes: [100, 100, 100, 79], agreement: {} },
          outputs: { figure: '../samples/MOB1/domains.png' },
          steps: {
            import: { seconds: 22.2, max_rss_mb: 284 },
            features: { seconds: 85.6, max_rss_mb: 714 },
            sr: { seconds: 130.5, max_rss_mb: 532 },
            cluster: { seconds: 17.5, max_rss_mb: 173 },
            export: { seconds: 40, max_rss_mb: 500 },
          },
        },
        {
          ...entry('MOB2'),
          status: 'failed',
          steps: { import: { seconds: 14.2, max_rss_mb: 300 } },
          failures: [
            {
              step: 'import',
              code: 'BAD_INPUT',
              message: 'MOB2.tsv line 4: count "zero" is not a finite number.',
              exitCode: 2,
            },
          ],
        },
      ],
    }),
  );

  await page.goto(served.url);
  const form = page.getByRole('form', { name: 'Open cohort' });
  await form.getByLabel('Index or results folder').fill(results);
  await form.getByRole('button', { name: 'Open cohort' }).click();

  const view = page.getByRole('main', { name: 'Cohort' });
  await expect(view.getByRole('heading', { name: 'her2-cohort' })).toBeVisible();
  await expect(view).toContainText('1 of 2 samples finished · 1 failed · read-only');
  await expect(view.getByRole('status')).toContainText('Incomplete');
  const mob1 = view.getByRole('row', { name: /MOB1/ });
  await expect(mob1).toContainText('HISTEX');
  await expect(mob1).toContainText('56805 superpixels');
  await expect(mob1).toContainText('296 s'); // 22.2 + 85.6 + 130.5 + 17.5 + 40
  await expect(mob1).toContainText('714');
  const figure = view.getByRole('img', { name: 'MOB1: tissue domains' });
  await expect(figure).toBeVisible();
  // a string expression: the node typecheck has no DOM types
  expect(await page.evaluate('document.querySelector(".cohort-figure").naturalWidth')).toBe(300);
  await page.screenshot({ path: 'test-results/screenshots/cohort-view.png' });

  await view.getByRole('row', { name: /MOB2/ }).click();
  const detail = view.getByRole('complementary', { name: 'Sample MOB2' });
  await expect(detail).toContainText('import (BAD_INPUT, exit 2): MOB2.tsv line 4');
  await expect(
    view.getByRole('row', { name: /MOB2/ }).getByRole('button', { name: 'Open project' }),
  ).toBeDisabled();

  await mob1.getByRole('button', { name: 'Open project' }).click();
  await expect(page.locator('.project-name')).toHaveText('project');
  await expect(page.getByRole('button', { name: /MOB1/ })).toBeVisible();
  await page.getByRole('button', { name: 'Cohort her2-cohort' }).click();
  await expect(view.getByRole('heading', { name: 'her2-cohort' })).toBeVisible();

  // Listed for next time; nothing was written into the cohort's folder by opening it.
  const recent = await page.request.post(`${served.origin}/api/cohort.recent`, { data: {} });
  expect(((await recent.json()) as { value: { file: string }[] }).value[0]!.file).toBe(
    join(results, 'cohort', 'index.incomplete.json'),
  );
});

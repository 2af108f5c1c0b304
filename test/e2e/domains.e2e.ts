import { sharedData } from '../helpers/paths';
import { createProjectAndImport, expect, test } from './serve-fixture';

test('domains on HER2ST B1: cluster, see ARI, rename, merge and undo, markers chart, export h5ad', async ({
  page,
  served,
}) => {
  test.setTimeout(240_000);
  await createProjectAndImport(page, served, 'b1', sharedData('her2st', 'B1'), /B1/);

  await page.getByRole('button', { name: 'Domains', exact: true }).click();
  const panel = page.getByRole('complementary', { name: 'Domains' });
  await expect(panel.getByLabel('Number of domains')).toHaveValue('4'); // B1 has 4 labelled classes
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel.getByTestId('agreement')).toContainText('ARI vs label', { timeout: 120_000 });
  await expect(page.getByTestId('markers-chart').locator('.main-svg').first()).toBeVisible({
    timeout: 30_000,
  });

  const name = panel.getByLabel('Name of domain 1');
  await name.fill('Stroma');
  await name.press('Enter');
  await expect(panel.getByLabel('Name of domain 1')).toHaveValue('Stroma');
  await panel.getByLabel('Merge Domain 4').selectOption({ label: 'into Domain 3' });
  await expect(panel.locator('li.merged')).toHaveCount(1);
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.keyboard.press('Control+z');
  await expect(panel.locator('li.merged')).toHaveCount(0);
  await expect(panel.getByLabel('Name of domain 1')).toHaveValue('Stroma');
  await page.screenshot({ path: 'test-results/screenshots/b1-domains.png' });

  // Save as… → AnnData with this clustering's domains as an obs column
  await page.getByRole('button', { name: 'Save as…' }).click();
  const dialog = page.getByRole('form', { name: 'Export' });
  await dialog.getByLabel('Export format').selectOption('h5ad');
  await dialog
    .getByLabel(/Include clustering #\d+/)
    .first()
    .check();
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await page.keyboard.press('j');
  const link = page.getByRole('link', { name: /Download B1-.*\.h5ad/ });
  await expect(link).toBeVisible({ timeout: 60_000 });
  const res = await page.request.get(
    await link.getAttribute('href').then((h) => new URL(h!, served.origin).href),
  );
  expect(res.status()).toBe(200);
  expect((await res.body()).subarray(0, 8).toString('latin1')).toBe('\x89HDF\r\n\x1a\n');
});

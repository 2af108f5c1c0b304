import { sharedData } from '../helpers/paths';
import { createProjectAndImport, expect, test } from './serve-fixture';

test('HISTEX on HER2ST C2 from the UI: loss curve, then the ERBB2 SR layer over the slide', async ({
  page,
  served,
}) => {
  test.setTimeout(600_000);
  await createProjectAndImport(page, served, 'c2', sharedData('her2st', 'C2'), /C2/);

  await page.getByLabel('Gene').fill('ERBB2');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'SR', exact: true }).click();
  const panel = page.getByRole('complementary', { name: 'Super-resolution' });
  // the method's options are fields from methods.list; fewer genes than HISTEX's default 1000
  await panel.getByLabel('Genes').fill('200');
  await panel.getByLabel('Epochs').fill('3');
  await panel.getByRole('button', { name: 'Train' }).click();
  await expect(panel.getByTestId('loss-chart')).toBeVisible();
  await expect(panel.getByRole('img', { name: /Training loss/ })).toBeVisible({ timeout: 240_000 });
  await page.screenshot({ path: 'test-results/screenshots/c2-histex-training.png' });

  const srTile = page.waitForResponse(
    (r) => /\/files\/layers\/srv-\d+-\w+-\d+\.f32$/.test(r.url()) && r.status() === 200,
    {
      timeout: 240_000,
    },
  );
  await expect(panel.getByLabel('SR run')).toBeVisible({ timeout: 240_000 });
  await srTile;
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'test-results/screenshots/c2-histex-erbb2-sr.png' });
  await panel.getByLabel('side by side').check();
  await expect(page.getByTestId('split-view').getByTestId('slide-viewer')).toHaveCount(2);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'test-results/screenshots/c2-observed-vs-sr.png' });
  await panel.getByLabel('side by side').uncheck();

  // SR domains: k-means on the run's superpixel latent, drawn as a layer.
  await page.getByRole('button', { name: 'Domains', exact: true }).click();
  const domains = page.getByRole('complementary', { name: 'Domains' });
  await domains.getByLabel('Cluster what').selectOption({ index: 1 });
  const layer = page.waitForResponse(
    (r) => /\/files\/layers\/domains-\d+-\w+\.png$/.test(r.url()) && r.status() === 200,
    {
      timeout: 240_000,
    },
  );
  await domains.getByRole('button', { name: 'Run' }).click();
  await layer;
  await expect(domains.getByLabel('Clustering')).toContainText('superpixel');
  await page.waitForTimeout(1000);
  await page.screenshot({ path: 'test-results/screenshots/c2-sr-domains.png' });
  await page.getByRole('button', { name: 'SR', exact: true }).click();

  // HisToSGE 4×: the generated spots replace the measured ones in the viewer.
  await panel.getByLabel('SR method').selectOption('histosge');
  await panel.getByLabel('Epochs').fill('10');
  const spotSet = page.waitForResponse((r) => r.url().endsWith('/api/layers.spotSet') && r.status() === 200, {
    timeout: 240_000,
  });
  await panel.getByRole('button', { name: 'Train' }).click();
  await expect(panel.getByLabel('SR run').locator('option', { hasText: 'histosge spots' })).toHaveCount(1, {
    timeout: 240_000,
  });
  const set = (await (await spotSet).json()) as { ok: boolean; value: { x: number[]; measured: number[] } };
  expect(set.ok).toBe(true);
  const generated = set.value.measured.filter((m) => m === 0).length;
  expect(generated).toBeGreaterThan(set.value.measured.length / 2);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: 'test-results/screenshots/c2-histosge-4x.png' });

  // The interpolation baseline on the same lattice: no training, no epochs.
  await panel.getByLabel('SR method').selectOption('interp');
  await expect(panel.getByLabel('Epochs')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel.getByLabel('SR run').locator('option', { hasText: 'interp spots' })).toHaveCount(1, {
    timeout: 60_000,
  });

  // Feature sets are choices of histology input for HISTEX: the one the first HISTEX run extracted
  // for itself, and one extracted now.
  await panel.getByRole('button', { name: 'extract features' }).click();
  const histology = panel.getByLabel('Histology features');
  await panel.getByLabel('SR method').selectOption('histex');
  await expect(histology.locator('option', { hasText: /builtin \(66-d\)/ })).toHaveCount(2, {
    timeout: 120_000,
  });
  await histology.selectOption({ label: (await histology.locator('option').nth(2).textContent())! });
  await panel.getByLabel('Genes').fill('200');
  await panel.getByLabel('Epochs').fill('1');
  await panel.getByRole('button', { name: 'Train' }).click();
  await expect(panel.getByLabel('SR run').locator('option', { hasText: /histex: \d+ genes/ })).toHaveCount(
    2,
    {
      timeout: 240_000,
    },
  );
});

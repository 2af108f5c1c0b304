import sharp from 'sharp';
import { sharedData } from '../helpers/paths';
import { createProjectAndImport, expect, test } from './serve-fixture';

/** A screenshot that is not one flat colour (a blank or unpainted layer would be). */
async function expectNotBlank(png: Buffer) {
  const { channels } = await sharp(png).stats();
  const spread = Math.max(...channels.slice(0, 3).map((c) => c.stdev));
  expect(spread).toBeGreaterThan(8);
}

// Diff-ST (tiny preset) trained from the SR panel on HER2ST C2: its mean map is the SR layer and
// the SD over its samples the "SR uncertainty" layer, each drawn over the slide on its own.
test('Diff-ST on HER2ST C2 from the UI: the SR layer and its uncertainty layer', async ({ page, served }) => {
  test.setTimeout(600_000);
  await createProjectAndImport(page, served, 'c2-diffst', sharedData('her2st', 'C2'), /C2/);

  await page.getByLabel('Gene').fill('ERBB2');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'SR', exact: true }).click();
  const panel = page.getByRole('complementary', { name: 'Super-resolution' });
  await panel.getByLabel('SR method').selectOption('diffst');
  await panel.getByLabel('Preset').selectOption('tiny');
  await panel.getByLabel('Genes').fill('8');

  const mean = page.waitForResponse(
    (r) => /\/files\/layers\/srv-\d+-\w+-\d+\.f32$/.test(r.url()) && r.status() === 200,
    { timeout: 480_000 },
  );
  const sd = page.waitForResponse(
    (r) => /\/files\/layers\/srv-\d+-\w+-\d+-sd\.f32$/.test(r.url()) && r.status() === 200,
    { timeout: 480_000 },
  );
  await panel.getByRole('button', { name: 'Train' }).click();
  await expect(panel.getByLabel('SR run').locator('option', { hasText: /diff/i })).toHaveCount(1, {
    timeout: 480_000,
  });
  await Promise.all([mean, sd]);
  await page.getByRole('button', { name: 'SR', exact: true }).click(); // close the panel
  const legend = page.locator('.legend');
  await expect(legend).toContainText('ERBB2 uncertainty');
  await expect(legend).toContainText('SD of the K Diff-ST samples');

  // Each layer alone over the slide (the others hidden in the layer panel).
  const layers = page.getByRole('complementary', { name: 'Layers' });
  const toggle = (name: string) => layers.getByRole('checkbox', { name: `Show ${name}` });
  const viewer = page.getByTestId('slide-viewer').first();
  for (const hide of ['Observed spots', 'H&E slide'])
    if (await toggle(hide).isChecked()) await toggle(hide).uncheck();

  await toggle('SR uncertainty').uncheck();
  await expect(toggle('SR map')).toBeChecked();
  await page.waitForTimeout(1000);
  const srShot = await viewer.screenshot({ path: 'test-results/screenshots/c2-diffst-sr.png' });
  await expectNotBlank(srShot);

  await toggle('SR map').uncheck();
  await toggle('SR uncertainty').check();
  await page.waitForTimeout(1000);
  const sdShot = await viewer.screenshot({ path: 'test-results/screenshots/c2-diffst-uncertainty.png' });
  await expectNotBlank(sdShot);
  expect(Buffer.compare(srShot, sdShot)).not.toBe(0);
});

import sharp from 'sharp';
import { sharedData } from '../helpers/paths';
import { createProjectAndImport, expect, test } from './serve-fixture';

/** A layer tile is not blank: some opaque pixels, and they are not all one colour. */
async function expectNonBlank(png: Buffer): Promise<void> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  let opaque = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    if (data[i * 4 + 3]! > 0) {
      opaque++;
      colours.add((data[i * 4]! << 16) | (data[i * 4 + 1]! << 8) | data[i * 4 + 2]!);
    }
  }
  expect(opaque).toBeGreaterThan(50);
  expect(colours.size).toBeGreaterThan(3);
}

test('Diff-ST (tiny) on HER2ST C2 from the UI: its SR layer and its uncertainty layer', async ({
  page,
  served,
}) => {
  test.setTimeout(900_000);
  await createProjectAndImport(page, served, 'c2', sharedData('her2st', 'C2'), /C2/);
  await page.getByLabel('Gene').fill('ERBB2');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('button', { name: 'SR', exact: true }).click();
  const panel = page.getByRole('complementary', { name: 'Super-resolution' });
  await panel.getByLabel('SR method').selectOption('diffst');
  await panel.getByLabel('Preset').selectOption('tiny');
  await panel.getByLabel('Genes').fill('20');
  const firstTile = page.waitForResponse(
    (r) => /\/files\/layers\/sr-\d+-\d+\.png$/.test(r.url()) && r.status() === 200,
    { timeout: 600_000 },
  );
  await panel.getByRole('button', { name: 'Train' }).click();
  const runs = panel.getByLabel('SR run');
  await expect(runs.locator('option', { hasText: /Diff-ST uncertainty/ })).toHaveCount(1, {
    timeout: 600_000,
  });
  await expectNonBlank(await (await firstTile).body());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'test-results/screenshots/c2-diffst-sr.png' });

  const sdTile = page.waitForResponse(
    (r) => /\/files\/layers\/sr-\d+-\d+\.png$/.test(r.url()) && r.status() === 200,
    { timeout: 120_000 },
  );
  await runs.selectOption({
    label: (await runs.locator('option', { hasText: /Diff-ST uncertainty/ }).textContent())!,
  });
  await expectNonBlank(await (await sdTile).body());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'test-results/screenshots/c2-diffst-uncertainty.png' });
  // the run's label is the layer's one-line explanation
  await expect(runs.locator('option:checked')).toContainText('SD of the K samples');
});

import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { sharedData } from '../helpers/paths';
import { expect, test } from './serve-fixture';

/** A digest of the spots canvas, to see whether the drawn colours changed. */
async function canvasDigest(page: Page): Promise<{ painted: number; sum: number }> {
  return page.getByTestId('spots-canvas').evaluate((c) => {
    // Runs in the page; typed structurally because the node tsconfig has no DOM library.
    const canvas = c as unknown as {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 0) {
        painted++;
        sum += data[i]! * 3 + data[i + 1]! * 5 + data[i + 2]! * 7;
      }
    }
    return { painted, sum };
  });
}

test('import HER2ST C2 through the UI, see the slide and spots, colour them by ERBB2', async ({
  page,
  served,
}) => {
  test.setTimeout(240_000);
  await page.goto(served.url);
  const create = page.getByRole('form', { name: 'Create project' });
  await create.getByLabel('Folder').fill(join(served.workDir, 'her2st'));
  await create.getByRole('button', { name: 'Create project' }).click();

  const form = page.getByRole('form', { name: 'Import sample' });
  await form.getByPlaceholder('Folder or .h5ad file').fill(sharedData('her2st', 'C2'));
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('complementary', { name: 'Jobs' })).toBeVisible();
  const sample = page.getByRole('button', { name: /C2/ });
  await expect(sample).toBeVisible({ timeout: 180_000 });
  await sample.click();

  // The slide pyramid loads through /files/ (token cookie) and OpenSeadragon draws it.
  const tile = page.waitForResponse(
    (r) => /\/files\/pyramids\/.+\.(jpeg|jpg)$/.test(r.url()) && r.status() === 200,
  );
  await expect(page.getByTestId('slide-viewer')).toBeVisible();
  await tile;
  await page.waitForTimeout(1500);
  const before = await canvasDigest(page);
  expect(before.painted).toBeGreaterThan(1000);

  await page.getByLabel('Gene').fill('ERBB2');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('colorbar')).toContainText('ERBB2');
  await page.waitForTimeout(500);
  const after = await canvasDigest(page);
  expect(after.sum).not.toBe(before.sum);
  await page.screenshot({ path: 'test-results/screenshots/her2st-c2-erbb2.png' });
});

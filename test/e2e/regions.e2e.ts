import type { Page } from '@playwright/test';
import { sharedData } from '../helpers/paths';
import { createProjectAndImport, expect, test } from './serve-fixture';

/** Calls the bridge from the page (same cookie and origin as the UI). */
async function call<T>(page: Page, method: string, body: unknown): Promise<T> {
  const r = await page.evaluate(
    async ([m, b]) =>
      (await fetch(`/api/${m as string}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      }).then((x) => x.json())) as { ok: boolean; value: unknown },
    [method, body] as const,
  );
  expect(r.ok, method).toBe(true);
  return r.value as T;
}

function inside(ring: number[][], x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi! > y !== yj! > y && x < ((xj! - xi!) * (y - yi!)) / (yj! - yi!) + xi!) c = !c;
  }
  return c;
}

test('regions on HER2ST C2: draw and label a polygon, statistics equal an independent count, GeoJSON, undo/redo', async ({
  page,
  served,
}) => {
  test.setTimeout(300_000);
  await createProjectAndImport(page, served, 'c2', sharedData('her2st', 'C2'), /C2/);
  await page.getByRole('button', { name: 'Regions' }).click();
  const panel = page.getByRole('complementary', { name: 'Regions' });
  await panel.getByLabel('Label for new regions').fill('Invasive');
  await panel.getByRole('button', { name: 'Polygon' }).click();
  // The layer panel floats over the viewer's left edge: hide it so the clicks reach the slide.
  const layersButton = page.getByRole('button', { name: 'Layers', exact: true });
  await layersButton.click();
  await layersButton.blur(); // Enter below finishes the polygon; it must not press this button again
  await expect(page.getByRole('complementary', { name: 'Layers' })).toHaveCount(0);

  const box = (await page.getByTestId('slide-viewer').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const d = Math.min(box.width, box.height) / 5;
  for (const [dx, dy] of [
    [-d, -d],
    [d, -d * 0.8],
    [d * 1.1, d],
    [-d * 0.9, d * 1.1],
  ])
    await page.mouse.click(cx + dx!, cy + dy!);
  await page.keyboard.press('Enter');
  const list = panel.getByTestId('region-list');
  await expect(list.locator('li')).toHaveCount(1);
  await expect(list.getByLabel(/Label of region/)).toHaveValue('Invasive');
  await expect(page.getByTestId('region-overlay').locator('path')).toHaveCount(1);
  await page.screenshot({ path: 'test-results/screenshots/c2-region-drawn.png' });

  await panel.getByLabel('Genes for region statistics').fill('ERBB2');
  await panel.getByRole('button', { name: 'Compute statistics' }).click();
  const stats = panel.getByTestId('region-stats');
  await expect(stats).toBeVisible({ timeout: 60_000 });
  await expect(stats.getByTestId('region-top-genes').locator('tbody tr')).toHaveCount(10);
  await page.screenshot({ path: 'test-results/screenshots/c2-region-stats.png' });

  // Independent computation from the spot positions and counts the API serves.
  const [region] = await call<{ geometry: { coordinates: number[][][] } }[]>(page, 'annotations.list', {
    sampleId: 1,
  });
  const detail = await call<{ x: number[]; y: number[]; summary: { umPerPx: number } }>(page, 'samples.get', {
    sampleId: 1,
  });
  const ring = region!.geometry.coordinates[0]!;
  const hits = detail.x.map((x, i) => inside(ring, x, detail.y[i]!));
  const n = hits.filter(Boolean).length;
  expect(n).toBeGreaterThan(5);
  await expect(stats.getByTestId('stat-spots')).toHaveText(String(n));
  let area = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++)
    area += ring[j]![0]! * ring[i]![1]! - ring[i]![0]! * ring[j]![1]!;
  const mm2 = (Math.abs(area) / 2) * detail.summary.umPerPx ** 2 * 1e-6;
  await expect(stats.getByTestId('stat-area')).toHaveText(mm2.toFixed(3));
  const genes = await call<{ index: number; symbol: string }[]>(page, 'samples.genes', {
    sampleId: 1,
    query: 'ERBB2',
  });
  const erbb2 = genes.find((g) => g.symbol === 'ERBB2')!;
  const expr = await call<{ values: number[] }>(page, 'samples.expression', {
    sampleId: 1,
    gene: erbb2.index,
    scale: 'counts',
  });
  const mean = expr.values.reduce((a, v, i) => a + (hits[i] ? v : 0), 0) / n;
  await expect(stats.getByTestId('stat-gene-ERBB2').getByTestId('mean-counts')).toHaveText(mean.toFixed(3));

  // QuPath GeoJSON export
  const download = page.waitForEvent('download');
  await panel.getByRole('button', { name: 'Export GeoJSON' }).click();
  const file = await (await download).path();
  const { readFileSync } = await import('node:fs');
  const fc = JSON.parse(readFileSync(file, 'utf8')) as {
    type: string;
    features: { properties: { classification: { name: string } } }[];
  };
  expect(fc.type).toBe('FeatureCollection');
  expect(fc.features[0]!.properties.classification.name).toBe('Invasive');

  // undo removes the drawn region, redo brings it back
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.keyboard.press('Control+z');
  await expect(list.locator('li')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(list.locator('li')).toHaveCount(1);
  await expect(list.getByLabel(/Label of region/)).toHaveValue('Invasive');

  // A rectangle is a drag that draws (the slide must not pan under it).
  await panel.getByRole('button', { name: 'Rectangle' }).click();
  await panel.getByLabel('Label for new regions').fill('Stroma');
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  const before = await page.getByTestId('region-overlay').locator('path').first().getAttribute('d');
  await page.mouse.move(cx - d * 1.8, cy - d * 1.8);
  await page.mouse.down();
  await page.mouse.move(cx - d * 1.4, cy - d * 1.5, { steps: 5 });
  await page.mouse.move(cx - d * 1.2, cy - d * 1.2, { steps: 5 });
  await page.mouse.up();
  await expect(list.locator('li')).toHaveCount(2);
  await expect(list.getByLabel(/Label of region/).nth(1)).toHaveValue('Stroma');
  expect(await page.getByTestId('region-overlay').locator('path').first().getAttribute('d')).toBe(before);

  // Select: a click inside the polygon picks it.
  await panel.getByRole('toolbar', { name: 'Drawing tools' }).getByRole('button', { name: 'Select' }).click();
  await page.mouse.click(cx, cy);
  await expect(list.locator('li').first()).toHaveClass(/selected/);
});

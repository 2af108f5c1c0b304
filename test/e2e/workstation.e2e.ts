import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
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

interface Job {
  id: number;
  kind: string;
  state: string;
  result: {
    relPath: string | null;
    figure?: { keys: FigureKey[]; panels?: { title: string; titleBox: Box; plot: Box }[] };
  } | null;
}
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface FigureKey {
  label: string;
  panel?: number;
  range?: [number, number];
  colormap?: string;
  box?: { x: number; y: number; w: number; h: number };
  categories?: string[];
}

/** The newest job's id (0 without jobs): exports started later have larger ids. */
const lastJobId = async (page: Page) =>
  Math.max(0, ...(await call<Job[]>(page, 'jobs.list', {})).map((j) => j.id));

/** The export job started after job `after` once it is done, and its file's bytes. */
async function finishedExport(
  page: Page,
  origin: string,
  ext: string,
  after: number,
): Promise<{ job: Job; body: Buffer }> {
  let job: Job | undefined;
  await expect
    .poll(
      async () => {
        const jobs = await call<Job[]>(page, 'jobs.list', {});
        job = jobs.find(
          (j) => j.id > after && j.kind === 'export.sample' && j.result?.relPath?.endsWith(ext),
        );
        return job?.state;
      },
      { timeout: 300_000 },
    )
    .toBe('done');
  const res = await page.request.get(new URL(`/files/${job!.result!.relPath}`, origin).href);
  expect(res.status()).toBe(200);
  return { job: job!, body: await res.body() };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `test-results/screenshots/workstation-${name}.png` });

/** The on-screen colour bar's tick labels (min, middle, max), as written there. */
const ticks = async (bar: Locator) =>
  (await bar.locator('.colorbar-ticks span').allTextContents()).map((t) => t.trim());

/** What Tesseract reads in a box of a PNG (one line of text, upscaled twice for small fonts). */
async function ocr(png: Buffer, b: Box): Promise<string> {
  const crop = await sharp(png)
    .extract({ left: b.x, top: b.y, width: b.w, height: b.h })
    .resize({ width: b.w * 2 })
    .png()
    .toBuffer();
  return execFileSync('tesseract', ['-', '-', '--psm', '7'], { input: crop, encoding: 'utf8' }).trim();
}

/**
 * The walk-through of issue #15 on HER2ST C2 in browser mode, as a user does it: import, features,
 * a short HISTEX run, its SR layer beside the observed spots, SR domains, a drawn and labelled
 * polygon, its statistics, the h5ad with the run and the domains, and a PNG figure of the polygon.
 * What is visible is asserted, and the region statistics are recomputed independently (python3
 * anndata, ray casting) from the exported h5ad.
 */
test('workstation walk-through on HER2ST C2: import to SR, domains, a region, its statistics, h5ad and figure', async ({
  page,
  served,
}) => {
  test.setTimeout(900_000); // ~3 min alone; the shared machine may be loaded
  await createProjectAndImport(page, served, 'c2', sharedData('her2st', 'C2'), /C2/);
  await expect(page.getByTestId('spots-canvas')).toBeVisible();
  await shot(page, '01-imported');

  // Features: extracted once, then the histology input of the SR run.
  await page.getByRole('button', { name: 'SR', exact: true }).click();
  const sr = page.getByRole('complementary', { name: 'Super-resolution' });
  await sr.getByRole('button', { name: 'extract features' }).click();
  const histology = sr.getByLabel('Histology features');
  await expect(histology.locator('option', { hasText: /builtin \(66-d\)/ })).toHaveCount(1, {
    timeout: 240_000,
  });
  await histology.selectOption({ index: 1 });
  await shot(page, '02-features');

  // A short HISTEX run that models the gene on screen.
  const geneBox = page.getByLabel('Gene', { exact: true });
  await geneBox.fill('ERBB2');
  await geneBox.press('Enter');
  const observedBar = page.getByTestId('colorbar').filter({ hasText: 'ERBB2 log1p CP10k' });
  await expect(observedBar).toBeVisible({ timeout: 60_000 });
  await sr.getByLabel('Genes').fill('20'); // few genes: the SR h5ad export computes every modelled gene
  await sr.getByLabel('Epochs').fill('2');
  await sr.getByRole('button', { name: 'Train' }).click();
  await expect(sr.getByLabel('SR run')).toBeVisible({ timeout: 480_000 });
  const srBar = page.getByTestId('colorbar').filter({ hasText: 'ERBB2 (' });
  await expect(srBar).toContainText('SR, counts per 8 µm', { timeout: 120_000 });
  const layers = page.getByRole('complementary', { name: 'Layers' });
  await expect(layers.getByLabel('Show SR map')).toBeChecked();
  await expect(layers.getByLabel('Show SR map')).toBeEnabled();
  await shot(page, '03-sr-layer');

  // Beside the observed spots: two linked viewers.
  await sr.getByLabel('side by side').check();
  const split = page.getByTestId('split-view');
  await expect(split.getByTestId('slide-viewer')).toHaveCount(2);
  await expect(split).toContainText('ERBB2 observed spots');
  await expect(split).toContainText('ERBB2 (');
  await page.waitForTimeout(1000);
  await shot(page, '04-observed-beside-sr');

  // … and as one side-by-side figure of the view: observed | SR, each titled and with its bar.
  const [observedTicks, srTicks] = [await ticks(observedBar), await ticks(srBar)];
  await page.getByRole('button', { name: 'Save as…' }).click();
  let dialog = page.getByRole('form', { name: 'Export' });
  await expect(dialog.getByLabel('Export format')).toHaveValue('png');
  await expect(dialog.getByLabel('Side-by-side figure')).toBeChecked();
  await expect(dialog.getByLabel('Figure area')).toHaveValue('view');
  await dialog.getByLabel('Figure width').fill('1600');
  await dialog.getByLabel('Figure height').fill('700');
  await dialog.getByLabel('Figure DPI').fill('150');
  await expect(dialog.getByTestId('figure-layers')).toContainText('ERBB2 observed spots | ERBB2 (');
  await shot(page, '04b-export-side-by-side');
  let after = await lastJobId(page);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const pair = await finishedExport(page, served.origin, '.png', after);
  writeFileSync(join('test-results', 'screenshots', 'workstation-04c-side-by-side.png'), pair.body);
  const pairMeta = await sharp(pair.body).metadata();
  expect([pairMeta.width, pairMeta.height, pairMeta.density]).toEqual([1600, 700, 150]);
  const { panels, keys: pairKeys } = pair.job.result!.figure!;
  expect(panels).toHaveLength(2);
  // the titles are drawn (read back from the pixels), naming the gene and observed / SR
  const [leftTitle, rightTitle] = [
    await ocr(pair.body, panels![0]!.titleBox),
    await ocr(pair.body, panels![1]!.titleBox),
  ];
  expect(leftTitle).toMatch(/ERBB2 observed spots/);
  expect(rightTitle).toMatch(/ERBB2 \(.*SR/);
  // one colour bar per panel, each spanning exactly its on-screen range
  const barOf = (panel: number) => pairKeys.find((k) => k.panel === panel && k.range)!;
  const spanned = (k: FigureKey) =>
    [k.range![0], (k.range![0] + k.range![1]) / 2, k.range![1]].map((v) => v.toFixed(2));
  expect([barOf(0).label, spanned(barOf(0))]).toEqual(['ERBB2 log1p CP10k', observedTicks]);
  expect(barOf(1).label).toMatch(/^ERBB2 \(.*SR/);
  expect(spanned(barOf(1))).toEqual(srTicks);
  // both plots are the same size (one region, one scale) and hold different pictures
  const [p0, p1] = [panels![0]!.plot, panels![1]!.plot];
  expect([p0.w, p0.h, p0.y]).toEqual([p1.w, p1.h, p1.y]);
  expect(p1.x).toBeGreaterThan(p0.x + p0.w);
  const px = await sharp(pair.body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb = (x: number, y: number) => {
    const o = (y * px.info.width + x) * 3;
    return [px.data[o]!, px.data[o + 1]!, px.data[o + 2]!];
  };
  // the view holds the section and slide around it: the slide (and white beyond it) is the same
  // picture in both panels, the tissue is coloured differently (≈ 10 % of a 1600 × 700 figure)
  let differ = 0;
  let same = 0;
  for (let y = 2; y < p0.h - 2; y += 4)
    for (let x = 2; x < p0.w - 2; x += 4) {
      const [a, b] = [rgb(p0.x + x, p0.y + y), rgb(p1.x + x, p1.y + y)];
      if (a.some((v, i) => Math.abs(v - b[i]!) > 8)) differ++;
      else same++;
    }
  expect(differ / (differ + same)).toBeGreaterThan(0.03);
  expect(same / (differ + same)).toBeGreaterThan(0.5);
  // and each bar is drawn: its top pixels are not the white background
  for (const k of [barOf(0), barOf(1)]) {
    const [r, g, b] = rgb(k.box!.x + Math.round(k.box!.w / 2), k.box!.y + 3);
    expect(r! + g! + b!).toBeLessThan(3 * 250);
  }
  await sr.getByLabel('side by side').uncheck();

  // SR domains on the run's superpixels, over the SR map at partial opacity, with a legend.
  await page.getByRole('button', { name: 'Domains', exact: true }).click();
  const domains = page.getByRole('complementary', { name: 'Domains' });
  await domains.getByLabel('Cluster what').selectOption({ index: 1 });
  await domains.getByLabel('Number of domains').fill('4');
  await domains.getByRole('button', { name: 'Run' }).click();
  const legend = page.getByTestId('category-legend').filter({ hasText: 'SR domains (k = 4)' });
  await expect(legend.locator('li')).toHaveCount(4, { timeout: 240_000 });
  const legendEntries = (await legend.locator('li').allTextContents()).map((t) => t.trim());
  await layers.getByLabel('Domains opacity').fill('0.45');
  await shot(page, '05-sr-domains');

  // Draw and label a polygon over the tissue.
  await page.getByRole('button', { name: 'Regions', exact: true }).click();
  const regions = page.getByRole('complementary', { name: 'Regions' });
  await regions.getByLabel('Label for new regions').fill('Invasive');
  await regions.getByRole('button', { name: 'Polygon' }).click();
  const layersButton = page.getByRole('button', { name: 'Layers', exact: true });
  await layersButton.click(); // the layer panel floats over the viewer's left edge
  await layersButton.blur();
  const box = (await page.getByTestId('slide-viewer').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const d = Math.min(box.width, box.height) / 6;
  for (const [dx, dy] of [
    [-d, -d * 0.6],
    [d * 0.9, -d],
    [d * 1.1, d * 0.8],
    [-d * 0.7, d * 1.1],
  ])
    await page.mouse.click(cx + dx!, cy + dy!);
  await page.keyboard.press('Enter');
  const list = regions.getByTestId('region-list');
  await expect(list.locator('li')).toHaveCount(1);
  await expect(page.getByTestId('region-overlay').locator('text')).toHaveText('Invasive');
  await layersButton.click();
  await page.mouse.move(5, 5);
  await shot(page, '06-region-drawn');

  // Region statistics with the SR run.
  await regions.getByLabel('Genes for region statistics').fill('ERBB2');
  await expect(regions.getByLabel('SR run for region statistics')).not.toHaveValue('');
  await regions.getByRole('button', { name: 'Compute statistics' }).click();
  const stats = regions.getByTestId('region-stats');
  await expect(stats).toBeVisible({ timeout: 60_000 });
  const nSuperpixels = Number(await stats.getByTestId('stat-superpixels').textContent());
  const meanSr = await stats.getByTestId('stat-gene-ERBB2').getByTestId('mean-sr').textContent();
  expect(nSuperpixels).toBeGreaterThan(50);
  await shot(page, '07-region-statistics');

  // Export the SR run with its domains as h5ad.
  await page.getByRole('button', { name: 'Save as…' }).click();
  dialog = page.getByRole('form', { name: 'Export' });
  await dialog.getByLabel('Export format').selectOption('h5ad');
  await dialog.getByLabel('Export spots or an SR run').selectOption({ index: 1 });
  await dialog.getByLabel(/Include clustering #\d+/).check();
  await shot(page, '08-export-h5ad');
  after = await lastJobId(page);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const h5ad = await finishedExport(page, served.origin, '.h5ad', after);
  const dir = join(served.workDir, 'check');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'c2-sr.h5ad');
  writeFileSync(file, h5ad.body);
  const [region] = await call<{ geometry: { coordinates: number[][][] } }[]>(page, 'annotations.list', {
    sampleId: 1,
  });
  // Independent: anndata reads the file; ray casting on obsm['spatial'] (superpixel centres).
  const py = `
import json, sys, anndata, numpy as np
a = anndata.read_h5ad(sys.argv[1]); ring = json.loads(sys.argv[2])
xy = np.asarray(a.obsm['spatial'], dtype=float)
inside = np.zeros(len(xy), dtype=bool)
j = len(ring) - 1
for i in range(len(ring)):
    (xi, yi), (xj, yj) = ring[i], ring[j]
    cross = (yi > xy[:, 1]) != (yj > xy[:, 1])
    with np.errstate(divide='ignore', invalid='ignore'):
        xint = (xj - xi) * (xy[:, 1] - yi) / (yj - yi) + xi
    inside ^= cross & (xy[:, 0] < xint)
    j = i
col = list(a.var_names).index('ERBB2')
X = a.X[:, col]
X = np.asarray(X.todense()).ravel() if hasattr(X, 'todense') else np.asarray(X).ravel()
print(json.dumps({'n': int(inside.sum()), 'mean': float(X[inside].mean()),
  'domains': sorted(map(str, a.obs['domain'].cat.categories)), 'colors': list(a.uns.get('domain_colors', []))}))
`;
  const independent = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', py, file, JSON.stringify(region!.geometry.coordinates[0])], {
      encoding: 'utf8',
    }),
  ) as { n: number; mean: number; domains: string[] };
  expect(independent.n).toBe(nSuperpixels);
  expect(independent.mean.toFixed(3)).toBe(meanSr);
  expect(independent.domains).toEqual([...legendEntries].sort());

  // A PNG figure of the polygon's region, with the layers as on screen.
  const onScreen = (await srBar.locator('.colorbar-ticks span').allTextContents()).map((t) => t.trim());
  await page.getByRole('button', { name: 'Save as…' }).click();
  dialog = page.getByRole('form', { name: 'Export' });
  await dialog.getByLabel('Export format').selectOption('png');
  await dialog.getByLabel('Figure area').selectOption({ label: 'region “Invasive” (#1)' });
  await dialog.getByLabel('Figure width').fill('1200');
  await dialog.getByLabel('Figure height').fill('900');
  await dialog.getByLabel('Figure DPI').fill('150');
  await expect(dialog.getByTestId('figure-layers')).toContainText('SR map');
  await expect(dialog.getByTestId('figure-layers')).toContainText('Domains');
  await shot(page, '09-export-figure');
  after = await lastJobId(page);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const png = await finishedExport(page, served.origin, '.png', after);
  writeFileSync(join('test-results', 'screenshots', 'workstation-10-figure.png'), png.body);
  const meta = await sharp(png.body).metadata();
  expect([meta.width, meta.height, meta.density]).toEqual([1200, 900, 150]);
  const keys = png.job.result!.figure!.keys;
  // the figure's SR colour bar spans exactly the on-screen range, and its legend the domains
  const srKey = keys.find((k) => k.label.startsWith('ERBB2 (') && k.range)!;
  expect(
    [srKey.range![0], (srKey.range![0] + srKey.range![1]) / 2, srKey.range![1]].map((v) => v.toFixed(2)),
  ).toEqual(onScreen);
  expect(keys.find((k) => k.label === 'SR domains (k = 4)')!.categories).toEqual(legendEntries);
  const observedKey = keys.find((k) => k.label === 'ERBB2 log1p CP10k');
  expect(observedKey?.range?.map((v) => v.toFixed(2))).toEqual([
    ...(await observedBar.locator('.colorbar-ticks span').allTextContents())
      .map((t) => t.trim())
      .filter((_, i) => i !== 1),
  ]);
  // and it is drawn: the bar's top pixels are the colour map's top colour, not background
  const { data, info } = await sharp(png.body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const b = srKey.box!;
  const o = ((b.y + 3) * info.width + b.x + Math.round(b.w / 2)) * 3;
  expect(data[o]! + data[o + 1]! + data[o + 2]!).toBeLessThan(3 * 250);
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './serve-fixture';

test('browser mode: the token URL opens the app shell, a project is created on disk', async ({
  page,
  served,
}) => {
  const noToken = await page.request.post(`${served.origin}/api/app.info`, { data: {} });
  expect(noToken.status()).toBe(401);

  await page.goto(served.url);
  await expect(page).toHaveURL(`${served.origin}/`);
  await expect(page.getByRole('heading', { name: 'STSR Studio' })).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/project-picker.png' });

  const dir = join(served.workDir, 'my-project');
  const form = page.getByRole('form', { name: 'Create project' });
  await form.getByLabel('Folder').fill(dir);
  await form.getByLabel('Name (optional)').fill('HER2 study');
  await form.getByRole('button', { name: 'Create project' }).click();
  await expect(page.locator('.project-name')).toHaveText('HER2 study');
  expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
  await expect(page.getByText('No samples yet')).toBeVisible();

  await page.keyboard.press('j');
  await expect(page.getByRole('complementary', { name: 'Jobs' })).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/app-shell.png' });
});

test('browser mode: errors show what went wrong and what to do', async ({ page, served }) => {
  await page.goto(served.url);
  const form = page.getByRole('form', { name: 'Open project' });
  await form.getByLabel('Folder').fill(join(served.workDir, 'not-a-project'));
  await form.getByRole('button', { name: 'Open' }).click();
  const toast = page.getByRole('alert');
  await expect(toast).toContainText('is not an STSR Studio project');
  await expect(toast).toContainText('Choose the project folder, or create a new project.');
  await page.screenshot({ path: 'test-results/screenshots/error-toast.png' });
});

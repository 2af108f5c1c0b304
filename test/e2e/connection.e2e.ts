import { expect, test } from './serve-fixture';
import { sharedData } from '../helpers/paths';

/**
 * Browser mode over a tunnel that drops (docs/cohort.md, "Browser mode on a remote GPU server").
 * The event WebSocket is routed through Playwright so the test can cut it like a closed SSH tunnel
 * while the server keeps running: the app must say the connection is lost, and once it is back
 * show what happened meanwhile (a sample imported while the events could not arrive).
 */
test('browser mode: a dropped connection shows a banner; on reconnect the app catches up', async ({
  page,
  served,
}) => {
  test.setTimeout(600_000);
  let tunnelUp = true;
  const open: { close: () => Promise<void> }[] = [];
  await page.routeWebSocket(/\/events$/, (ws) => {
    if (!tunnelUp) {
      void ws.close();
      return;
    }
    ws.connectToServer();
    open.push(ws);
  });
  await page.goto(served.url);
  const create = page.getByRole('form', { name: 'Create project' });
  await create.getByLabel('Folder').fill(`${served.workDir}/p`);
  await create.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByText('No samples yet')).toBeVisible();
  const banner = page.locator('.connection-banner');
  await expect(banner).toBeHidden();

  tunnelUp = false;
  await Promise.all(open.splice(0).map((ws) => ws.close()));
  await expect(banner).toContainText('Connection to the STSR server lost');

  // The server works on while the events cannot reach the page.
  const started = await page.request.post(`${served.origin}/api/samples.import`, {
    data: { path: sharedData('her2st', 'B1') },
  });
  const { value } = (await started.json()) as { value: { jobId: number } };
  await expect
    .poll(
      async () => {
        const r = await page.request.post(`${served.origin}/api/jobs.list`, { data: {} });
        const jobs = ((await r.json()) as { value: { id: number; state: string }[] }).value;
        return jobs.find((j) => j.id === value.jobId)?.state;
      },
      { timeout: 480_000, intervals: [1000] },
    )
    .toBe('done');
  await expect(page.getByRole('button', { name: /B1/ })).toHaveCount(0);

  tunnelUp = true;
  await expect(banner).toBeHidden({ timeout: 30_000 });
  await expect(page.getByRole('button', { name: /B1/ })).toBeVisible({ timeout: 30_000 });
});

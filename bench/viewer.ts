/**
 * `npm run bench -- viewer [--project DIR] [--sample NAME] [--other NAME] [--repeats N]`: the viewer
 * measured in Debian's Chromium through the real bridge (`npm run serve`), timed inside the page:
 * - tile: colouring one 256 × 256-cell tile of an SR map (the `stsr:sr-tile` measures of the layer
 *   canvas; full tiles only), target ≤ 30 ms;
 * - gene switch: Enter in the gene box → the new gene's SR map painted (`stsr:sr-painted`), each
 *   gene asked for the first time (the engine computes the map from the stored latents), ≤ 300 ms;
 *   then the same genes again (geneSwitchCached*: the engine's stored map, the viewer's own cost);
 *   each split by step (geneSwitchSteps: pick, engine, file, paint) to show where the time goes;
 * - open: click on the sample in the list → its remembered gene painted (`stsr:gene-painted`),
 *   after opening another sample in between, ≤ 1 s.
 * Without --project it builds one in a temporary folder with the CLI: HER2ST C2 with a short
 * HISTEX run (20 genes, 5 epochs) and the small Visium sample to switch to (several minutes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.STSR_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');

function stsr(args: string[], home: string): void {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'stsr.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, STSR_HOME: home },
  });
  if (r.status !== 0) throw new Error(`stsr ${args.join(' ')} failed:\n${r.stderr}`);
}

async function serve(project: string, home: string) {
  const proc = spawn(process.execPath, [join(root, 'scripts', 'serve.mjs'), '--project', project], {
    cwd: root,
    env: { ...process.env, STSR_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
      if (m) ok(m[0]);
    });
    proc.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
  });
  return { url, stop: () => new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM'))) };
}

function summary(ms: number[]): { median: number; p95: number } {
  const v = [...ms].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)] ?? NaN;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { median: round(at(0.5)), p95: round(at(0.95)) };
}

/**
 * Milliseconds from `start()` (run in the page) to the first `mark` recorded after it, and to the
 * first of each of `phases` (NaN when absent), to tell where the time went.
 */
async function timeTo(
  page: Page,
  mark: string,
  start: string,
  phases: string[] = [],
): Promise<{ ms: number; phases: Record<string, number> }> {
  const t0 = (await page.evaluate(
    `(() => { const t0 = performance.now(); ${start}; return t0; })()`,
  )) as number;
  // A function, not a string: the app's CSP forbids eval, which string predicates need.
  await page.waitForFunction(
    (a: { mark: string; t0: number }) =>
      performance.getEntriesByName(a.mark).some((e) => e.startTime >= a.t0),
    { mark, t0 },
    { timeout: 60_000 },
  );
  const at = (await page.evaluate(
    `${JSON.stringify([mark, ...phases])}.map((m) => { const e = performance.getEntriesByName(m).find((e) => e.startTime >= ${t0}); return e ? e.startTime - ${t0} : NaN; })`,
  )) as number[];
  return { ms: at[0]!, phases: Object.fromEntries(phases.map((p, i) => [p, at[i + 1]!])) };
}

/** The marks of one SR gene switch, in order: Enter → request → engine answer → file → painted. */
const SR_PHASES = ['stsr:sr-requested', 'stsr:sr-answered', 'stsr:sr-fetched'];

/** Median/p95 of each step of the switches (ms between consecutive marks). */
function phaseSummary(runs: { ms: number; phases: Record<string, number> }[]) {
  const steps = { pick: [] as number[], engine: [] as number[], file: [] as number[], paint: [] as number[] };
  for (const r of runs) {
    const [req, ans, got] = SR_PHASES.map((p) => r.phases[p]!);
    steps.pick.push(req!);
    steps.engine.push(ans! - req!);
    steps.file.push(got! - ans!);
    steps.paint.push(r.ms - got!);
  }
  return Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summary(v)]));
}

const CLICK_SAMPLE = (name: string) =>
  `[...document.querySelectorAll('button')].find((b) => b.textContent.trim().startsWith(${JSON.stringify(name)})).click()`;

export default async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      sample: { type: 'string', default: 'C2' },
      other: { type: 'string' },
      repeats: { type: 'string', default: '10' },
    },
  });
  const repeats = Number(values.repeats);
  const work = mkdtempSync(join(tmpdir(), 'stsr-bench-viewer-'));
  const home = join(work, 'home');
  let project = values.project;
  let other = values.other;
  if (!project) {
    project = join(work, 'project');
    console.error('Building the bench project (import C2, HISTEX 20 genes × 5 epochs, Visium sample)…');
    stsr(['import', join(shared, 'her2st', 'C2'), '--project', project], home);
    stsr(['sr', 'C2', '--project', project, '--genes', '20', '--epochs', '5'], home);
    stsr(
      ['import', join(shared, 'visium', 'seurat-mouse-brain-sagittal-anterior'), '--project', project],
      home,
    );
    other = 'seurat';
  }
  const server = await serve(project, home);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    const api = async <T>(method: string, input: unknown): Promise<T> => {
      const r = (await page.evaluate(
        `fetch('/api/${method}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(input))} }).then((r) => r.json())`,
      )) as { ok: boolean; value: T; error?: { message: string } };
      if (!r.ok) throw new Error(`${method}: ${r.error?.message}`);
      return r.value;
    };
    const samples = await api<{ id: number; name: string }[]>('samples.list', {});
    const sample = samples.find((s) => s.name === values.sample);
    if (!sample) throw new Error(`No sample named ${values.sample} in ${project}.`);
    const otherName = (
      other ? samples.find((s) => s.name.startsWith(other!)) : samples.find((s) => s !== sample)
    )?.name;
    if (!otherName) throw new Error('The project needs a second sample to switch to (--other NAME).');
    const runs = await api<{ id: number; output: string; genes: { symbol: string }[] }[]>('runs.list', {
      sampleId: sample.id,
    });
    const srRun = runs.find((r) => r.output === 'superpixels');
    if (!srRun) throw new Error(`Sample ${sample.name} has no SR map run.`);
    const genes = srRun.genes.map((g) => g.symbol);

    // Open the sample, show the SR panel (newest run, SR layer on) and the first gene.
    await page.evaluate(CLICK_SAMPLE(sample.name));
    const box = page.getByLabel('Gene', { exact: true });
    await box.waitFor();
    await page.keyboard.press('s');
    const typeGene = async (g: string) => {
      await box.fill(g);
      return timeTo(
        page,
        'stsr:sr-painted',
        `document.querySelector('form.gene-search').requestSubmit()`,
        SR_PHASES,
      );
    };
    await typeGene(genes[0]!);

    const fresh = [];
    for (const g of genes.slice(1, 1 + repeats)) fresh.push(await typeGene(g));
    // The same genes again: the engine keeps each computed map, so this is the viewer's own cost.
    const again = [];
    for (const g of genes.slice(1, 1 + repeats)) again.push(await typeGene(g));
    const switches = fresh.map((r) => r.ms);
    const cached = again.map((r) => r.ms);

    const tiles = (await page.evaluate(
      `performance.getEntriesByName('stsr:sr-tile').filter((e) => e.detail && e.detail.cells === 65536).map((e) => e.duration)`,
    )) as number[];

    // Opening: the sample remembers its gene, so opening it paints that gene.
    const opens: number[] = [];
    for (let i = 0; i < repeats; i++) {
      await page.evaluate(CLICK_SAMPLE(otherName));
      await page.waitForTimeout(300);
      opens.push((await timeTo(page, 'stsr:gene-painted', CLICK_SAMPLE(sample.name))).ms);
    }
    const tile = summary(tiles);
    const sw = summary(switches);
    const swCached = summary(cached);
    const open = summary(opens);
    const steps = { fresh: phaseSummary(fresh), cached: phaseSummary(again) };
    console.error(
      `tile ${tile.median}/${tile.p95} ms (n=${tiles.length}), gene switch ${sw.median}/${sw.p95} ms (n=${switches.length}), open ${open.median}/${open.p95} ms (n=${opens.length}) [median/p95]`,
    );
    for (const [k, v] of Object.entries(steps))
      console.error(
        `gene switch (${k}) by step, median/p95 ms: ${Object.entries(v)
          .map(([s, m]) => `${s} ${m.median}/${m.p95}`)
          .join(', ')}; each: ${(k === 'fresh' ? switches : cached).map(Math.round).join(' ')}`,
      );
    return {
      sample: sample.name,
      run: srRun.id,
      tileMedianMs: tile.median,
      tileP95Ms: tile.p95,
      tiles: tiles.length,
      geneSwitchMedianMs: sw.median,
      geneSwitchP95Ms: sw.p95,
      geneSwitches: switches.length,
      geneSwitchCachedMedianMs: swCached.median,
      geneSwitchCachedP95Ms: swCached.p95,
      /** Enter → request sent (pick), → engine answered, → map file read, → painted */
      geneSwitchSteps: steps,
      openMedianMs: open.median,
      openP95Ms: open.p95,
      opens: opens.length,
      targets: { tileMs: 30, geneSwitchMs: 300, openMs: 1000 },
    };
  } finally {
    await browser.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

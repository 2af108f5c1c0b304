/**
 * `npm run bench -- reliability [--skip-corpus] [--workers] [--drills N] [--kinds K,…|none]
 *   [--skip-load] [--load-seconds S] [--load-setup DIR] [--progress FILE]` (issue #16). Three
 * parts, figures in docs/reliability.md; the last stdout line's `summary` holds the headline ones:
 * 1. The malformed-input corpus (test/corpus/cases.ts): the import task in this process, or with
 *    --workers the real job runner (a worker thread per case): clear errors, wrong/vague errors,
 *    hangs, silent acceptances, crashes, changed projects.
 * 2. kill -9 drills on a 400×400 window of MOB1: `stsr import|features|sr|export` in a child
 *    process, killed at a seeded random point of its job (N in all, default 20, 5 per kind);
 *    then integrity_check, the job's state (interrupted), resume, and the resumed outputs compared
 *    with an uninterrupted run's (bench/_outputs.ts: bytes, except clock fields).
 * 3. Load: browser mode on the full MOB1 with two heavy jobs running and viewer-like requests for
 *    S seconds (default 120); the server's event-loop delay (p50, p99, max), the process's RSS and
 *    the load average. Time figures: run it under `flock /work/bench.lock`.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { JobRunner } from '../main/engine/jobs/runner';
import { AppService } from '../main/engine/service/app-service';
import { createProject, openProject } from '../main/engine/store/project';
import { TASKS } from '../main/engine/tasks';
import { startBridgeServer } from '../main/server/bridge-server';
import { CASES } from '../test/corpus/cases';
import { runCaseInline, runCaseInWorker, type CaseOutcome } from '../test/corpus/run-case';
import { repoRoot, sharedData } from '../test/helpers/paths';
import { differingFiles, outputDigest, withoutTimes, type OutputDigest } from './_outputs';
import type { LoadClientsConfig, LoadClientsResult } from './_load-clients';
import { trackPeakRss } from './_peak-memory';

const STSR = join(repoRoot, 'bin', 'stsr.mjs');
const SR_ARGS = ['--method', 'histex', '--epochs', '2', '--ensemble', '1', '--genes', '20', '--seed', '1'];
/** Seeded kills per job kind (20 in all). */
const DRILLS: Record<string, number> = { import: 5, features: 5, training: 5, export: 5 };
/**
 * The drills' sample: a 400×400 px window of MOB1 (144 spots under tissue), so that a drill of
 * each kind takes seconds and 20 of them finish in minutes on a loaded machine. Still the real
 * reader, slide, features, HISTEX training and export, only on fewer pixels and spots.
 */
const WINDOW = { left: 600, top: 700, width: 400, height: 400 };
let samplePath = '';
const SAMPLE = () => samplePath;

/** Cut the window out of MOB1: image, alignment rows inside it (shifted), their counts rows. */
async function buildSample(root: string): Promise<string> {
  const src = sharedData('mob', 'MOB1');
  const dir = join(root, 'sample', 'MOB1');
  mkdirSync(dir, { recursive: true });
  await sharp(join(src, 'MOB1.jpg')).extract(WINDOW).jpeg({ quality: 92 }).toFile(join(dir, 'MOB1.jpg'));
  const [head, ...rows] = readFileSync(join(src, 'alignment_table_MOB1.tsv'), 'utf8').trimEnd().split('\n');
  const kept = new Set<string>();
  const out = [head!];
  for (const r of rows) {
    const [x, y, nx, ny, px, py, sel] = r.split('\t');
    const ix = Number(px) - WINDOW.left;
    const iy = Number(py) - WINDOW.top;
    if (ix < 0 || iy < 0 || ix >= WINDOW.width || iy >= WINDOW.height) continue;
    kept.add(`${x!}x${y!}`);
    out.push([x, y, nx, ny, ix.toFixed(2), iy.toFixed(2), sel].join('\t'));
  }
  writeFileSync(join(dir, 'alignment_table_MOB1.tsv'), `${out.join('\n')}\n`);
  const [countsHead, ...counts] = readFileSync(join(src, 'MOB1.tsv'), 'utf8').trimEnd().split('\n');
  const keptCounts = counts.filter((r) => kept.has(r.slice(0, r.indexOf('\t'))));
  writeFileSync(join(dir, 'MOB1.tsv'), `${[countsHead!, ...keptCounts].join('\n')}\n`);
  // the gene symbols sit next to the sample folder, as in ../shared/data/mob
  cpSync(sharedData('mob', 'mouse_genes.tsv.gz'), join(root, 'sample', 'mouse_genes.tsv.gz'));
  return dir;
}

type Kind = 'import' | 'features' | 'training' | 'export';
const KINDS: Kind[] = ['import', 'features', 'training', 'export'];

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** mulberry32: the drills' kill points are reproducible from their seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cliArgs(kind: Kind, project: string): string[] {
  switch (kind) {
    case 'import':
      return ['import', SAMPLE(), '--project', project];
    case 'features':
      return ['features', 'MOB1', '--project', project];
    case 'training':
      return ['sr', 'MOB1', ...SR_ARGS, '--project', project];
    case 'export':
      return ['export', 'MOB1', '--out', join(project, 'exports', 'drill.h5ad'), '--project', project];
  }
}

function runCli(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [STSR, ...args, '--json'], { stdio: 'ignore' });
    child.once('exit', (code) => resolve(code));
  });
}

function lastJob(project: string): { id: number; state: string; fraction: number } | undefined {
  try {
    const db = new Database(join(project, 'project.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT id, state, fraction FROM jobs ORDER BY id DESC LIMIT 1').get() as
        { id: number; state: string; fraction: number } | undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** The result JSON without what legitimately differs between runs (timings, the project's folder). */
function stableResult(v: unknown, project: string): string {
  return withoutTimes(v).replaceAll(project, '<project>');
}

function resultKeysDiffering(a: string, b: string): string[] {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .map((k) => `${k} (${JSON.stringify(x[k])} vs ${JSON.stringify(y[k])})`);
}

interface Stage {
  /** the project before this kind's job (a folder to copy) */
  before: string;
  /** the same project after an uninterrupted job */
  reference: { digest: OutputDigest; result: string; seconds: number; jobSeconds: number };
}

async function prepareStages(
  root: string,
  note: (s: string) => void,
  upTo: Kind,
): Promise<Record<Kind, Stage>> {
  const work = join(root, 'chain');
  createProject(work).close();
  const stages = {} as Record<Kind, Stage>;
  for (const kind of KINDS) {
    const before = join(root, `before-${kind}`);
    cpSync(work, before, { recursive: true });
    note(`[reliability] reference ${kind} run`);
    const t0 = performance.now();
    const code = await runCli(cliArgs(kind, work));
    if (code !== 0) throw new Error(`the uninterrupted ${kind} run failed (exit ${String(code)})`);
    const p = openProject(work);
    const row = p.db
      .prepare(
        `SELECT result_json, (julianday(finished_at) - julianday(started_at)) * 86400 AS job_seconds
         FROM jobs ORDER BY id DESC LIMIT 1`,
      )
      .get() as { result_json: string; job_seconds: number };
    p.close();
    const seconds = (performance.now() - t0) / 1000;
    stages[kind] = {
      before,
      reference: {
        digest: await outputDigest(work),
        result: stableResult(JSON.parse(row.result_json), work),
        seconds,
        jobSeconds: row.job_seconds,
      },
    };
    note(`[reliability]   ${kind}: ${seconds.toFixed(1)} s`);
    if (kind === upTo) break;
  }
  return stages;
}

interface DrillResult {
  kind: Kind;
  seed: number;
  killAtFraction: number;
  killedAt: number | null;
  integrity: string;
  stateAfterKill: string;
  resumedState: string;
  identical: boolean;
  survived: boolean;
  note?: string;
}

async function drill(kind: Kind, seed: number, stage: Stage, root: string): Promise<DrillResult> {
  const project = join(root, `drill-${kind}-${seed}`);
  cpSync(stage.before, project, { recursive: true });
  const target = 0.05 + 0.85 * rng(seed * 7919 + KINDS.indexOf(kind))();
  const before = lastJob(project)?.id ?? 0;
  const child = spawn(process.execPath, [STSR, ...cliArgs(kind, project), '--json'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  let killedAt: number | null = null;
  // the kill point: the seeded fraction of progress, or of the uninterrupted job's running time
  // for jobs whose progress moves in big steps (an export reports 20 % and then 100 %; features
  // stay at 0 while they find the tissue)
  let runningSince: number | null = null;
  for (let i = 0; i < 200_000 && !exitedEarly; i++) {
    const j = lastJob(project);
    if (j && j.id > before && j.state === 'running') runningSince ??= performance.now();
    const late =
      runningSince !== null && performance.now() - runningSince >= target * stage.reference.jobSeconds * 1000;
    if (j && j.id > before && j.state === 'running' && (j.fraction >= target || late)) {
      child.kill('SIGKILL');
      killedAt = j.fraction;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await exited;
  const result: DrillResult = {
    kind,
    seed,
    killAtFraction: Number(target.toFixed(3)),
    killedAt,
    integrity: '',
    stateAfterKill: '',
    resumedState: '',
    identical: false,
    survived: false,
  };
  const p = openProject(project);
  try {
    result.integrity = String(p.db.pragma('integrity_check', { simple: true }));
    const job = p.db.prepare('SELECT id, state FROM jobs ORDER BY id DESC LIMIT 1').get() as {
      id: number;
      state: string;
    };
    result.stateAfterKill = job.state;
    if (killedAt === null) result.note = 'the job ended before its kill point';
    if (job.state === 'interrupted') {
      const runner = new JobRunner(p, TASKS);
      runner.resume(job.id);
      await runner.whenIdle();
      const row = runner.get(job.id);
      await runner.close();
      result.resumedState = row.state;
      const out = await outputDigest(project);
      const differing = differingFiles(out, stage.reference.digest);
      const resumedResult = stableResult(row.result, project);
      const sameResult = resumedResult === stage.reference.result;
      result.identical = differing.length === 0 && sameResult;
      if (!result.identical)
        result.note =
          `differs from the uninterrupted run: ${differing.slice(0, 5).join(', ')}` +
          (sameResult
            ? ''
            : `${differing.length ? '; ' : ''}the job's result JSON in ${resultKeysDiffering(resumedResult, stage.reference.result).join(', ')}`);
    }
  } finally {
    p.close();
  }
  result.survived =
    result.integrity === 'ok' &&
    result.stateAfterKill === 'interrupted' &&
    result.resumedState === 'done' &&
    result.identical;
  rmSync(project, { recursive: true, force: true });
  return result;
}

async function corpus(
  root: string,
  note: (s: string) => void,
  inWorkers: boolean,
): Promise<Record<string, unknown>> {
  const project = join(root, 'corpus-project');
  createProject(project).close();
  const runner = new JobRunner(openProject(project), TASKS);
  runner.submit('sample.import', { path: sharedData('her2st', 'C1') });
  await runner.whenIdle();
  await runner.close();
  const outcomes: CaseOutcome[] = [];
  for (const [i, c] of CASES.entries()) {
    const dir = join(root, 'cases', c.id);
    const o = inWorkers
      ? await runCaseInWorker(c, dir, project, 120_000)
      : await runCaseInline(c, dir, project, 1000 + i, 120_000);
    outcomes.push(o);
    if (o.verdict !== 'clear-error' || o.projectChanged)
      note(`[reliability] ${c.id}: ${o.verdict} ${o.why ?? ''}`);
  }
  const count = (v: CaseOutcome['verdict']) => outcomes.filter((o) => o.verdict === v).length;
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return {
    mode: inWorkers ? 'job runner (worker thread per case)' : 'import task in the bench process',
    cases: outcomes.length,
    readers: [...new Set(CASES.map((c) => c.reader))].length,
    clearErrors: count('clear-error'),
    wrongOrVagueErrors: count('wrong-error'),
    hangs: count('hang'),
    silentAcceptances: count('silent-acceptance'),
    crashes: count('crash'),
    changedProjects: outcomes.filter((o) => o.projectChanged).length,
    medianCaseSeconds: Number((ms[Math.floor(ms.length / 2)]! / 1000).toFixed(2)),
    slowestCaseSeconds: Number((ms[ms.length - 1]! / 1000).toFixed(2)),
    failures: outcomes
      .filter((o) => o.verdict !== 'clear-error' || o.projectChanged)
      .map((o) => ({ id: o.id, verdict: o.verdict, why: o.why ?? o.message })),
  };
}

type Api = (method: string, body: unknown) => Promise<{ ok: boolean; value?: unknown; error?: unknown }>;

/** Waits until no job is queued or running (the service's runner is private to it). */
async function whenIdle(api: Api): Promise<void> {
  for (;;) {
    const jobs = (await api('jobs.list', {})).value as { state: string; error?: unknown }[];
    if (!jobs.some((j) => j.state === 'running' || j.state === 'queued')) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

/**
 * Browser mode under load: the full MOB1 (1905² slide) imported, with features and a short HISTEX
 * run made first (not measured); then for `seconds` two heavy jobs at all times (a features
 * extraction and a HISTEX training, each started again when it ends) while 4 clients send tile
 * and API requests back to back, the kinds the viewer sends: tiles, a gene's spot values, an SR
 * gene's raw values, the run and job lists. The clients run in a process of their own
 * (bench/_load-clients.ts), so the event-loop delay is the server's own thread (the server runs in
 * this process; jobs run in worker threads of it); RSS is this process, job workers included.
 */
async function load(
  root: string,
  seconds: number,
  note: (s: string) => void,
  setupCache?: string,
): Promise<Record<string, unknown>> {
  const project = join(root, 'load-project');
  // --load-setup DIR: the prepared project is kept there and reused (the setup takes minutes)
  const cached = setupCache !== undefined && existsSync(join(setupCache, 'project.sqlite'));
  if (cached) cpSync(setupCache, project, { recursive: true });
  else createProject(project).close();
  process.env.STSR_HOME = join(root, 'home');
  const service = new AppService({ transport: 'http', maxHeavyJobs: 2 });
  await service.openProjectDir(project, false);
  const fallback = join(root, 'static');
  mkdirSync(fallback, { recursive: true });
  const staticDir = join(repoRoot, 'renderer', 'dist');
  const server = await startBridgeServer({
    service,
    staticDir: existsSync(join(staticDir, 'index.html')) ? staticDir : fallback,
  });
  const base = `http://127.0.0.1:${server.port}`;
  const headers = { 'x-stsr-token': server.token, 'content-type': 'application/json' };
  const api: Api = async (method, body) => {
    const r = await fetch(`${base}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return (await r.json()) as { ok: boolean; value?: unknown };
  };
  if (!cached) {
    note('[reliability] load: setting up MOB1 (import, features, a short HISTEX run)');
    await api('samples.import', { path: sharedData('mob', 'MOB1') });
    await whenIdle(api);
    const id = ((await api('samples.list', {})).value as { id: number }[])[0]!.id;
    await api('features.run', { sampleId: id });
    await whenIdle(api);
    await api('runs.start', { sampleId: id, method: 'histex', epochs: 2, genes: 20, seed: 1 });
    await whenIdle(api);
    if (setupCache !== undefined) cpSync(project, setupCache, { recursive: true });
  }
  const sampleId = ((await api('samples.list', {})).value as { id: number }[])[0]!.id;
  const runs = (await api('runs.list', { sampleId })).value as { id: number; genes: { index: number }[] }[];
  const run = runs[0];
  if (!run) throw new Error('the load setup made no HISTEX run');
  // a viewer session switches between a few genes of the run: the clients ask for 6 in turn
  const srGenes = run.genes.map((g) => g.index).slice(0, 6);
  const tiles: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) walk(p);
      else if (/\.(jpeg|jpg|png|dzi)$/.test(e.name)) tiles.push(relative(project, p));
    }
  };
  walk(join(project, 'pyramids'));

  note(`[reliability] load: ${seconds} s of two heavy jobs and requests (${tiles.length} tiles)`);
  const loadBefore = loadavg()[0]!;
  const h = monitorEventLoopDelay({ resolution: 1 });
  const rss = trackPeakRss(100);
  h.enable();
  const t0 = performance.now();
  // when the longest stalls happened (seconds into the run), to match them with a CPU profile
  // and, on Linux, how much of each stall this thread spent running (its own work: handlers, GC)
  // and how much waiting for a core (runnable, not scheduled), from /proc/thread-self/schedstat
  const stalls: { atS: number; ms: number; cpuMs?: number; waitingForCoreMs?: number }[] = [];
  const schedstat = (): [number, number] | null => {
    try {
      const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
      return [Number(cpu) / 1e6, Number(wait) / 1e6];
    } catch {
      return null;
    }
  };
  const sched0 = schedstat();
  let tick = performance.now();
  let lastSched = sched0;
  const stallTimer = setInterval(() => {
    const now = performance.now();
    const sched = schedstat();
    if (now - tick > 100) {
      const stall: (typeof stalls)[number] = {
        atS: Number(((tick - t0) / 1000).toFixed(2)),
        ms: Math.round(now - tick - 10),
      };
      if (sched && lastSched) {
        stall.cpuMs = Math.round(sched[0] - lastSched[0]);
        stall.waitingForCoreMs = Math.round(sched[1] - lastSched[1]);
      }
      stalls.push(stall);
    }
    tick = now;
    lastSched = sched;
  }, 10);
  // the clients run in a process of their own (bench/_load-clients.ts): this thread is the server's
  const config: LoadClientsConfig = {
    base,
    token: server.token,
    seconds,
    sampleId,
    runId: run.id,
    srGenes,
    tiles,
  };
  const clients = await new Promise<LoadClientsResult>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'bench', '_load-clients.ts'), JSON.stringify(config)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadClientsResult)
        : reject(new Error(`the load clients exited with ${String(code)}`)),
    );
  });
  h.disable();
  clearInterval(stallTimer);
  const sched1 = schedstat();
  const peak = rss.stop();
  const loadAfter = loadavg()[0]!;
  await server.close();
  await service.closeProject();
  const latency = Object.entries(clients.latency);
  const all = latency.flatMap(([, v]) => v).sort((a, b) => a - b);
  const requests = all.length;
  return {
    seconds,
    sample: 'mob/MOB1 (1905² px, 379 spots)',
    heavyJobs: 'features extraction + HISTEX training (20 epochs, 50 genes), each restarted when it ends',
    clients: 'a separate process (bench/_load-clients.ts)',
    heavyJobsRunningMean: Number(clients.heavyRunningMean.toFixed(2)),
    heavyJobsStarted: clients.heavyStarted,
    heavyJobsFinished: clients.heavyDone,
    requests,
    requestsPerSecond: Number((requests / seconds).toFixed(1)),
    failedRequests: clients.failures,
    requestMs: Object.fromEntries(
      latency.map(([k, v]) => {
        const s = [...v].sort((a, b) => a - b);
        return [
          k,
          { n: s.length, p50: Math.round(percentile(s, 0.5)), p99: Math.round(percentile(s, 0.99)) },
        ];
      }),
    ),
    eventLoopDelayMs: {
      p50: Number((h.percentile(50) / 1e6).toFixed(1)),
      p99: Number((h.percentile(99) / 1e6).toFixed(1)),
      max: Number((h.max / 1e6).toFixed(1)),
    },
    peakRssMiB: Math.round(peak / 2 ** 20),
    stallsOver100Ms: stalls.length,
    ...(sched0 && sched1
      ? {
          serverThread: {
            cpuSeconds: Number(((sched1[0] - sched0[0]) / 1000).toFixed(1)),
            waitingForCoreSeconds: Number(((sched1[1] - sched0[1]) / 1000).toFixed(1)),
          },
        }
      : {}),
    longestStalls: [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 10),
    jobStarts: clients.jobStarts,
    loadAverage1m: { before: Number(loadBefore.toFixed(1)), after: Number(loadAfter.toFixed(1)) },
  };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const drillsTotal = Number(argValue(args, '--drills') ?? 20);
  const loadSeconds = Number(argValue(args, '--load-seconds') ?? 120);
  const note = (s: string) => process.stderr.write(`${s}\n`);
  // each part as it finishes, one JSON line per part (a long run can be read before it ends)
  const progressFile = argValue(args, '--progress');
  const progress = (v: unknown) => {
    if (progressFile) appendFileSync(progressFile, `${JSON.stringify(v)}\n`);
  };
  const root = mkdtempSync(join(tmpdir(), 'stsr-bench-reliability-'));
  const started = performance.now();
  try {
    samplePath = await buildSample(root);
    const out: Record<string, unknown> = { summary: null };
    if (!args.includes('--skip-corpus')) {
      note('[reliability] corpus');
      out.corpus = await corpus(root, note, args.includes('--workers'));
      progress({ corpus: out.corpus });
    }
    // --kinds import,export: drill only those (the stages before the last one are still built)
    const kinds = (argValue(args, '--kinds')?.split(',') ?? KINDS).filter((k): k is Kind =>
      KINDS.includes(k as Kind),
    );
    const needLoad = !args.includes('--skip-load');
    if (needLoad) {
      out.load = await load(root, loadSeconds, note, argValue(args, '--load-setup'));
      progress({ load: out.load });
    }
    const last = KINDS.filter((k) => kinds.includes(k)).pop();
    const stages = last ? await prepareStages(root, note, last) : ({} as Record<Kind, Stage>);
    const drills: DrillResult[] = [];
    const scale = drillsTotal / 20;
    // each kind gets its number of kills in mid-job: a seed whose kill point comes after the job
    // has ended (a quick export) is recorded and the next seed is tried, up to three times as many
    const want = Object.fromEntries(kinds.map((k) => [k, Math.max(1, Math.round(DRILLS[k]! * scale))]));
    const nextSeed = Object.fromEntries(kinds.map((k) => [k, 1]));
    const killsOf = (k: Kind) => drills.filter((d) => d.kind === k && d.killedAt !== null).length;
    for (;;) {
      const todo = kinds.filter((k) => killsOf(k) < want[k]! && nextSeed[k]! <= 3 * want[k]!);
      if (todo.length === 0) break;
      for (const kind of todo) {
        const seed = nextSeed[kind]!++;
        const d = await drill(kind, seed, stages[kind], root);
        note(
          `[reliability] drill ${kind} seed ${seed}: kill at ${d.killedAt ?? '-'} → ${d.stateAfterKill}, resumed ${d.resumedState}, identical ${String(d.identical)}${d.note ? ` (${d.note})` : ''}`,
        );
        drills.push(d);
        progress({ drill: d });
      }
    }
    const killed = drills.filter((d) => d.killedAt !== null);
    out.drills = {
      total: drills.length,
      killedMidJob: killed.length,
      byKind: Object.fromEntries(kinds.map((k) => [k, killed.filter((d) => d.kind === k).length])),
      integrityOk: killed.filter((d) => d.integrity === 'ok').length,
      interrupted: killed.filter((d) => d.stateAfterKill === 'interrupted').length,
      resumedDone: killed.filter((d) => d.resumedState === 'done').length,
      identicalToUninterrupted: killed.filter((d) => d.identical).length,
      survived: killed.filter((d) => d.survived).length,
      details: drills,
    };
    // the figures the issue asks for, in one place at the front of the last JSON line
    const c = out.corpus as Record<string, number> | undefined;
    const integrityFailures = killed.filter((d) => d.integrity !== 'ok').length;
    out.summary = {
      cases: c?.cases ?? null,
      clearErrors: c?.clearErrors ?? null,
      hangs: c?.hangs ?? null,
      silentAcceptances: c?.silentAcceptances ?? null,
      crashes: c?.crashes ?? null,
      // a project changed by a failed import, or a database that failed integrity_check after a kill
      corruptions: (c?.changedProjects ?? 0) + integrityFailures,
      drills: drills.length,
      drillsKilledMidJob: killed.length,
      drillsSurvived: killed.filter((d) => d.survived).length,
      drillsIdentical: killed.filter((d) => d.identical).length,
      eventLoopDelayP99Ms:
        (out.load as { eventLoopDelayMs?: { p99: number } } | undefined)?.eventLoopDelayMs?.p99 ?? null,
      eventLoopDelayMaxMs:
        (out.load as { eventLoopDelayMs?: { max: number } } | undefined)?.eventLoopDelayMs?.max ?? null,
    };
    out.loadAverage = loadavg().map((x) => Number(x.toFixed(1)));
    out.totalSeconds = Math.round((performance.now() - started) / 1000);
    out.note =
      'Measured on a shared 2-core machine with other jobs running: timings and delays are pessimistic.';
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Runs one corpus case through the real import task against a real project and classifies what
 * happened: a clear error (the right code, naming the file and the problem), a wrong or vague
 * error, a crash (an untyped exception), a silent acceptance, or a hang; and whether the project
 * changed (its arrays, pyramids, images, sample and layer rows, integrity_check).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EngineError } from '../../main/engine/errors';
import { ImportError } from '../../main/engine/io';
import { JobRunner } from '../../main/engine/jobs/runner';
import { openProject } from '../../main/engine/store/project';
import { run as importTask } from '../../main/engine/tasks/import-sample';
import { TASKS } from '../../main/engine/tasks';
import type { CorpusCase } from './cases';

export type Verdict = 'clear-error' | 'wrong-error' | 'crash' | 'silent-acceptance' | 'hang';

export interface CaseOutcome {
  id: string;
  verdict: Verdict;
  projectChanged: boolean;
  code?: string;
  problem?: string;
  message?: string;
  ms: number;
  /** what did not match, for the report */
  why?: string;
}

function listTree(dir: string, prefix = ''): string[] {
  let out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat([`${prefix}${e.name}/`], listTree(p, `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}:${statSync(p).size}`);
  }
  return out.sort();
}

/** What a failed import must leave exactly as it was. */
export function projectSnapshot(projectDir: string): string {
  const p = openProject(projectDir);
  try {
    const rows = (sql: string) => JSON.stringify(p.db.prepare(sql).all());
    return JSON.stringify({
      integrity: p.db.pragma('integrity_check', { simple: true }),
      samples: rows('SELECT * FROM samples ORDER BY id'),
      layers: rows('SELECT * FROM layers ORDER BY id'),
      arrays: listTree(join(projectDir, 'arrays')),
      pyramids: listTree(join(projectDir, 'pyramids')),
      images: listTree(join(projectDir, 'images')),
    });
  } finally {
    p.close();
  }
}

function judge(
  c: CorpusCase,
  err: unknown,
): Pick<CaseOutcome, 'verdict' | 'code' | 'problem' | 'message' | 'why'> {
  if (!(err instanceof EngineError) && !(err as { code?: string } | undefined)?.code) {
    return { verdict: 'crash', message: String((err as Error)?.stack ?? err) };
  }
  const e = err as { code: string; message: string; problem?: string };
  const base = {
    code: e.code,
    message: e.message,
    ...(e instanceof ImportError ? { problem: e.problem } : {}),
  };
  const misses: string[] = [];
  if (e.code !== c.code) misses.push(`code ${e.code}, expected ${c.code}`);
  if (!e.message.includes(c.file)) misses.push(`message does not name ${c.file}`);
  if (!c.problem.test(e.message)) misses.push(`message does not match ${String(c.problem)}`);
  return misses.length === 0
    ? { verdict: 'clear-error', ...base }
    : { verdict: 'wrong-error', ...base, why: misses.join('; ') };
}

/**
 * In this process, calling the task module directly (what a job worker does, minus the thread):
 * quick enough for `npm test`. A read that blocks synchronously would hang the test process
 * itself, which the test run's own time limit then reports.
 */
export async function runCaseInline(
  c: CorpusCase,
  caseDir: string,
  projectDir: string,
  jobId: number,
  timeoutMs: number,
): Promise<CaseOutcome> {
  mkdirSync(caseDir, { recursive: true });
  const params = await c.build(caseDir);
  const before = projectSnapshot(projectDir);
  const ac = new AbortController();
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), timeoutMs);
  });
  let outcome: Pick<CaseOutcome, 'verdict' | 'code' | 'problem' | 'message' | 'why'>;
  try {
    const r = await Promise.race([
      importTask(params, { projectDir, jobId, signal: ac.signal, progress: () => undefined }),
      hang,
    ]);
    outcome = r === 'hang' ? { verdict: 'hang' } : { verdict: 'silent-acceptance' };
    if (r === 'hang') ac.abort();
  } catch (err) {
    outcome = judge(c, err);
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  const projectChanged = projectSnapshot(projectDir) !== before;
  return { id: c.id, ...outcome, projectChanged, ms };
}

/**
 * Through the real job runner (a worker thread per job, as the app and the CLI run imports): a
 * read that blocks its thread for good is caught by the timeout, the worker terminated, and the
 * case counted as a hang.
 */
export async function runCaseInWorker(
  c: CorpusCase,
  caseDir: string,
  projectDir: string,
  timeoutMs: number,
): Promise<CaseOutcome> {
  mkdirSync(caseDir, { recursive: true });
  const params = await c.build(caseDir);
  const before = projectSnapshot(projectDir);
  const project = openProject(projectDir);
  const runner = new JobRunner(project, TASKS);
  const t0 = performance.now();
  let outcome: Pick<CaseOutcome, 'verdict' | 'code' | 'problem' | 'message' | 'why'>;
  try {
    const job = runner.submit('sample.import', params);
    const settled = await Promise.race([
      runner.whenIdle().then(() => 'idle' as const),
      new Promise<'hang'>((r) => setTimeout(() => r('hang'), timeoutMs).unref()),
    ]);
    if (settled === 'hang') {
      runner.cancel(job.id);
      outcome = { verdict: 'hang' };
    } else {
      const row = runner.get(job.id);
      if (row.state === 'done') outcome = { verdict: 'silent-acceptance' };
      else if (!row.error) outcome = { verdict: 'crash', message: `job ${row.state} without an error` };
      else if (row.error.code === 'INTERNAL') outcome = { verdict: 'crash', message: row.error.message };
      else {
        const err = Object.assign(
          new EngineError(row.error.code as EngineError['code'], row.error.message),
          {},
        );
        outcome = judge(c, err);
      }
    }
  } finally {
    await runner.close();
    project.close();
  }
  const ms = performance.now() - t0;
  const projectChanged = projectSnapshot(projectDir) !== before;
  return { id: c.id, ...outcome, projectChanged, ms };
}

export function describeOutcome(o: CaseOutcome): string {
  return `${o.id}: ${o.verdict}${o.projectChanged ? ' + PROJECT CHANGED' : ''} ${o.code ?? ''} ${basename(o.message ?? '').slice(0, 300)}${o.why ? ` (${o.why})` : ''}`;
}

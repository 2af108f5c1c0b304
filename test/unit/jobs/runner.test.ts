import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../main/engine/jobs/runner';
import type { TaskDefinition } from '../../../main/engine/jobs/task';
import { createProject, openProject } from '../../../main/engine/store/project';
import type { JobRow } from '../../../main/engine/store/repos/jobs';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const squares: TaskDefinition = {
  kind: 'test.squares',
  module: fileURLToPath(new URL('../../fixtures/tasks/chunked-squares.ts', import.meta.url)),
  heavy: true,
  title: () => 'Squares',
};
const TASKS = new Map([[squares.kind, squares]]);

function expectedTotal(n: number): number {
  let t = 0;
  for (let v = 0; v < n; v++) t += v * v;
  return t;
}

describe('job runner', () => {
  it('runs a job in a worker, reports progress with an ETA, and stores the result', async () => {
    const p = createProject(join(tmp.dir, 'a'));
    const runner = new JobRunner(p, TASKS);
    const seen: JobRow[] = [];
    runner.on('job', (r) => seen.push(r));
    const job = runner.submit('test.squares', { chunks: 8, chunkSize: 1000, delayMs: 120 });
    await runner.whenIdle();
    const done = runner.get(job.id);
    expect(done.state).toBe('done');
    expect(done.fraction).toBe(1);
    expect(done.result).toEqual({ written: 8, skipped: 0, total: expectedTotal(8000) });
    const running = seen.filter((r) => r.state === 'running' && r.fraction > 0);
    expect(running.length).toBeGreaterThan(1);
    expect(running.some((r) => r.etaSeconds !== null && r.etaSeconds > 0)).toBe(true);
    await runner.close();
    p.close();
  });

  it('cancels a running job and keeps at most one heavy job running', async () => {
    const p = createProject(join(tmp.dir, 'b'));
    const runner = new JobRunner(p, TASKS, { maxHeavy: 1 });
    let maxConcurrent = 0;
    runner.on('job', () => {
      const n = runner.list().filter((r) => r.state === 'running').length;
      maxConcurrent = Math.max(maxConcurrent, n);
    });
    const a = runner.submit('test.squares', { chunks: 50, chunkSize: 10, delayMs: 100 });
    const b = runner.submit('test.squares', { chunks: 2, chunkSize: 10, delayMs: 10 });
    expect(runner.get(b.id).state).toBe('queued');
    await new Promise<void>((resolve) => {
      runner.on('job', (r) => {
        if (r.id === a.id && r.fraction > 0.05) resolve();
      });
    });
    runner.cancel(a.id);
    await runner.whenIdle();
    expect(runner.get(a.id).state).toBe('cancelled');
    expect(runner.get(b.id).state).toBe('done');
    expect(maxConcurrent).toBe(1);
    await runner.close();
    p.close();
  });

  it('records a failure with its message and hint, and resumes it from saved chunks', async () => {
    const dir = join(tmp.dir, 'c');
    const p = createProject(dir);
    const runner = new JobRunner(p, TASKS);
    const job = runner.submit('test.squares', { chunks: 4, chunkSize: 10, delayMs: 1, failAtChunk: 2 });
    await runner.whenIdle();
    const failed = runner.get(job.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toEqual({
      code: 'BAD_INPUT',
      message: 'Chunk 2 was asked to fail.',
      hint: 'Remove failAtChunk.',
    });
    // Same job, params fixed by hand as a user would after reading the hint.
    p.db
      .prepare('UPDATE jobs SET params_json = ? WHERE id = ?')
      .run(JSON.stringify({ chunks: 4, chunkSize: 10, delayMs: 1 }), job.id);
    runner.resume(job.id);
    await runner.whenIdle();
    const resumed = runner.get(job.id);
    expect(resumed.state).toBe('done');
    expect(resumed.result).toMatchObject({ written: 2, skipped: 2 });
    expect(() => runner.resume(job.id)).toThrow(/only interrupted, failed or cancelled/);
    expect(readdirSync(join(dir, 'arrays')).filter((f) => f.startsWith(`job-${job.id}-`))).toHaveLength(4);
    await runner.close();
    p.close();
  });

  it('fails jobs of kinds this version does not know instead of hanging', async () => {
    const dir = join(tmp.dir, 'd');
    const p = createProject(dir);
    p.db
      .prepare(
        "INSERT INTO jobs (kind, title, params_json, state) VALUES ('future.kind', 'F', '{}', 'queued')",
      )
      .run();
    p.close();
    const q = openProject(dir);
    const runner = new JobRunner(q, TASKS);
    runner.submit('test.squares', { chunks: 1, chunkSize: 1, delayMs: 1 });
    await runner.whenIdle();
    const rows = runner.list();
    expect(rows.find((r) => r.kind === 'future.kind')!.state).toBe('failed');
    expect(rows.find((r) => r.kind === 'future.kind')!.error!.message).toMatch(/cannot run jobs of kind/);
    await runner.close();
    q.close();
  });
});

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../main/engine/jobs/runner';
import { readArrayFile } from '../../main/engine/store/array-file';
import { openProject } from '../../main/engine/store/project';
import { TASKS } from '../../main/engine/tasks';
import { repoRoot, sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

function jobState(dir: string): { state: string; fraction: number } | undefined {
  try {
    const db = new Database(join(dir, 'project.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT state, fraction FROM jobs ORDER BY id DESC LIMIT 1').get() as
        { state: string; fraction: number } | undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined; // not created yet
  }
}

describe('a process killed in the middle of a job', () => {
  it('leaves the job interrupted, the database intact and no half-written array visible; resume finishes it', async () => {
    const dir = join(tmp.dir, 'proj');
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'stsr.mjs'), 'import', sharedData('her2st', 'C2'), '--project', dir, '--json'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let seen: { state: string; fraction: number } | undefined;
    for (let i = 0; i < 600; i++) {
      seen = jobState(dir);
      if (seen?.state === 'running' && seen.fraction > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen?.state).toBe('running');
    child.kill('SIGKILL');
    expect(await exited).toBeNull();

    const project = openProject(dir);
    try {
      expect(project.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const job = project.db.prepare('SELECT id, state FROM jobs').get() as { id: number; state: string };
      expect(job.state).toBe('interrupted');
      const files = readdirSync(project.arraysDir);
      expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
      for (const f of files.filter((f) => f.endsWith('.arr')))
        expect(() => readArrayFile(join(project.arraysDir, f))).not.toThrow();

      const runner = new JobRunner(project, TASKS);
      runner.resume(job.id);
      await runner.whenIdle();
      const done = runner.get(job.id);
      expect(done.state).toBe('done');
      expect(done.result).toMatchObject({ name: 'C2' });
      await runner.close();
      expect((project.db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n).toBe(1);
    } finally {
      project.close();
    }
  });
});

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProject, openProject } from '../../main/engine/store/project';
import { finishJob, insertJob } from '../../main/engine/store/repos/jobs';
import { stsr } from '../helpers/cli';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('stsr-jobs-');
afterAll(tmp.cleanup);
const home = join(tmp.dir, 'home');

/** A job row as a killed process leaves it: interrupted, with its pyramid's scratch on disk. */
function interruptedImport(dir: string, path: string): number {
  const p = openProject(dir);
  try {
    const id = insertJob(p.db, 'sample.import', 'Import', { path });
    p.db.prepare("UPDATE jobs SET state = 'interrupted', fraction = 0.4 WHERE id = ?").run(id);
    mkdirSync(join(dir, 'pyramids', `job-${id}`, '.work'), { recursive: true });
    writeFileSync(join(dir, 'pyramids', `job-${id}`, '.work', 'base.tif'), 'half');
    return id;
  } finally {
    p.close();
  }
}

describe('stsr jobs (#16 finding 7)', () => {
  const dir = join(tmp.dir, 'proj');
  createProject(dir).close();

  it('lists, shows, resumes and cancels jobs, with --json', () => {
    const failed = stsr(home, 'import', join(tmp.dir, 'no-such-sample'), '--project', dir);
    expect(failed.code).toBe(3);
    const id = interruptedImport(dir, sharedData('mob', 'MOB1'));

    const list = stsr(home, 'jobs', 'list', '--project', dir);
    expect(list.code).toBe(0);
    const jobs = list.json.jobs as { id: number; state: string; resumable: boolean }[];
    expect(jobs.map((j) => [j.id, j.state, j.resumable])).toEqual([
      [id, 'interrupted', true],
      [1, 'failed', true],
    ]);

    const show = stsr(home, 'jobs', 'show', '1', '--project', dir);
    expect(show.json).toMatchObject({
      id: 1,
      state: 'failed',
      params: { path: join(tmp.dir, 'no-such-sample') },
    });
    expect((show.json.error as { message: string }).message).toMatch(/no-such-sample/);

    // resumable scratch survives a reopen (list above opened the project) …
    expect(existsSync(join(dir, 'pyramids', `job-${id}`, '.work'))).toBe(true);
    const resumed = stsr(home, 'jobs', 'resume', String(id), '--project', dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ id, state: 'done' });
    expect((resumed.json.result as { spots: number }).spots).toBeGreaterThan(100);

    const cancel = stsr(home, 'jobs', 'cancel', '1', '--project', dir);
    expect(cancel.json).toMatchObject({ id: 1, state: 'cancelled' });
    const again = stsr(home, 'jobs', 'cancel', '1', '--project', dir);
    expect(again.code).toBe(1);
    expect((again.json.error as { code: string }).code).toBe('CONFLICT');

    // CLI outputs go through the path guard: never over the project's own state (#16)
    for (const out of ['project.sqlite', 'arrays/x.h5ad', 'pyramids/x.csv']) {
      const r = stsr(home, 'export', 'MOB1', '--format', 'h5ad', '--out', join(dir, out), '--project', dir);
      expect(r.code, out).toBe(2);
      expect((r.json.error as { code: string }).code, out).toBe('FORBIDDEN');
    }
    const p = openProject(dir);
    expect(p.db.pragma('integrity_check', { simple: true })).toBe('ok');
    p.close();

    expect(stsr(home, 'jobs', 'show', '999', '--project', dir).code).toBe(3);
    expect(stsr(home, 'jobs', 'frobnicate', '--project', dir).code).toBe(2);
    expect(stsr(home, 'jobs', 'show', 'x', '--project', dir).code).toBe(2);
  }, 600_000);

  it('sweeps the scratch of jobs that will not resume on open, and keeps resumable ones (#16 finding 8)', () => {
    const d = join(tmp.dir, 'sweep');
    createProject(d).close();
    const keep = interruptedImport(d, '/nowhere');
    const gone = interruptedImport(d, '/nowhere');
    const orphan = 9999;
    mkdirSync(join(d, 'pyramids', `job-${orphan}`, '.work'), { recursive: true });
    const p = openProject(d);
    finishJob(p.db, gone, 'cancelled', {});
    p.close();
    openProject(d).close();
    expect(existsSync(join(d, 'pyramids', `job-${keep}`, '.work', 'base.tif'))).toBe(true);
    expect(existsSync(join(d, 'pyramids', `job-${gone}`, '.work'))).toBe(false);
    expect(existsSync(join(d, 'pyramids', `job-${orphan}`, '.work'))).toBe(false);
    // cancelling (giving up) an interrupted job from the CLI removes its scratch at once
    const c = stsr(home, 'jobs', 'cancel', String(keep), '--project', d);
    expect(c.json).toMatchObject({ state: 'cancelled' });
    expect(existsSync(join(d, 'pyramids', `job-${keep}`, '.work'))).toBe(false);
  }, 60_000);
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../../main/engine/errors';
import { LATEST_SCHEMA_VERSION } from '../../../main/engine/store/migrations';
import { createProject, openProject } from '../../../main/engine/store/project';
import { resolveInsideProject } from '../../../main/engine/store/project-paths';
import * as jobs from '../../../main/engine/store/repos/jobs';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

describe('project store', () => {
  it('creates a project folder with WAL, foreign keys and the latest schema', () => {
    const dir = join(tmp.dir, 'p1');
    const p = createProject(dir, 'First');
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
    expect(existsSync(join(dir, 'arrays'))).toBe(true);
    expect(p.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(p.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(p.name()).toBe('First');
    p.close();
    const again = openProject(dir);
    expect(again.name()).toBe('First');
    again.close();
  });

  it('refuses to create over an existing project and to open a folder that is none', () => {
    const dir = join(tmp.dir, 'p2');
    createProject(dir).close();
    expect(() => createProject(dir)).toThrow(/already holds a project/);
    expect(() => openProject(join(tmp.dir, 'nothing-here'))).toThrow(/not an STSR Studio project/);
  });

  it('refuses a project from a newer schema without touching it', () => {
    const dir = join(tmp.dir, 'p3');
    createProject(dir).close();
    const raw = new Database(join(dir, 'project.sqlite'));
    raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA_VERSION + 5);
    raw.close();
    const before = readFileSync(join(dir, 'project.sqlite'));
    let err: unknown;
    try {
      openProject(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('SCHEMA_TOO_NEW');
    expect((err as EngineError).message).toMatch(/newer STSR Studio/);
    expect(readFileSync(join(dir, 'project.sqlite')).equals(before)).toBe(true);
  });

  it('says the database is damaged rather than crashing on garbage', () => {
    const dir = join(tmp.dir, 'p4');
    createProject(dir).close();
    writeFileSync(join(dir, 'project.sqlite'), 'this is not sqlite at all, just text padding '.repeat(200));
    for (const f of ['project.sqlite-wal', 'project.sqlite-shm']) writeFileSync(join(dir, f), '');
    expect(() => openProject(dir)).toThrow(EngineError);
  });

  it('marks running jobs of dead processes interrupted on open, and sweeps temp files', () => {
    const dir = join(tmp.dir, 'p5');
    const p = createProject(dir);
    const id = jobs.insertJob(p.db, 'x', 'X', {});
    jobs.markRunning(p.db, id, 2 ** 22 + 12345); // a pid that is not alive
    const mine = jobs.insertJob(p.db, 'x', 'mine', {});
    jobs.markRunning(p.db, mine);
    const temps = [
      join(dir, 'arrays', '.tmp-half.arr.abcd'),
      join(dir, 'arrays', 'features-job-3', '.tmp-rows-0002.arr.ef01'),
      join(dir, 'exports', '.tmp-c2.h5ad'),
    ];
    mkdirSync(join(dir, 'arrays', 'features-job-3'));
    writeFileSync(join(dir, 'arrays', 'features-job-3', 'rows-0001.arr'), 'finished chunk');
    for (const t of temps) writeFileSync(t, 'partial');
    p.close();
    const q = openProject(dir);
    expect(jobs.getJob(q.db, id)!.state).toBe('interrupted');
    expect(jobs.getJob(q.db, mine)!.state).toBe('running'); // this process is alive: not ours to judge
    // a live job may be writing those temp files right now: they stay
    expect(temps.filter((t) => existsSync(t))).toEqual(temps);
    jobs.finishJob(q.db, mine, 'done', {});
    q.close();
    openProject(dir).close();
    expect(temps.filter((t) => existsSync(t))).toEqual([]);
    expect(existsSync(join(dir, 'arrays', 'features-job-3', 'rows-0001.arr'))).toBe(true);
  });

  it('resolves project paths and refuses every escape', () => {
    const dir = join(tmp.dir, 'p1');
    expect(resolveInsideProject(dir, 'arrays/a.arr')).toBe(join(dir, 'arrays', 'a.arr'));
    for (const bad of ['../x', '/etc/passwd', 'arrays/../../x', '..', '', 'a\0b', 'C:\\x']) {
      expect(() => resolveInsideProject(dir, bad), bad).toThrow(EngineError);
    }
  });
});

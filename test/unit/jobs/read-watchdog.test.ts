import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canWatchReads, READ_TIMEOUT_ENV, readTimeoutFrom } from '../../../main/engine/jobs/read-watchdog';
import { JobRunner } from '../../../main/engine/jobs/runner';
import type { TaskDefinition } from '../../../main/engine/jobs/task';
import { createProject } from '../../../main/engine/store/project';
import type { JobRow } from '../../../main/engine/store/repos/jobs';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const stalled: TaskDefinition = {
  kind: 'test.stalled',
  module: fileURLToPath(new URL('../../fixtures/tasks/stalled-read.ts', import.meta.url)),
  heavy: true,
  title: () => 'Stalled read',
};

async function runJob(dir: string, params: unknown, release?: () => void): Promise<JobRow> {
  const p = createProject(join(tmp.dir, dir));
  const runner = new JobRunner(p, new Map([[stalled.kind, stalled]]), { readTimeoutS: 1, nice: 0 });
  try {
    const job = runner.submit(stalled.kind, params);
    await runner.whenIdle();
    return runner.get(job.id);
  } finally {
    // let the stalled thread's call return, so that it ends (its JS is stopped at once)
    release?.();
    await runner.close();
    p.close();
  }
}

function fifo(name: string): string {
  const f = join(tmp.dir, name);
  execFileSync('mkfifo', [f]);
  return f;
}

describe('read time limit of jobs', () => {
  it('reads STSR_READ_TIMEOUT_S: default 120 s, 0 = off, anything else refused by name', () => {
    expect(readTimeoutFrom({})).toBe(120);
    expect(readTimeoutFrom({ [READ_TIMEOUT_ENV]: '0' })).toBe(0);
    expect(readTimeoutFrom({ [READ_TIMEOUT_ENV]: '2.5' })).toBe(2.5);
    for (const bad of ['-1', 'soon'])
      expect(() => readTimeoutFrom({ [READ_TIMEOUT_ENV]: bad })).toThrow(/STSR_READ_TIMEOUT_S must be/);
  });

  describe.runIf(canWatchReads())('on Linux', () => {
    it('fails a job whose read never returns, naming the file and the limit', async () => {
      const f = fifo('stalled-read');
      const row = await runJob('read', { mode: 'read', file: f }, () => {
        const w = openSync(f, 'w');
        writeSync(w, 'x');
        closeSync(w);
      });
      expect(row.state).toBe('failed');
      expect(row.error?.code).toBe('BAD_INPUT');
      expect(row.error?.message).toContain(f);
      expect(row.error?.message).toMatch(/while reading it \(the read time limit is 1 s\)/);
      expect(row.error?.hint).toMatch(/STSR_READ_TIMEOUT_S/);
    }, 60_000);

    it('names the file of an open that never returns', async () => {
      const f = fifo('stalled-open');
      const row = await runJob('open', { mode: 'open', file: f }, () => closeSync(openSync(f, 'w')));
      expect(row.state).toBe('failed');
      expect(row.error?.message).toContain(f);
      expect(row.error?.message).toMatch(/while opening it/);
    }, 60_000);

    it('leaves a job that reads a lot but keeps going alone', async () => {
      const f = join(tmp.dir, 'data.bin');
      writeFileSync(f, Buffer.alloc(1 << 16, 7));
      const row = await runJob('busy', { mode: 'busy', file: f, seconds: 3 });
      expect(row.state, JSON.stringify(row.error)).toBe('done');
    }, 60_000);
  });
});

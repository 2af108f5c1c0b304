import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../main/engine/jobs/runner';
import type { TaskDefinition } from '../../../main/engine/jobs/task';
import {
  currentThreadNice,
  DEFAULT_JOB_NICE,
  JOB_NICE_ENV,
  jobNiceFrom,
} from '../../../main/engine/jobs/thread-priority';
import { createProject } from '../../../main/engine/store/project';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const report: TaskDefinition = {
  kind: 'test.nice',
  module: fileURLToPath(new URL('../../fixtures/tasks/report-nice.ts', import.meta.url)),
  heavy: true,
  title: () => 'Nice',
};

async function runReport(dir: string, nice: number) {
  const p = createProject(join(tmp.dir, dir));
  const runner = new JobRunner(p, new Map([[report.kind, report]]), { nice });
  try {
    const job = runner.submit(report.kind, {});
    await runner.whenIdle();
    const row = runner.get(job.id);
    expect(row.state, JSON.stringify(row.error)).toBe('done');
    return row.result as { self: number | null; sessionThreads: number[] };
  } finally {
    await runner.close();
    p.close();
  }
}

describe('job thread priority', () => {
  it('reads STSR_JOB_NICE: default 10, 0 to 19, anything else refused by name', () => {
    expect(jobNiceFrom({})).toBe(DEFAULT_JOB_NICE);
    expect(jobNiceFrom({ [JOB_NICE_ENV]: '' })).toBe(DEFAULT_JOB_NICE);
    expect(jobNiceFrom({ [JOB_NICE_ENV]: '0' })).toBe(0);
    expect(jobNiceFrom({ [JOB_NICE_ENV]: '19' })).toBe(19);
    for (const bad of ['20', '-1', '2.5', 'low'])
      expect(() => jobNiceFrom({ [JOB_NICE_ENV]: bad })).toThrow(
        /STSR_JOB_NICE must be a whole number from 0 to 19/,
      );
  });

  it.runIf(process.platform === 'linux')(
    "lowers the job's thread and the ONNX Runtime threads it creates, never the app's thread",
    async () => {
      const app = currentThreadNice();
      expect(app).not.toBeNull();
      const lowered = await runReport('a', 7);
      expect(lowered.self).toBe(Math.max(app!, 7));
      expect(lowered.sessionThreads.length).toBeGreaterThan(0);
      for (const n of lowered.sessionThreads) expect(n).toBe(lowered.self);
      expect(currentThreadNice()).toBe(app);
      // 0 keeps the app's priority
      const kept = await runReport('b', 0);
      expect(kept.self).toBe(app);
      for (const n of kept.sessionThreads) expect(n).toBe(app);
    },
    120_000,
  );
});

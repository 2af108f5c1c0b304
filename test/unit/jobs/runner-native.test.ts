// Stopping a job whose worker is inside native code (ONNX Runtime). Terminating such a worker
// used to abort the whole process ("terminate called after throwing an instance of
// 'Napi::Error'"); found by the load bench of issue #16 with two heavy jobs in the server process.
// A regression aborts this test file's process, so the failure shows as a crashed test file.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../main/engine/jobs/runner';
import type { TaskDefinition } from '../../../main/engine/jobs/task';
import { createProject } from '../../../main/engine/store/project';
import type { JobRow } from '../../../main/engine/store/repos/jobs';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const onnxLoop: TaskDefinition = {
  kind: 'test.onnx-loop',
  module: fileURLToPath(new URL('../../fixtures/tasks/onnx-loop.ts', import.meta.url)),
  heavy: true,
  title: () => 'ONNX loop',
};
const TASKS = new Map([[onnxLoop.kind, onnxLoop]]);

/** Resolves once each job has reported `runs` session runs (the workers are then inside ORT). */
function whenRunning(runner: JobRunner, ids: number[], runs: number): Promise<void> {
  return new Promise((resolve) => {
    const seen = new Set<number>();
    const on = (row: JobRow) => {
      if (ids.includes(row.id) && row.state === 'running' && /run (\d+)/.test(row.message)) {
        if (Number(/run (\d+)/.exec(row.message)![1]) >= runs) seen.add(row.id);
        if (seen.size === ids.length) {
          runner.off('job', on);
          resolve();
        }
      }
    };
    runner.on('job', on);
  });
}

describe('job runner with native work in its workers', () => {
  it('closes with two ONNX jobs running: the process survives and both jobs are interrupted', async () => {
    const p = createProject(join(tmp.dir, 'close'));
    const runner = new JobRunner(p, TASKS, { maxHeavy: 2 });
    const a = runner.submit('test.onnx-loop', { runs: 100_000 });
    const b = runner.submit('test.onnx-loop', { runs: 100_000 });
    await whenRunning(runner, [a.id, b.id], 3);
    await runner.close();
    expect(runner.get(a.id).state).toBe('interrupted');
    expect(runner.get(b.id).state).toBe('interrupted');
    p.close();
  }, 180_000);

  it('cancels an ONNX job mid-run and runs short ONNX jobs to the end, one after another', async () => {
    const p = createProject(join(tmp.dir, 'cancel'));
    const runner = new JobRunner(p, TASKS, { maxHeavy: 2 });
    const long = runner.submit('test.onnx-loop', { runs: 100_000 });
    const shorts = [1, 2, 3].map(() => runner.submit('test.onnx-loop', { runs: 2 }));
    await whenRunning(runner, [long.id], 2);
    runner.cancel(long.id);
    await runner.whenIdle();
    expect(runner.get(long.id).state).toBe('cancelled');
    for (const s of shorts) expect(runner.get(s.id)).toMatchObject({ state: 'done', result: { runs: 2 } });
    await runner.close();
    p.close();
  }, 180_000);
});

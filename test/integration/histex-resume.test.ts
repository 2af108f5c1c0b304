/**
 * A HISTEX job killed with SIGKILL mid-training resumes from its last checkpoint (onnx/trainer.ts,
 * one folder per ensemble model) and finishes with the same weights as an uninterrupted run with
 * the same seed: the stored folded heads are identical to the last bit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../main/engine/jobs/runner';
import { parseRun } from '../../main/engine/methods/runs';
import { readArrayFile } from '../../main/engine/store/array-file';
import { openProject } from '../../main/engine/store/project';
import { getRun } from '../../main/engine/store/repos/runs';
import { TASKS } from '../../main/engine/tasks';
import { stsr as runStsr } from '../helpers/cli';
import { repoRoot, sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);
const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);

// deterministic settings: no wall-clock budget, no early stopping, one model, enough steps to
// checkpoint several times (C2: 187 spots, batch 11 → 17 steps per epoch, a checkpoint every 10)
const RUN = [
  'sr',
  'C2',
  '--method',
  'histex',
  '--genes',
  '10',
  '--epochs',
  '6',
  '--ensemble',
  '1',
  '--seed',
  '5',
  '--early-stopping',
  'false',
  '--time-budget-seconds',
  '0',
];

describe('a HISTEX job killed mid-training', () => {
  it('resumes from its checkpoint and ends with the weights of an uninterrupted run', async () => {
    const dir = join(tmp.dir, 'p');
    expect(stsr('import', sharedData('her2st', 'C2'), '--project', dir).code).toBe(0);
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'stsr.mjs'), ...RUN, '--project', dir], {
      stdio: 'ignore',
      env: { ...process.env, STSR_HOME: join(tmp.dir, 'home') },
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // job 2 (job 1 is the import); its first model checkpoints into arrays/sr-job-2/model-0/
    const ckpt = join(dir, 'arrays', 'sr-job-2', 'model-0', 'checkpoint.stsr');
    for (let i = 0; i < 12_000 && !existsSync(ckpt); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(ckpt)).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const atKill = readArrayFile(ckpt).meta as { updates: number };
    // 6 epochs × 17 steps: the kill came before the end
    expect(atKill.updates).toBeGreaterThan(0);
    expect(atKill.updates).toBeLessThan(6 * 17);

    const project = openProject(dir);
    try {
      const job = project.db.prepare("SELECT id, state FROM jobs WHERE kind = 'sr'").get() as {
        id: number;
        state: string;
      };
      expect(job.state).toBe('interrupted');
      const runner = new JobRunner(project, TASKS);
      runner.resume(job.id);
      await runner.whenIdle();
      const done = runner.get(job.id);
      await runner.close();
      expect(done.state, JSON.stringify(done.error)).toBe('done');
      const resumed = done.result as { runId: number; details: { resumedFromStep: number[] } };
      expect(resumed.details.resumedFromStep[0]).toBeGreaterThanOrEqual(atKill.updates);

      const straight = stsr(...RUN, '--project', dir);
      expect(straight.code, straight.stderr).toBe(0);
      const head = (runId: number) => {
        const run = parseRun(getRun(project.db, runId)!);
        if (run.kind !== 'superpixels') throw new Error('not a superpixel run');
        const files = run.arrays['heads'];
        if (!Array.isArray(files)) throw new Error('no heads');
        return readArrayFile(join(project.arraysDir, files[0]!)).data as Float64Array;
      };
      const a = head(resumed.runId);
      const b = head(straight.json.runId as number);
      expect(a.length).toBe(b.length);
      let differ = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
      expect(differ).toBe(0);
      // the checkpoint folder is gone once the run is stored
      expect(existsSync(join(dir, 'arrays', 'sr-job-2'))).toBe(false);
    } finally {
      project.close();
    }
  }, 1_800_000);
});

/**
 * The slide stays where the user keeps it, so it can break after a good import: cut short by a
 * sync, replaced by a named pipe, linked to a device. Feature extraction and export decode it
 * again; each must fail with a typed error naming the image (issue #16 finding 9: a bare
 * "VipsJpeg: premature end of JPEG image" with code INTERNAL; finding 4: a FIFO blocked the job
 * forever), and leave the project as it was. Real MOB1 data, real tasks; the FIFO case goes
 * through the job runner (a worker thread) so that a blocking open is caught by a time limit
 * instead of blocking this test process.
 */
import { copyFileSync, cpSync, rmSync, statSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EngineError } from '../../main/engine/errors';
import { JobRunner } from '../../main/engine/jobs/runner';
import { createProject, openProject } from '../../main/engine/store/project';
import { TASKS } from '../../main/engine/tasks';
import { run as exportTask } from '../../main/engine/tasks/export-sample';
import { run as featuresTask } from '../../main/engine/tasks/extract-features';
import { run as importTask } from '../../main/engine/tasks/import-sample';
import { mkfifo } from '../corpus/build';
import { projectSnapshot } from '../corpus/run-case';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('stsr-slide-after-import-');
const projectDir = join(tmp.dir, 'project');
const sampleDir = join(tmp.dir, 'MOB1');
const image = join(sampleDir, 'MOB1.jpg');
const pristine = join(tmp.dir, 'MOB1.jpg.orig');
let jobId = 100;

const ctx = () => ({
  projectDir,
  jobId: ++jobId,
  signal: new AbortController().signal,
  progress: () => undefined,
});

/** Project state a failed job must not change, feature sets included. */
function snapshot(): string {
  const p = openProject(projectDir);
  const features = JSON.stringify(p.db.prepare('SELECT * FROM feature_sets ORDER BY id').all());
  p.close();
  return projectSnapshot(projectDir) + features;
}

async function failure(run: () => Promise<unknown>): Promise<EngineError> {
  try {
    await run();
  } catch (err) {
    return err as EngineError;
  }
  throw new Error('the job succeeded on a broken slide');
}

beforeAll(async () => {
  cpSync(sharedData('mob', 'MOB1'), sampleDir, { recursive: true });
  copyFileSync(image, pristine);
  createProject(projectDir).close();
  await importTask({ path: sampleDir }, ctx());
}, 300_000);
afterAll(() => tmp.cleanup());
beforeEach(() => {
  rmSync(image, { force: true });
  copyFileSync(pristine, image);
});

describe('a slide that broke after its import', () => {
  it('cut short: features and export fail with CORRUPT naming the image; the project is unchanged', async () => {
    truncateSync(image, Math.floor(statSync(pristine).size * 0.6));
    const before = snapshot();
    const f = await failure(() => featuresTask({ sampleId: 1 }, ctx()));
    expect(f.code).toBe('CORRUPT');
    expect(f.message).toContain('MOB1.jpg');
    expect(f.message).toMatch(/cut short/);
    const e = await failure(() =>
      exportTask({ sampleId: 1, format: 'h5ad', out: join(projectDir, 'exports', 'x.h5ad') }, ctx()),
    );
    expect(e.code).toBe('CORRUPT');
    expect(e.message).toContain('MOB1.jpg');
    expect(snapshot()).toBe(before);
  }, 300_000);

  it('linked to /dev/zero: features refuse it as not a regular file', async () => {
    rmSync(image);
    symlinkSync('/dev/zero', image);
    const before = snapshot();
    const f = await failure(() => featuresTask({ sampleId: 1 }, ctx()));
    expect(f.code).toBe('BAD_INPUT');
    expect(f.message).toContain('MOB1.jpg');
    expect(f.message).toMatch(/device.*not a regular file/);
    expect(snapshot()).toBe(before);
  }, 300_000);

  it('replaced by a named pipe: the features job fails at once instead of blocking', async () => {
    rmSync(image);
    mkfifo(image);
    const before = snapshot();
    const p = openProject(projectDir);
    const runner = new JobRunner(p, TASKS);
    const job = runner.submit('features.extract', { sampleId: 1 });
    const limit = new Promise<'hang'>((r) => setTimeout(() => r('hang'), 120_000).unref());
    const outcome = await Promise.race([runner.whenIdle().then(() => 'ended' as const), limit]);
    if (outcome === 'hang') {
      // unblock the worker's open() so the runner can stop it, then fail
      copyFileSync(pristine, image);
    }
    expect(outcome).toBe('ended');
    const row = runner.get(job.id);
    await runner.close();
    p.close();
    expect(row.state).toBe('failed');
    expect(row.error?.code).toBe('BAD_INPUT');
    expect(row.error?.message).toContain('MOB1.jpg');
    expect(row.error?.message).toMatch(/named pipe/);
    expect(snapshot()).toBe(before);
  }, 300_000);
});

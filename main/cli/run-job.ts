import { EngineError } from '../engine/errors';
import { JobRunner } from '../engine/jobs/runner';
import type { Project } from '../engine/store/project';
import type { JobRow } from '../engine/store/repos/jobs';
import { TASKS } from '../engine/tasks';
import type { Output } from './output';
import { progressLine } from './progress-line';

/**
 * Runs one job to the end through the same persistent runner the app uses, so a CLI run shows up
 * in the project's job list and survives a crash as `interrupted`. Ctrl+C cancels it cleanly.
 */
export async function runJob(project: Project, kind: string, params: unknown, out: Output): Promise<unknown> {
  return driveJob(project, (runner) => runner.submit(kind, params), out);
}

/** Starts a job (a new one, or a resumed one) and waits for its end, as runJob does. */
export async function driveJob(
  project: Project,
  start: (runner: JobRunner) => JobRow,
  out: Output,
): Promise<unknown> {
  const runner = new JobRunner(project, TASKS);
  let last = '';
  runner.on('job', (row: JobRow) => {
    const line = progressLine(row);
    if (line !== last && row.state === 'running') out.note(line);
    last = line;
  });
  let job: JobRow;
  try {
    job = start(runner);
  } catch (err) {
    await runner.close();
    throw err;
  }
  const onSigint = () => {
    out.note('Cancelling…');
    runner.cancel(job.id);
  };
  process.on('SIGINT', onSigint);
  try {
    await runner.whenIdle();
  } finally {
    process.off('SIGINT', onSigint);
    await runner.close();
  }
  const done = runner.get(job.id);
  if (done.state === 'done') return done.result;
  if (done.state === 'cancelled') throw new EngineError('CANCELLED', `Job ${job.id} was cancelled.`);
  const err = done.error ?? { code: 'INTERNAL', message: 'The job failed without an error message.' };
  throw new EngineError(
    (err.code as EngineError['code']) ?? 'INTERNAL',
    err.message,
    err.hint ? { hint: err.hint } : {},
  );
}

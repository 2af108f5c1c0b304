/**
 * `stsr jobs list|show|resume|cancel` (issue #16 finding 7): the project's persistent job queue
 * from the command line, the same rows the app's Jobs drawer shows. `resume` runs the job to its
 * end in this process through the same JobRunner (its task continues from what it saved);
 * `cancel` stops a queued job, or gives up an interrupted/failed one so its temp files go.
 */
import { parseArgs } from 'node:util';
import { EngineError } from '../../engine/errors';
import { openProject } from '../../engine/store/project';
import { sweepJobWork } from '../../engine/store/job-temp';
import { finishJob, getJob, listJobs, type JobRow } from '../../engine/store/repos/jobs';
import { UsageError, type Output } from '../output';
import { driveJob } from '../run-job';

export const JOBS_HELP = `  jobs list                    the project's jobs, newest first (--all: every one, else the last 50)
  jobs show ID                 one job: parameters, progress, error or result
  jobs resume ID               resume an interrupted, failed or cancelled job and wait for it
  jobs cancel ID               cancel a queued job; give up an interrupted or failed one
`;

function jobId(v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0)
    throw new UsageError(`a job ID (a positive whole number) is needed, got "${v ?? ''}".`);
  return n;
}

function getOrThrow(db: Parameters<typeof getJob>[0], id: number): JobRow {
  const row = getJob(db, id);
  if (!row) throw new EngineError('NOT_FOUND', `No job with id ${id} in this project.`);
  return row;
}

function line(j: JobRow): string {
  const pct = `${Math.round(j.fraction * 100)}%`.padStart(4);
  const tail = j.error ? `  ${j.error.message}` : j.message ? `  ${j.message}` : '';
  return `${String(j.id).padStart(5)}  ${j.state.padEnd(11)} ${pct}  ${j.kind.padEnd(16)} ${j.title}${tail}`;
}

function summary(j: JobRow): Record<string, unknown> {
  return {
    id: j.id,
    kind: j.kind,
    title: j.title,
    state: j.state,
    fraction: j.fraction,
    message: j.message,
    error: j.error,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    resumable: ['interrupted', 'failed', 'cancelled'].includes(j.state),
  };
}

export async function jobsCommand(argv: string[], out: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
    },
  });
  const projectDir = values.project ?? process.env.STSR_PROJECT ?? process.cwd();
  const [sub, idArg] = positionals;
  if (!sub || !['list', 'show', 'resume', 'cancel'].includes(sub))
    throw new UsageError(`Unknown subcommand "jobs ${sub ?? ''}": use list, show, resume or cancel.`);
  // Opening marks jobs of dead processes interrupted and sweeps what cannot be resumed.
  const project = openProject(projectDir);
  try {
    if (sub === 'list') {
      const rows = listJobs(project.db, values.all ? 1_000_000 : 50);
      out.result(
        { jobs: rows.map(summary) },
        rows.length === 0 ? 'No jobs in this project.' : rows.map(line).join('\n'),
      );
      return;
    }
    const id = jobId(idArg);
    if (sub === 'show') {
      const j = getOrThrow(project.db, id);
      out.result(
        { ...summary(j), params: j.params, metrics: j.metrics, result: j.result },
        [
          line(j),
          `  params  ${JSON.stringify(j.params)}`,
          ...(j.error ? [`  error   ${j.error.code}: ${j.error.message}`] : []),
          ...(j.result ? [`  result  ${JSON.stringify(j.result)}`] : []),
        ].join('\n'),
      );
      return;
    }
    if (sub === 'resume') {
      getOrThrow(project.db, id);
      const result = await driveJob(project, (runner) => runner.resume(id), out);
      const j = getOrThrow(project.db, id);
      out.result({ ...summary(j), result }, `Job ${id} resumed and ${j.state}.`);
      return;
    }
    // cancel
    const j = getOrThrow(project.db, id);
    if (j.state === 'running') {
      throw new EngineError(
        'CONFLICT',
        `Job ${id} is running in another process (the app or another stsr); cancel it there.`,
        { hint: 'Use the Jobs drawer of the app, or Ctrl+C in the terminal that runs it.' },
      );
    }
    if (j.state === 'done' || j.state === 'cancelled') {
      throw new EngineError('CONFLICT', `Job ${id} is already ${j.state}.`);
    }
    finishJob(project.db, id, 'cancelled', j.error ? { error: j.error } : {});
    // given up: its half-built temp files can go now rather than on the next open
    sweepJobWork(project.dir, project.db, { giveUp: id });
    const after = getOrThrow(project.db, id);
    out.result(summary(after), `Job ${id} cancelled.`);
  } finally {
    project.close();
  }
}

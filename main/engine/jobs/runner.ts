import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../errors';
import type { Project } from '../store/project';
import * as jobs from '../store/repos/jobs';
import { EtaEstimator } from './eta';
import { canWatchReads, ReadWatchdog, readTimeoutFrom, stalledReadError } from './read-watchdog';
import { jobNiceFrom } from './thread-priority';
import type { ProgressUpdate } from './progress';
import type { TaskDefinition } from './task';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));
/**
 * How long a stopped worker (cancel, close) may take to notice its abort signal and end by itself
 * before it is terminated. Terminating is the last resort, not the way to stop a job: a worker
 * terminated while an onnxruntime-node `session.run` executes aborts the whole process ("terminate
 * called after throwing an instance of 'Napi::Error'": the binding's result conversion fails in
 * the terminating environment and node-addon-api rethrows out of the native callback). Tasks
 * check their signal between steps, so a healthy job ends well within this.
 */
const STOP_GRACE_MS = 60_000;
/** A worker that has answered ends by itself once its last native call returns; this is the backstop. */
const EXIT_GRACE_MS = 30_000;
/** Progress rows are written at most this often; events go out at the same pace. */
const PROGRESS_WRITE_MS = 200;

interface Running {
  worker: Worker;
  /** the worker's OS thread id (Linux), for the read watchdog */
  tid?: number;
  /** ends the job as failed with this error (the read watchdog) */
  fail: (error: EngineError) => void;
  eta: EtaEstimator;
  lastWrite: number;
  cancelRequested: boolean;
  pending: ProgressUpdate | null;
}

export interface JobRunnerOptions {
  /** at most this many heavy jobs at once (each is a worker thread) */
  maxHeavy?: number;
  /** nice value of job threads on Linux (thread-priority.ts); default from STSR_JOB_NICE, else 10 */
  nice?: number;
  /** read time limit in seconds, 0 = none (read-watchdog.ts); default from STSR_READ_TIMEOUT_S, else 120 */
  readTimeoutS?: number;
}

/**
 * Persistent job queue for one open project. Jobs are rows first (so a crash never loses one);
 * each runs in its own worker thread so the UI and server stay responsive. Emits 'job' with the
 * current row whenever it changes.
 */
export class JobRunner extends EventEmitter<{ job: [jobs.JobRow] }> {
  private readonly running = new Map<number, Running>();
  private readonly maxHeavy: number;
  private readonly nice: number;
  private readonly readTimeoutS: number;
  private readonly watchdog: ReadWatchdog | null;
  private watchTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly project: Project,
    private readonly tasks: ReadonlyMap<string, TaskDefinition>,
    options: JobRunnerOptions = {},
  ) {
    super();
    this.maxHeavy = Math.max(1, options.maxHeavy ?? 1);
    this.nice = options.nice ?? jobNiceFrom(process.env);
    this.readTimeoutS = options.readTimeoutS ?? readTimeoutFrom(process.env);
    this.watchdog = this.readTimeoutS > 0 && canWatchReads() ? new ReadWatchdog(this.readTimeoutS) : null;
  }

  submit(kind: string, params: unknown): jobs.JobRow {
    const task = this.tasks.get(kind);
    if (!task) throw new EngineError('BAD_INPUT', `Unknown job kind "${kind}".`);
    const id = jobs.insertJob(this.project.db, kind, task.title(params), params);
    this.emitRow(id);
    this.schedule();
    return jobs.getJob(this.project.db, id)!;
  }

  list(): jobs.JobRow[] {
    return jobs.listJobs(this.project.db);
  }

  get(id: number): jobs.JobRow {
    const row = jobs.getJob(this.project.db, id);
    if (!row) throw new EngineError('NOT_FOUND', `No job with id ${id} in this project.`);
    return row;
  }

  cancel(id: number): jobs.JobRow {
    const row = this.get(id);
    if (row.state === 'queued') {
      jobs.finishJob(this.project.db, id, 'cancelled', {});
      this.emitRow(id);
    } else if (row.state === 'running') {
      const r = this.running.get(id);
      if (r && !r.cancelRequested) {
        r.cancelRequested = true;
        r.worker.postMessage({ type: 'cancel' });
        setTimeout(() => {
          if (this.running.get(id) === r) void r.worker.terminate();
        }, STOP_GRACE_MS).unref();
      }
    }
    return this.get(id);
  }

  /** Puts an interrupted, failed or cancelled job back in the queue; its task resumes from what it saved. */
  resume(id: number): jobs.JobRow {
    const row = this.get(id);
    if (!['interrupted', 'failed', 'cancelled'].includes(row.state)) {
      throw new EngineError(
        'CONFLICT',
        `Job ${id} is ${row.state}; only interrupted, failed or cancelled jobs can be resumed.`,
      );
    }
    jobs.requeue(this.project.db, id);
    this.emitRow(id);
    this.schedule();
    return this.get(id);
  }

  /** Resolves when no job is queued or running (tests and the CLI wait on this). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops workers; their jobs become interrupted so they can be resumed on next open. Each worker
   * is asked to stop (its abort signal: tasks keep what they saved, as for a cancel) and waited
   * for; only one that has not ended after STOP_GRACE_MS is terminated (see there why).
   */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(
      all.map(async (r) => {
        const exited = new Promise<void>((resolve) => {
          r.worker.once('exit', () => resolve());
        });
        r.worker.postMessage({ type: 'cancel' });
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
        });
        if ((await Promise.race([exited, late])) === 'late') await r.worker.terminate();
        clearTimeout(timer);
      }),
    );
    jobs.interruptOrphanedJobs(this.project.db, { includeOwnProcess: true });
  }

  /**
   * While jobs run, looks at their threads every few seconds (read-watchdog.ts): a job whose
   * thread has waited in one read longer than the limit fails, naming the file and the limit.
   */
  private watchReads(): void {
    const watchdog = this.watchdog;
    if (!watchdog || this.watchTimer) return;
    const every = Math.min(5_000, Math.max(250, (this.readTimeoutS * 1000) / 4));
    this.watchTimer = setInterval(() => {
      if (this.running.size === 0 || this.closed) {
        clearInterval(this.watchTimer!);
        this.watchTimer = null;
        return;
      }
      for (const r of [...this.running.values()]) {
        const stalled = r.tid !== undefined ? watchdog.check(r.tid) : null;
        if (stalled) r.fail(stalledReadError(stalled, this.readTimeoutS));
      }
    }, every);
    this.watchTimer.unref();
  }

  private isIdle(): boolean {
    if (this.running.size > 0) return false;
    return !this.project.db.prepare("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1").get();
  }

  private schedule(): void {
    if (this.closed) return;
    const queued = this.project.db
      .prepare("SELECT id, kind FROM jobs WHERE state = 'queued' ORDER BY id")
      .all() as {
      id: number;
      kind: string;
    }[];
    for (const q of queued) {
      const task = this.tasks.get(q.kind);
      if (!task) {
        jobs.finishJob(this.project.db, q.id, 'failed', {
          error: { code: 'UNSUPPORTED', message: `This version cannot run jobs of kind "${q.kind}".` },
        });
        this.emitRow(q.id);
        continue;
      }
      if (task.heavy && this.heavyCount() >= this.maxHeavy) continue;
      this.start(q.id, task);
    }
    this.checkIdle();
  }

  private heavyCount(): number {
    let n = 0;
    for (const id of this.running.keys()) {
      const row = jobs.getJob(this.project.db, id);
      if (row && this.tasks.get(row.kind)?.heavy) n++;
    }
    return n;
  }

  private start(id: number, task: TaskDefinition): void {
    const row = this.get(id);
    jobs.markRunning(this.project.db, id);
    const modulePath = task.module.startsWith('file:') ? fileURLToPath(task.module) : task.module;
    const worker = new Worker(WORKER_ENTRY, {
      workerData: {
        modulePath,
        params: row.params,
        projectDir: this.project.dir,
        jobId: id,
        nice: this.nice,
      },
    });
    const r: Running = {
      worker,
      fail: (error) => {
        const { code, message, hint } = error;
        settle('failed', { error: hint ? { code, message, hint } : { code, message } });
        // stop the thread: its JS ends as soon as the stalled call returns, so it writes nothing more
        worker.postMessage({ type: 'cancel' });
        void worker.terminate();
      },
      eta: new EtaEstimator(),
      lastWrite: 0,
      cancelRequested: false,
      pending: null,
    };
    this.running.set(id, r);
    this.emitRow(id);
    this.watchReads();
    let settled = false;
    const settle = (
      state: 'done' | 'failed' | 'cancelled',
      outcome: Parameters<typeof jobs.finishJob>[3],
    ) => {
      if (settled) return;
      settled = true;
      this.flushProgress(id, r);
      this.running.delete(id);
      if (r.tid !== undefined) this.watchdog?.forget(r.tid);
      if (this.closed) return;
      jobs.finishJob(this.project.db, id, state, outcome);
      this.emitRow(id);
      this.schedule();
    };
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'thread') {
        r.tid = msg.tid;
        return;
      }
      if (msg.type === 'progress') {
        this.onProgress(id, r, msg.update);
        return;
      }
      if (msg.type === 'done') settle('done', { result: msg.result });
      else {
        const { code, message, hint } = msg.error;
        if (code === 'CANCELLED' || r.cancelRequested) settle('cancelled', {});
        else settle('failed', { error: hint ? { code, message, hint } : { code, message } });
      }
      // The worker unrefs its port once it has answered and ends by itself when its last native
      // call has returned; terminating it at once could land inside one (see STOP_GRACE_MS).
      setTimeout(() => void worker.terminate(), EXIT_GRACE_MS).unref();
    });
    worker.on('error', (err) => settle('failed', { error: { code: 'INTERNAL', message: err.message } }));
    worker.on('exit', () => {
      if (r.cancelRequested) settle('cancelled', {});
      else settle('failed', { error: { code: 'INTERNAL', message: 'The job stopped without a result.' } });
    });
  }

  private onProgress(id: number, r: Running, update: ProgressUpdate): void {
    r.pending = update;
    const now = Date.now();
    if (now - r.lastWrite >= PROGRESS_WRITE_MS) this.flushProgress(id, r, now);
  }

  private flushProgress(id: number, r: Running, now = Date.now()): void {
    const u = r.pending;
    if (!u || this.closed) return;
    r.pending = null;
    r.lastWrite = now;
    const fraction = Math.min(1, Math.max(0, u.fraction));
    jobs.updateProgress(this.project.db, id, {
      fraction,
      message: u.message ?? '',
      etaSeconds: r.eta.update(fraction, now),
      metrics: u.metrics ?? {},
    });
    this.emitRow(id);
  }

  private emitRow(id: number): void {
    const row = jobs.getJob(this.project.db, id);
    if (row) this.emit('job', row);
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

type WorkerMessage =
  | { type: 'thread'; tid: number }
  | { type: 'progress'; update: ProgressUpdate }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: { code: string; message: string; hint?: string } };

import type { Db } from '../database';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface JobRow {
  id: number;
  kind: string;
  title: string;
  params: unknown;
  state: JobState;
  fraction: number;
  message: string;
  etaSeconds: number | null;
  metrics: Record<string, number>;
  error: { code: string; message: string; hint?: string } | null;
  result: unknown;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface RawJob {
  id: number;
  kind: string;
  title: string;
  params_json: string;
  state: JobState;
  fraction: number;
  message: string;
  eta_seconds: number | null;
  metrics_json: string;
  error_json: string | null;
  result_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function fromRaw(r: RawJob): JobRow {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    params: JSON.parse(r.params_json) as unknown,
    state: r.state,
    fraction: r.fraction,
    message: r.message,
    etaSeconds: r.eta_seconds,
    metrics: JSON.parse(r.metrics_json) as Record<string, number>,
    error: r.error_json ? (JSON.parse(r.error_json) as JobRow['error']) : null,
    result: r.result_json ? (JSON.parse(r.result_json) as unknown) : null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

export function insertJob(db: Db, kind: string, title: string, params: unknown): number {
  const info = db
    .prepare("INSERT INTO jobs (kind, title, params_json, state) VALUES (?, ?, ?, 'queued')")
    .run(kind, title, JSON.stringify(params));
  return Number(info.lastInsertRowid);
}

export function getJob(db: Db, id: number): JobRow | undefined {
  const r = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as RawJob | undefined;
  return r ? fromRaw(r) : undefined;
}

export function listJobs(db: Db, limit = 200): JobRow[] {
  return (db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as RawJob[]).map(fromRaw);
}

export function markRunning(db: Db, id: number, runnerPid = process.pid): void {
  db.prepare(
    `UPDATE jobs SET state = 'running', runner_pid = ?, started_at = ${now}, finished_at = NULL, error_json = NULL WHERE id = ?`,
  ).run(runnerPid, id);
}

export function updateProgress(
  db: Db,
  id: number,
  p: { fraction: number; message: string; etaSeconds: number | null; metrics: Record<string, number> },
): void {
  db.prepare(
    "UPDATE jobs SET fraction = ?, message = ?, eta_seconds = ?, metrics_json = ? WHERE id = ? AND state = 'running'",
  ).run(p.fraction, p.message, p.etaSeconds, JSON.stringify(p.metrics), id);
}

export function finishJob(
  db: Db,
  id: number,
  state: 'done' | 'failed' | 'cancelled',
  outcome: { result?: unknown; error?: { code: string; message: string; hint?: string } },
): void {
  db.prepare(
    `UPDATE jobs SET state = ?, finished_at = ${now}, eta_seconds = NULL, fraction = CASE WHEN ? = 'done' THEN 1 ELSE fraction END,
       result_json = ?, error_json = ? WHERE id = ?`,
  ).run(
    state,
    state,
    outcome.result === undefined ? null : JSON.stringify(outcome.result),
    outcome.error ? JSON.stringify(outcome.error) : null,
    id,
  );
}

export function requeue(db: Db, id: number): void {
  db.prepare(
    "UPDATE jobs SET state = 'queued', error_json = NULL, finished_at = NULL, eta_seconds = NULL WHERE id = ?",
  ).run(id);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A job still marked running whose process is gone was cut off by a crash. Jobs of another live
 * process (the CLI beside the app) are left alone.
 */
export function hasRunningJobs(db: Db): boolean {
  return db.prepare("SELECT 1 FROM jobs WHERE state = 'running' LIMIT 1").get() !== undefined;
}

export function interruptOrphanedJobs(db: Db, options: { includeOwnProcess?: boolean } = {}): number {
  const rows = db.prepare("SELECT id, runner_pid FROM jobs WHERE state = 'running'").all() as {
    id: number;
    runner_pid: number | null;
  }[];
  const orphaned = rows.filter(
    (r) =>
      r.runner_pid === null ||
      (r.runner_pid === process.pid ? options.includeOwnProcess === true : !processAlive(r.runner_pid)),
  );
  const stmt = db.prepare(
    `UPDATE jobs SET state = 'interrupted', finished_at = ${now}, eta_seconds = NULL,
       message = 'Interrupted: the app stopped while this job ran. Resume it to start again.'
     WHERE id = ? AND state = 'running'`,
  );
  db.transaction(() => orphaned.forEach((r) => stmt.run(r.id)))();
  return orphaned.length;
}

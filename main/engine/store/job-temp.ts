import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database';
import { PYRAMIDS_DIR } from './project-paths';

/** A job's scratch folder inside its output (`pyramids/job-N/.work/`: a decoded copy of the slide). */
export const WORK_DIR = '.work';

/** States from which a job may still be resumed; its scratch saves the resumed run time. */
const RESUMABLE = new Set(['queued', 'running', 'interrupted', 'failed']);

/**
 * Removes the scratch folders of jobs that will not resume (issue #16 finding 8): the job is done,
 * cancelled, or gone from the table; `giveUp` names one the user just cancelled. A job that may
 * resume keeps its scratch (a resumed import would otherwise decode the slide again); readers
 * never see scratch either way (the path guard refuses hidden names). Safe only while no job of
 * this project runs in another process, which the caller checks. Returns the folders removed.
 */
export function sweepJobWork(projectDir: string, db: Db, options: { giveUp?: number } = {}): string[] {
  const root = join(projectDir, PYRAMIDS_DIR);
  if (!existsSync(root)) return [];
  const state = db.prepare('SELECT state FROM jobs WHERE id = ?');
  const removed: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const m = /^job-(\d+)$/.exec(e.name);
    if (!m || !e.isDirectory()) continue;
    const work = join(root, e.name, WORK_DIR);
    if (!existsSync(work)) continue;
    const id = Number(m[1]);
    const row = state.get(id) as { state: string } | undefined;
    const keep = row !== undefined && RESUMABLE.has(row.state) && options.giveUp !== id;
    if (keep) continue;
    rmSync(work, { recursive: true, force: true });
    removed.push(work);
  }
  return removed;
}

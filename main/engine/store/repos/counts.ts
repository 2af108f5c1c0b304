import type { Db } from '../database';

/** Row counts for `project info` and the app header; table names are fixed here, never user input. */
export function countRows(
  db: Db,
  table: 'samples' | 'runs' | 'jobs' | 'feature_sets' | 'clusterings',
): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

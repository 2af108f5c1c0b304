import type { Db } from '../database';

/** An SR run: which method on which sample, its settings, its result summary and array files. */
export interface RunRow {
  id: number;
  sampleId: number;
  method: string;
  params: Record<string, unknown>;
  result: Record<string, unknown>;
  arrays: Record<string, unknown>;
  createdAt: string;
}

interface Raw {
  id: number;
  sample_id: number;
  method: string;
  params_json: string;
  result_json: string | null;
  arrays_json: string;
  created_at: string;
}

const fromRaw = (r: Raw): RunRow => ({
  id: r.id,
  sampleId: r.sample_id,
  method: r.method,
  params: JSON.parse(r.params_json) as Record<string, unknown>,
  result: r.result_json ? (JSON.parse(r.result_json) as Record<string, unknown>) : {},
  arrays: JSON.parse(r.arrays_json) as Record<string, unknown>,
  createdAt: r.created_at,
});

export function insertRun(db: Db, r: Omit<RunRow, 'id' | 'createdAt'>): number {
  return Number(
    db
      .prepare(
        'INSERT INTO runs (sample_id, method, params_json, result_json, arrays_json) VALUES (?, ?, ?, ?, ?)',
      )
      .run(r.sampleId, r.method, JSON.stringify(r.params), JSON.stringify(r.result), JSON.stringify(r.arrays))
      .lastInsertRowid,
  );
}

export function getRun(db: Db, id: number): RunRow | undefined {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

export function listRuns(db: Db, sampleId: number): RunRow[] {
  return (db.prepare('SELECT * FROM runs WHERE sample_id = ? ORDER BY id DESC').all(sampleId) as Raw[]).map(
    fromRaw,
  );
}

import type { Domain } from '../../analysis/domains';
import type { Db } from '../database';

export type { Domain };

export interface ClusteringRow {
  id: number;
  sampleId: number;
  runId: number | null;
  k: number;
  params: Record<string, unknown>;
  labelsArray: string;
  domains: Domain[];
  createdAt: string;
}

interface Raw {
  id: number;
  sample_id: number;
  run_id: number | null;
  k: number;
  params_json: string;
  labels_array: string;
  domains_json: string;
  created_at: string;
}

const fromRaw = (r: Raw): ClusteringRow => ({
  id: r.id,
  sampleId: r.sample_id,
  runId: r.run_id,
  k: r.k,
  params: JSON.parse(r.params_json) as Record<string, unknown>,
  labelsArray: r.labels_array,
  domains: JSON.parse(r.domains_json) as Domain[],
  createdAt: r.created_at,
});

export function insertClustering(db: Db, c: Omit<ClusteringRow, 'id' | 'createdAt'>): number {
  return Number(
    db
      .prepare(
        'INSERT INTO clusterings (sample_id, run_id, k, params_json, labels_array, domains_json) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(c.sampleId, c.runId, c.k, JSON.stringify(c.params), c.labelsArray, JSON.stringify(c.domains))
      .lastInsertRowid,
  );
}

export function getClustering(db: Db, id: number): ClusteringRow | undefined {
  const r = db.prepare('SELECT * FROM clusterings WHERE id = ?').get(id) as Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

export function listClusterings(db: Db, sampleId: number): ClusteringRow[] {
  return (
    db.prepare('SELECT * FROM clusterings WHERE sample_id = ? ORDER BY id DESC').all(sampleId) as Raw[]
  ).map(fromRaw);
}

export function setDomains(db: Db, id: number, domains: Domain[]): void {
  db.prepare('UPDATE clusterings SET domains_json = ? WHERE id = ?').run(JSON.stringify(domains), id);
}

import type { Db } from '../database';

export interface LayerRow {
  id: number;
  sampleId: number;
  runId: number | null;
  kind: string;
  name: string;
  settings: Record<string, unknown>;
}

interface Raw {
  id: number;
  sample_id: number;
  run_id: number | null;
  kind: string;
  name: string;
  settings_json: string;
}

const fromRaw = (r: Raw): LayerRow => ({
  id: r.id,
  sampleId: r.sample_id,
  runId: r.run_id,
  kind: r.kind,
  name: r.name,
  settings: JSON.parse(r.settings_json) as Record<string, unknown>,
});

export function insertLayer(db: Db, layer: Omit<LayerRow, 'id'>): number {
  return Number(
    db
      .prepare('INSERT INTO layers (sample_id, run_id, kind, name, settings_json) VALUES (?, ?, ?, ?, ?)')
      .run(layer.sampleId, layer.runId, layer.kind, layer.name, JSON.stringify(layer.settings))
      .lastInsertRowid,
  );
}

export function listLayers(db: Db, sampleId: number, kind?: string): LayerRow[] {
  const rows = kind
    ? db.prepare('SELECT * FROM layers WHERE sample_id = ? AND kind = ? ORDER BY id').all(sampleId, kind)
    : db.prepare('SELECT * FROM layers WHERE sample_id = ? ORDER BY id').all(sampleId);
  return (rows as Raw[]).map(fromRaw);
}

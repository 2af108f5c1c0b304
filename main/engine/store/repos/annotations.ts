import type { Db } from '../database';

/**
 * One drawn region per row: `name` is its label (QuPath's classification name), `geojson` one
 * GeoJSON Feature whose geometry is in full-resolution image px and whose properties carry the
 * colour and how it was drawn. `labels_array` stays unused (per-spot label arrays come from import).
 */
export interface AnnotationRow {
  id: number;
  sampleId: number;
  name: string;
  feature: AnnotationFeature;
  createdAt: string;
}

export interface AnnotationFeature {
  type: 'Feature';
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
  properties: { color: string; kind: 'polygon' | 'rectangle' | 'brush' };
}

interface Raw {
  id: number;
  sample_id: number;
  name: string;
  geojson: string | null;
  created_at: string;
}

const fromRaw = (r: Raw): AnnotationRow => ({
  id: r.id,
  sampleId: r.sample_id,
  name: r.name,
  feature: JSON.parse(r.geojson ?? 'null') as AnnotationFeature,
  createdAt: r.created_at,
});

export function insertAnnotation(db: Db, a: Omit<AnnotationRow, 'id' | 'createdAt'>): number {
  return Number(
    db
      .prepare('INSERT INTO annotations (sample_id, name, geojson) VALUES (?, ?, ?)')
      .run(a.sampleId, a.name, JSON.stringify(a.feature)).lastInsertRowid,
  );
}

export function updateAnnotation(db: Db, id: number, a: Pick<AnnotationRow, 'name' | 'feature'>): void {
  db.prepare('UPDATE annotations SET name = ?, geojson = ? WHERE id = ?').run(
    a.name,
    JSON.stringify(a.feature),
    id,
  );
}

export function deleteAnnotation(db: Db, id: number): void {
  db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
}

export function getAnnotation(db: Db, id: number): AnnotationRow | undefined {
  const r = db.prepare('SELECT * FROM annotations WHERE id = ? AND geojson IS NOT NULL').get(id) as
    Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

export function listAnnotations(db: Db, sampleId: number): AnnotationRow[] {
  return (
    db
      .prepare('SELECT * FROM annotations WHERE sample_id = ? AND geojson IS NOT NULL ORDER BY id')
      .all(sampleId) as Raw[]
  ).map(fromRaw);
}

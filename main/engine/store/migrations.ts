import { EngineError } from '../errors';
import type { Db } from './database';

/**
 * Numbered, append-only schema migrations. Never edit a released one: add the next number.
 * Large arrays are files in arrays/ referenced by name from rows (`*_array` columns).
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'projects, samples, jobs, runs, feature sets, layers, clusterings, annotations',
    sql: `
      CREATE TABLE project_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        platform TEXT NOT NULL,
        source_path TEXT NOT NULL,
        n_spots INTEGER NOT NULL,
        n_genes INTEGER NOT NULL,
        um_per_px REAL NOT NULL,
        spot_diameter_um REAL NOT NULL,
        lattice TEXT NOT NULL,
        image_json TEXT,
        provenance_json TEXT NOT NULL,
        arrays_json TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE feature_sets (
        id INTEGER PRIMARY KEY,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        extractor TEXT NOT NULL,
        dim INTEGER NOT NULL,
        manifest_json TEXT NOT NULL,
        array_name TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        params_json TEXT NOT NULL,
        result_json TEXT,
        arrays_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE layers (
        id INTEGER PRIMARY KEY,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE clusterings (
        id INTEGER PRIMARY KEY,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        k INTEGER NOT NULL,
        params_json TEXT NOT NULL,
        labels_array TEXT NOT NULL,
        domains_json TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        labels_array TEXT,
        geojson TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        params_json TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','cancelled','interrupted')),
        fraction REAL NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        eta_seconds REAL,
        metrics_json TEXT NOT NULL DEFAULT '{}',
        error_json TEXT,
        result_json TEXT,
        runner_pid INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX jobs_state ON jobs(state);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Db): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the database to the latest version, each migration in its own transaction. A database
 * from a newer app is refused: guessing at an unknown schema could destroy the user's results.
 */
export function migrate(db: Db, file: string): number {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
  );
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new EngineError(
      'SCHEMA_TOO_NEW',
      `${file} was written by a newer STSR Studio (schema version ${current}; this version understands up to ${LATEST_SCHEMA_VERSION}).`,
      { file, hint: 'Update STSR Studio to open this project. The project was not changed.' },
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    })();
  }
  return schemaVersion(db);
}

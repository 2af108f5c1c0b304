import type { Db } from '../database';
import type { ImageRef, LatticeKind, Provenance, Sample } from '../../io/sample';

/** Array files that hold a sample's bulk data, by role. */
export interface SampleArrays {
  countsIndptr: string;
  countsIndices: string;
  countsData: string;
  /** float64 (nSpots × 2): x, y in full-res px */
  xy: string;
  /** int32 (nSpots × 2): row, col; -1 when unknown */
  rowCol: string;
  /** JSON: spot ids, genes, annotations */
  labels: string;
  /** float32 (nSpots × d) per embedding kept from an .h5ad's obsm, by name (absent: none) */
  embeddings?: Record<string, string>;
}

export interface SampleRow {
  id: number;
  name: string;
  platform: Sample['platform'];
  sourcePath: string;
  nSpots: number;
  nGenes: number;
  umPerPx: number;
  spotDiameterUm: number;
  lattice: LatticeKind;
  image: ImageRef | null;
  provenance: Provenance;
  arrays: SampleArrays;
  createdAt: string;
}

interface Raw {
  id: number;
  name: string;
  platform: Sample['platform'];
  source_path: string;
  n_spots: number;
  n_genes: number;
  um_per_px: number;
  spot_diameter_um: number;
  lattice: LatticeKind;
  image_json: string | null;
  provenance_json: string;
  arrays_json: string;
  created_at: string;
}

function fromRaw(r: Raw): SampleRow {
  return {
    id: r.id,
    name: r.name,
    platform: r.platform,
    sourcePath: r.source_path,
    nSpots: r.n_spots,
    nGenes: r.n_genes,
    umPerPx: r.um_per_px,
    spotDiameterUm: r.spot_diameter_um,
    lattice: r.lattice,
    image: r.image_json ? (JSON.parse(r.image_json) as ImageRef) : null,
    provenance: JSON.parse(r.provenance_json) as Provenance,
    arrays: JSON.parse(r.arrays_json) as SampleArrays,
    createdAt: r.created_at,
  };
}

export function insertSample(db: Db, row: Omit<SampleRow, 'id' | 'createdAt'>): number {
  const info = db
    .prepare(
      `INSERT INTO samples (name, platform, source_path, n_spots, n_genes, um_per_px, spot_diameter_um, lattice,
         image_json, provenance_json, arrays_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      row.name,
      row.platform,
      row.sourcePath,
      row.nSpots,
      row.nGenes,
      row.umPerPx,
      row.spotDiameterUm,
      row.lattice,
      row.image ? JSON.stringify(row.image) : null,
      JSON.stringify(row.provenance),
      JSON.stringify(row.arrays),
    );
  return Number(info.lastInsertRowid);
}

export function listSamples(db: Db): SampleRow[] {
  return (db.prepare('SELECT * FROM samples ORDER BY id').all() as Raw[]).map(fromRaw);
}

export function getSample(db: Db, id: number): SampleRow | undefined {
  const r = db.prepare('SELECT * FROM samples WHERE id = ?').get(id) as Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

export function findSampleByName(db: Db, name: string): SampleRow | undefined {
  const r = db.prepare('SELECT * FROM samples WHERE name = ?').get(name) as Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

/** Every array file name rows refer to: what the orphan sweep must keep. */
export function referencedSampleArrays(db: Db): Set<string> {
  const names = new Set<string>();
  for (const r of db.prepare('SELECT arrays_json FROM samples').all() as { arrays_json: string }[]) {
    for (const v of Object.values(JSON.parse(r.arrays_json) as Record<string, string>)) names.add(v);
  }
  return names;
}

/**
 * Feature sets inside a project: the `feature_sets` rows (one per finished extraction) and the
 * lookups the SR methods need — for a sample, its image inputs and its latest feature map.
 * Folders live under arrays/ and are named by the job, so a resumed job continues its own chunks.
 */
import { join } from 'node:path';
import { EngineError } from '../errors';
import { readArrayFile } from '../store/array-file';
import type { Project } from '../store/project';
import { listLayers } from '../store/repos/layers';
import { getSample } from '../store/repos/samples';
import type { ExtractorManifest } from './extractor';
import type { ImageMask } from './geometry';
import { openFeatureMap, type FeatureMap } from './store';

export interface FeatureSetRow {
  id: number;
  sampleId: number;
  extractor: string;
  dim: number;
  manifest: ExtractorManifest;
  /** folder name under the project's arrays/ */
  arrayName: string;
  createdAt: string;
}

interface Raw {
  id: number;
  sample_id: number;
  extractor: string;
  dim: number;
  manifest_json: string;
  array_name: string;
  created_at: string;
}

const fromRaw = (r: Raw): FeatureSetRow => ({
  id: r.id,
  sampleId: r.sample_id,
  extractor: r.extractor,
  dim: r.dim,
  manifest: JSON.parse(r.manifest_json) as ExtractorManifest,
  arrayName: r.array_name,
  createdAt: r.created_at,
});

export function insertFeatureSet(project: Project, row: Omit<FeatureSetRow, 'id' | 'createdAt'>): number {
  return Number(
    project.db
      .prepare(
        'INSERT INTO feature_sets (sample_id, extractor, dim, manifest_json, array_name) VALUES (?, ?, ?, ?, ?)',
      )
      .run(row.sampleId, row.extractor, row.dim, JSON.stringify(row.manifest), row.arrayName).lastInsertRowid,
  );
}

export function listFeatureSets(project: Project, sampleId: number): FeatureSetRow[] {
  return (
    project.db.prepare('SELECT * FROM feature_sets WHERE sample_id = ? ORDER BY id').all(sampleId) as Raw[]
  ).map(fromRaw);
}

export function getFeatureSet(project: Project, id: number): FeatureSetRow | undefined {
  const r = project.db.prepare('SELECT * FROM feature_sets WHERE id = ?').get(id) as Raw | undefined;
  return r ? fromRaw(r) : undefined;
}

/** What extraction needs to know about a stored sample's image. */
export interface SampleImageInputs {
  imagePath: string;
  /** µm per px of the image file */
  imageUmPerPx: number;
  scaleToFullRes: number;
  /** the import's tissue mask in image-file px, when the sample has one */
  mask?: ImageMask;
}

export function sampleImageInputs(project: Project, sampleId: number): SampleImageInputs {
  const s = getSample(project.db, sampleId);
  if (!s) throw new EngineError('NOT_FOUND', `Sample ${sampleId} is not in this project.`);
  if (!s.image) {
    throw new EngineError(
      'BAD_INPUT',
      `Sample ${s.name} has no H&E image, so it has no histology features.`,
      {
        hint: 'Re-import the sample with its image.',
      },
    );
  }
  const k = s.image.scaleToFullRes;
  const out: SampleImageInputs = { imagePath: s.image.path, imageUmPerPx: s.umPerPx * k, scaleToFullRes: k };
  const layer = listLayers(project.db, sampleId, 'tissue-mask').at(-1);
  const name = layer?.settings.array;
  if (typeof name === 'string') {
    const a = readArrayFile(join(project.arraysDir, name));
    const [h, w] = a.shape as [number, number];
    // stored scales are mask px → full-res px; extraction works in image-file px
    const sx = Number(a.meta?.scaleX) / k;
    const sy = Number(a.meta?.scaleY) / k;
    if (sx > 0 && sy > 0)
      out.mask = { width: w, height: h, data: a.data as Uint8Array, scaleX: sx, scaleY: sy };
  }
  return out;
}

/**
 * The latest finished feature set of a sample (optionally of one extractor id, e.g. 'builtin' or
 * 'uni'), opened for reading. This is the entry point for HISTEX / HisToSGE.
 */
export function openSampleFeatures(
  project: Project,
  sampleId: number,
  opts: { extractor?: string; featureSetId?: number } = {},
): { row: FeatureSetRow; map: FeatureMap } {
  const rows = listFeatureSets(project, sampleId).filter(
    (r) =>
      (opts.extractor === undefined || r.extractor === opts.extractor) &&
      (opts.featureSetId === undefined || r.id === opts.featureSetId),
  );
  const row = rows.at(-1);
  if (!row && opts.featureSetId !== undefined) {
    throw new EngineError(
      'NOT_FOUND',
      `Feature set ${opts.featureSetId} is not one of sample ${sampleId}'s.`,
      {
        hint: '`stsr features SAMPLE` extracts one and prints its featureSetId; leave the option out to use the built-in features.',
      },
    );
  }
  if (!row) {
    throw new EngineError(
      'NOT_FOUND',
      `Sample ${sampleId} has no${opts.extractor ? ` ${opts.extractor}` : ''} histology features yet.`,
      {
        hint: 'Extract features first (stsr features SAMPLE).',
      },
    );
  }
  return { row, map: openFeatureMap(join(project.arraysDir, row.arrayName)) };
}

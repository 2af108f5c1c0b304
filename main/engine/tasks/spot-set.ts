/**
 * A generated denser spot set stored as an SR run (`result.kind = 'spots'`): positions, lattice
 * coordinates, which spots were measured and the values (spots × genes log1p CP10k), as array files
 * in a job-named folder. HisToSGE and the interpolation baseline write the same layout, so the
 * viewer, export and clustering read both alike.
 */
import { mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { GeneratedSpot } from '../methods/histosge/lattice';
import { writeArrayFile } from '../store/array-file';
import type { Project } from '../store/project';
import { insertRun } from '../store/repos/runs';

/** How a spot-set run's method is named to users (viewer labels, CLI lines). */
export function spotSetMethodName(method: string): string {
  return method === 'interp' ? 'interpolation' : 'HisToSGE';
}

export interface SpotSetFiles {
  xy: string;
  lattice: string;
  measured: string;
  values: string;
}

export function storeSpotSet(
  project: Project,
  folder: string,
  run: {
    sampleId: number;
    method: string;
    params: Record<string, unknown>;
    genes: readonly number[];
    fold: number;
    losses: number[];
    spotDiameterUm: number;
    spots: readonly GeneratedSpot[];
    values: Float32Array;
  },
): { runId: number; dir: string; files: SpotSetFiles } {
  const dir = join(project.arraysDir, folder);
  mkdirSync(dir, { recursive: true });
  const n = run.spots.length;
  const files = {
    xy: join(dir, 'xy.arr'),
    lattice: join(dir, 'lattice.arr'),
    measured: join(dir, 'measured.arr'),
    values: join(dir, 'values.arr'),
  };
  writeArrayFile(files.xy, {
    dtype: 'float64',
    shape: [n, 2],
    data: Float64Array.from(run.spots.flatMap((s) => [s.x, s.y])),
  });
  writeArrayFile(files.lattice, {
    dtype: 'float64',
    shape: [n, 2],
    data: Float64Array.from(run.spots.flatMap((s) => [s.a, s.b])),
  });
  writeArrayFile(files.measured, {
    dtype: 'uint8',
    shape: [n],
    data: Uint8Array.from(run.spots, (s) => (s.measured ? 1 : 0)),
  });
  writeArrayFile(files.values, { dtype: 'float32', shape: [n, run.genes.length], data: run.values });
  const rel = (f: string) => relative(project.arraysDir, f).split(sep).join('/');
  const runId = project.db.transaction(() =>
    insertRun(project.db, {
      sampleId: run.sampleId,
      method: run.method,
      params: run.params,
      result: {
        kind: 'spots',
        genes: Array.from(run.genes),
        fold: run.fold,
        losses: run.losses,
        spotDiameterUm: run.spotDiameterUm,
      },
      arrays: { xy: rel(files.xy), measured: rel(files.measured), values: rel(files.values) },
    }),
  )();
  return { runId, dir, files };
}

/**
 * The two stored-run layouts every method can use, written atomically as array files and recorded
 * as a run row with the method's id and label (methods/runs.ts reads them back):
 *
 * - a spot set (`result.kind = 'spots'`): positions, lattice coordinates, which spots were measured
 *   and the values (spots × genes), in a job-named folder — denser spot sets (HisToSGE, the
 *   interpolation baseline, any spot method through the generic path);
 * - a superpixel map (`result.kind = 'superpixels'`): the flat index of the superpixels with a
 *   value and their values (superpixels × genes) — any superpixel method through the generic path.
 *   Methods that store more (a latent and a head to compute any gene later) write their own arrays
 *   and give their entry an `openSuperpixels` reader.
 */
import { mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { GeneratedSpot } from '../analysis/lattice';
import { EngineError } from '../errors';
import { readArrayFile, writeArrayFile } from '../store/array-file';
import type { Project } from '../store/project';
import { insertRun } from '../store/repos/runs';
import type { SuperpixelReader } from './entry';
import { runArray, type SuperpixelRun } from './runs';
import type { SuperpixelGrid, SuperpixelOutput } from './types';

export interface RunIdentity {
  sampleId: number;
  /** registry id and label */
  method: string;
  label: string;
  /** the options the run was made with */
  params: Record<string, unknown>;
  /** sample gene index of each modelled gene */
  genes: readonly number[];
  losses: readonly number[];
}

export interface SpotSetFiles {
  xy: string;
  lattice: string;
  measured: string;
  values: string;
}

const relTo = (project: Project, f: string) => relative(project.arraysDir, f).split(sep).join('/');

export function storeSpotSet(
  project: Project,
  folder: string,
  run: RunIdentity & {
    fold: number;
    spotDiameterUm: number;
    spots: readonly GeneratedSpot[];
    /** spots × genes, row-major */
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
  const rel = (f: string) => relTo(project, f);
  const runId = project.db.transaction(() =>
    insertRun(project.db, {
      sampleId: run.sampleId,
      method: run.method,
      params: run.params,
      result: {
        kind: 'spots',
        label: run.label,
        genes: Array.from(run.genes),
        fold: run.fold,
        losses: Array.from(run.losses),
        spotDiameterUm: run.spotDiameterUm,
      },
      arrays: {
        xy: rel(files.xy),
        lattice: rel(files.lattice),
        measured: rel(files.measured),
        values: rel(files.values),
      },
    }),
  )();
  return { runId, dir, files };
}

/**
 * Stores the superpixels of a map that have a value (`present`, or all) and their values, and
 * the map's uncertainty (same rows) as the run's `sd` array when it has one.
 */
export function storeSuperpixelMap(
  project: Project,
  folder: string,
  run: RunIdentity & { map: SuperpixelOutput },
): { runId: number; superpixels: number } {
  const { grid, nGenes: G, values, present } = run.map;
  if (G !== run.genes.length)
    throw new EngineError('INTERNAL', `The map has ${G} genes, the run ${run.genes.length}.`);
  const n = grid.width * grid.height;
  const index: number[] = [];
  for (let q = 0; q < n; q++) if (!present || present[q]) index.push(q);
  const rowsOf = (a: Float32Array) => {
    const rows = new Float32Array(index.length * G);
    index.forEach((q, i) => rows.set(a.subarray(q * G, (q + 1) * G), i * G));
    return rows;
  };
  const sd = run.map.uncertainty;
  if (sd && sd.length !== values.length)
    throw new EngineError('INTERNAL', `The uncertainty has ${sd.length} values, the map ${values.length}.`);
  const dir = join(project.arraysDir, folder);
  mkdirSync(dir, { recursive: true });
  const files = { index: join(dir, 'index.arr'), values: join(dir, 'values.arr'), sd: join(dir, 'sd.arr') };
  writeArrayFile(files.index, { dtype: 'int32', shape: [index.length], data: Int32Array.from(index) });
  writeArrayFile(files.values, { dtype: 'float32', shape: [index.length, G], data: rowsOf(values) });
  if (sd) writeArrayFile(files.sd, { dtype: 'float32', shape: [index.length, G], data: rowsOf(sd) });
  const runId = project.db.transaction(() =>
    insertRun(project.db, {
      sampleId: run.sampleId,
      method: run.method,
      params: run.params,
      result: {
        kind: 'superpixels',
        label: run.label,
        genes: Array.from(run.genes),
        grid: { ...grid },
        losses: Array.from(run.losses),
        ...(sd ? { uncertainty: run.map.uncertaintyLabel ?? 'uncertainty of each value' } : {}),
      },
      arrays: {
        index: relTo(project, files.index),
        values: relTo(project, files.values),
        ...(sd ? { sd: relTo(project, files.sd) } : {}),
      },
    }),
  )();
  return { runId, superpixels: index.length };
}

/**
 * A superpixel run stored by storeSuperpixelMap, read back: its values, or (`layer` 'sd') its
 * uncertainty layer, which `uncertainty()` opens from the values' reader.
 */
export class ValuesReader implements SuperpixelReader {
  readonly grid: SuperpixelGrid;
  readonly index: Int32Array;
  readonly genes: readonly number[];
  private readonly values: Float32Array;

  constructor(
    private readonly arraysDir: string,
    private readonly run: SuperpixelRun,
    layer: 'values' | 'sd' = 'values',
  ) {
    this.grid = run.grid;
    this.genes = run.genes;
    const index = readArrayFile(join(arraysDir, runArray(run, 'index')));
    const values = readArrayFile(join(arraysDir, runArray(run, layer)));
    if (!(index.data instanceof Int32Array) || !(values.data instanceof Float32Array))
      throw new EngineError('CORRUPT', `Run ${run.id}: its index or values array has the wrong type.`);
    if (values.shape[0] !== index.data.length || values.shape[1] !== run.genes.length)
      throw new EngineError(
        'CORRUPT',
        `Run ${run.id}: values are ${values.shape.join('×')}, expected ${index.data.length}×${run.genes.length}.`,
      );
    this.index = index.data;
    this.values = values.data;
  }

  uncertainty(): SuperpixelReader | null {
    return this.run.uncertainty !== undefined ? new ValuesReader(this.arraysDir, this.run, 'sd') : null;
  }

  rows(start: number, end: number, cols: readonly number[] = this.genes.map((_, q) => q)): Float32Array {
    const G = this.genes.length;
    const out = new Float32Array((end - start) * cols.length);
    for (let i = start; i < end; i++)
      cols.forEach((q, c) => (out[(i - start) * cols.length + c] = this.values[i * G + q]!));
    return out;
  }

  geneMap(sampleGene: number): { values: Float32Array; present: Uint8Array; grid: SuperpixelGrid } {
    const q = modelledColumn(this.run, sampleGene);
    const n = this.grid.width * this.grid.height;
    const values = new Float32Array(n);
    const present = new Uint8Array(n);
    const G = this.genes.length;
    this.index.forEach((sp, i) => {
      values[sp] = this.values[i * G + q]!;
      present[sp] = 1;
    });
    return { values, present, grid: this.grid };
  }
}

/** Column of a sample gene among a run's modelled genes, or NOT_FOUND naming the run. */
export function modelledColumn(run: { id: number; genes: readonly number[] }, sampleGene: number): number {
  const q = run.genes.indexOf(sampleGene);
  if (q < 0)
    throw new EngineError('NOT_FOUND', `Gene ${sampleGene} was not modelled in run ${run.id}.`, {
      hint: `Run ${run.id} modelled ${run.genes.length} genes; choose one of them or run SR with more genes.`,
    });
  return q;
}

/** Full-res centres and grid positions of a reader's stored superpixels. */
export function superpixelCentres(r: Pick<SuperpixelReader, 'grid' | 'index'>): {
  x: Float64Array;
  y: Float64Array;
  row: Int32Array;
  col: Int32Array;
} {
  const { width, sizePx: k, originX, originY } = r.grid;
  const row = Int32Array.from(r.index, (sp) => Math.floor(sp / width));
  const col = Int32Array.from(r.index, (sp) => sp % width);
  return {
    x: Float64Array.from(col, (c) => originX + (c + 0.5) * k),
    y: Float64Array.from(row, (i) => originY + (i + 0.5) * k),
    row,
    col,
  };
}

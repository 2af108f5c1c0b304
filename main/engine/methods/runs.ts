/**
 * A stored SR run, typed: the run row's JSON is parsed once here into `SuperpixelRun | SpotSetRun`
 * (zod, so a damaged row is a clear CORRUPT error, not a crash three calls later). Nothing else
 * reads run JSON. Rows written before the registry (no `kind`, the grid as rows/cols/superpixelPx/
 * originPx, no label) are read too, so every older project still opens.
 */
import { z } from 'zod';
import { EngineError } from '../errors';
import type { RunRow } from '../store/repos/runs';
import type { SuperpixelGrid } from './types';

interface RunBase {
  id: number;
  sampleId: number;
  /** registry id of the method that made it */
  method: string;
  /** the method's label when the run was made (or the registry's for older rows) */
  label: string;
  /** sample gene index of each modelled gene */
  genes: number[];
  /** loss per epoch (or per model), empty for methods that do not train */
  losses: number[];
  /** the options the run was made with, as stored */
  params: Record<string, unknown>;
  createdAt: string;
}

export interface SuperpixelRun extends RunBase {
  kind: 'superpixels';
  grid: SuperpixelGrid;
  /** what the run's uncertainty layer (array `sd`) means, when it has one */
  uncertainty?: string;
  /** project-relative array files (arrays/…); the layout is the method's (see its reader) */
  arrays: Record<string, string | string[]>;
}

export interface SpotSetRun extends RunBase {
  kind: 'spots';
  /** how many times denser than the measured lattice */
  fold: number;
  /** diameter of the drawn disks */
  spotDiameterUm: number;
  arrays: { xy: string; measured: string; values: string; lattice?: string };
}

export type SrRun = SuperpixelRun | SpotSetRun;

const finite = z.number().refine(Number.isFinite, 'a finite number');
const grid = z.union([
  z.object({
    originX: finite,
    originY: finite,
    sizePx: z.number().positive(),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
  }),
  // rows written before the registry
  z
    .object({
      rows: z.number().int().min(1),
      cols: z.number().int().min(1),
      superpixelPx: z.number().positive(),
      originPx: z.object({ x: finite, y: finite }),
    })
    .transform((g): SuperpixelGrid => ({
      originX: g.originPx.x,
      originY: g.originPx.y,
      sizePx: g.superpixelPx,
      width: g.cols,
      height: g.rows,
    })),
]);
const genes = z.array(z.number().int().min(0));
// losses may hold NaN (a model stopped before its first epoch ended): JSON writes it as null
const losses = z.array(z.number().nullable()).transform((l) => l.map((v) => v ?? NaN));

const superpixelResult = z.object({
  kind: z.literal('superpixels').optional(),
  label: z.string().optional(),
  genes,
  grid,
  losses: losses.optional(),
  uncertainty: z.string().optional(),
});
const spotResult = z.object({
  kind: z.literal('spots'),
  label: z.string().optional(),
  genes,
  fold: z.number().positive(),
  spotDiameterUm: z.number().positive(),
  losses: losses.optional(),
});
const superpixelArrays = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const spotArrays = z.object({
  xy: z.string(),
  measured: z.string(),
  values: z.string(),
  lattice: z.string().optional(),
});

function corrupt(row: RunRow, err: z.ZodError): EngineError {
  const where = err.issues[0]?.path.join('.') ?? '';
  return new EngineError(
    'CORRUPT',
    `Run ${row.id} is damaged: ${where ? `${where}: ` : ''}${err.issues[0]?.message ?? 'unreadable'}.`,
    { hint: 'Delete the run and make it again.' },
  );
}

/**
 * The one reader of run JSON. `labelOf` names methods of older rows (which did not record their
 * label); without it, or for a method no longer registered, the id is the label.
 */
export function parseRun(row: RunRow, labelOf?: (method: string) => string | undefined): SrRun {
  const base = {
    id: row.id,
    sampleId: row.sampleId,
    method: row.method,
    params: row.params,
    createdAt: row.createdAt,
  };
  const label = (stored: string | undefined) => stored ?? labelOf?.(row.method) ?? row.method;
  if (row.result['kind'] === 'spots') {
    const r = spotResult.safeParse(row.result);
    if (!r.success) throw corrupt(row, r.error);
    const a = spotArrays.safeParse(row.arrays);
    if (!a.success) throw corrupt(row, a.error);
    const { lattice, ...files } = a.data;
    return {
      ...base,
      kind: 'spots',
      label: label(r.data.label),
      genes: r.data.genes,
      losses: r.data.losses ?? [],
      fold: r.data.fold,
      spotDiameterUm: r.data.spotDiameterUm,
      arrays: lattice !== undefined ? { ...files, lattice } : files,
    };
  }
  const r = superpixelResult.safeParse(row.result);
  if (!r.success) throw corrupt(row, r.error);
  const a = superpixelArrays.safeParse(row.arrays);
  if (!a.success) throw corrupt(row, a.error);
  return {
    ...base,
    kind: 'superpixels',
    label: label(r.data.label),
    genes: r.data.genes,
    losses: r.data.losses ?? [],
    grid: r.data.grid,
    arrays: a.data,
    ...(r.data.uncertainty !== undefined ? { uncertainty: r.data.uncertainty } : {}),
  };
}

/** One array file name of a superpixel run, or a CORRUPT error naming the run and the file. */
export function runArray(run: SuperpixelRun, name: string): string {
  const f = run.arrays[name];
  if (typeof f !== 'string')
    throw new EngineError('CORRUPT', `Run ${run.id} (${run.label}) has no "${name}" array.`);
  return f;
}

/** A list of array files of a superpixel run (per ensemble model, …). */
export function runArrayList(run: SuperpixelRun, name: string): string[] {
  const f = run.arrays[name];
  if (!Array.isArray(f))
    throw new EngineError('CORRUPT', `Run ${run.id} (${run.label}) has no "${name}" array list.`);
  return f;
}

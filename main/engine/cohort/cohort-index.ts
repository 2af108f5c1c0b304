/**
 * Reads the cohort index the cohort workflow writes (workflow/scripts/cohort_report.py:
 * <out>/cohort/index.json, or index.incomplete.json after a run with failures) for the app's
 * read-only cohort view (docs/cohort.md). Nothing here writes to the cohort's folder.
 */
import { closeSync, existsSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { CohortInfo, CohortSample } from '../../../preload/contract';
import { EngineError, badInput } from '../errors';
import { methodLabel } from '../methods/registry';
import { guardProjectFile, openGuarded } from '../store/path-guard';

/** The index file names, best first: a finished cohort, then a partial one. */
const INDEX_NAMES = ['index.json', 'index.incomplete.json'];
const MAX_INDEX_BYTES = 64 * 2 ** 20;
const MAX_FIGURE_BYTES = 32 * 2 ** 20;
/** The workflow's steps in the order they run (the index keys its step times by these). */
const STEPS = ['import', 'features', 'sr', 'cluster', 'export'];

const num = z.number().finite().nullable().optional();
const int = z.number().int().nullable().optional();

/** The file as cohort_report.py writes it (version 1); unknown keys are kept out, not refused. */
const RawSample = z.object({
  name: z.string().min(1),
  status: z.enum(['ok', 'failed', 'not run']),
  project: z.string().min(1),
  counts: z.object({ spots: int, genes: int }).optional(),
  sr: z
    .object({
      method: z.string(),
      runId: int,
      genes: int,
      superpixels: int,
      generated: int,
      finalLoss: num,
    })
    .optional(),
  clustering: z
    .object({
      k: z.number().int(),
      sizes: z.array(z.number().int()).nullable().optional(),
      agreement: z.record(z.string(), z.object({ ari: num }).passthrough()).optional(),
    })
    .optional(),
  outputs: z
    .object({ figure: z.string().min(1).optional() })
    .passthrough()
    .optional(),
  steps: z.record(z.string(), z.object({ seconds: num, max_rss_mb: num }).nullable()).optional(),
  failures: z
    .array(
      z.object({
        step: z.string(),
        code: z.string().nullable(),
        message: z.string().nullable(),
        exitCode: int,
      }),
    )
    .optional(),
});
type RawSample = z.infer<typeof RawSample>;

const RawIndex = z.object({
  kind: z.literal('stsr-cohort'),
  version: z.literal(1),
  name: z.string().optional(),
  created: z.string(),
  complete: z.boolean(),
  counts: z.object({ samples: z.number().int(), ok: z.number().int(), failed: z.number().int() }),
  samples: z.array(RawSample),
});
type RawIndex = z.infer<typeof RawIndex>;

/** The index file a path names: the file itself, or the one in that folder or its cohort/. */
export function findCohortIndex(path: string): string {
  const full = resolve(path);
  if (!existsSync(full))
    throw new EngineError('NOT_FOUND', `${full} does not exist.`, {
      file: full,
      hint: "Choose the cohort's index.json (<results>/cohort/index.json) or its results folder.",
    });
  if (statSync(full).isFile()) return full;
  for (const dir of [full, join(full, 'cohort')])
    for (const name of INDEX_NAMES) if (existsSync(join(dir, name))) return join(dir, name);
  throw new EngineError('NOT_FOUND', `${full} holds no cohort index (${INDEX_NAMES.join(' or ')}).`, {
    file: full,
    hint: 'Run the cohort workflow (docs/cohort.md); its report rule writes <results>/cohort/index.json.',
  });
}

function readRaw(file: string): RawIndex {
  const size = statSync(file).size;
  if (size > MAX_INDEX_BYTES)
    throw badInput(`${file} is ${size} bytes: too large for a cohort index.`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw badInput(`${file} is not JSON: ${(err as Error).message}`, { file });
  }
  const r = RawIndex.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw badInput(`${file} is not a cohort index: ${i.path.join('.') || '(top)'}: ${i.message}`, {
      file,
      hint: 'A cohort index is what the cohort workflow writes (kind "stsr-cohort", version 1).',
    });
  }
  return r.data;
}

function sample(e: RawSample, cohortDir: string): CohortSample {
  const projectDir = resolve(cohortDir, e.project);
  const sr = e.sr;
  const spotSet = sr?.generated !== undefined && sr.generated !== null;
  const ari: Record<string, number> = {};
  for (const [column, a] of Object.entries(e.clustering?.agreement ?? {}))
    if (typeof a.ari === 'number') ari[column] = a.ari;
  return {
    name: e.name,
    status: e.status,
    projectDir,
    projectExists: existsSync(join(projectDir, 'project.sqlite')),
    spots: e.counts?.spots ?? null,
    genes: e.counts?.genes ?? null,
    sr: sr
      ? {
          method: sr.method,
          label: methodLabel(sr.method),
          runId: sr.runId ?? null,
          genes: sr.genes ?? null,
          size: (spotSet ? sr.generated : sr.superpixels) ?? null,
          sizeUnit: spotSet ? 'spots' : 'superpixels',
          finalLoss: sr.finalLoss ?? null,
        }
      : null,
    domains: e.clustering ? { k: e.clustering.k, sizes: e.clustering.sizes ?? [], ari } : null,
    steps: STEPS.map((step) => {
      const b = e.steps?.[step];
      return { step, seconds: b?.seconds ?? null, peakMb: b?.max_rss_mb ?? null };
    }),
    hasFigure: e.outputs?.figure !== undefined,
    failures: (e.failures ?? []).map((f) => ({
      step: f.step,
      code: f.code ?? 'INTERNAL',
      message: f.message ?? '',
      exitCode: f.exitCode ?? null,
    })),
  };
}

/** The cohort an index path names (see findCohortIndex), every path resolved. */
export function readCohortIndex(path: string): CohortInfo {
  const file = findCohortIndex(path);
  const raw = readRaw(file);
  const cohortDir = dirname(file);
  return {
    file,
    // the results folder's name unless the workflow named the cohort
    name: raw.name ?? basename(dirname(cohortDir)),
    created: raw.created,
    complete: raw.complete,
    counts: raw.counts,
    samples: raw.samples.map((e) => sample(e, cohortDir)),
  };
}

/**
 * A sample's figure, read through the one path guard with the results folder (the index's
 * folder's parent) as the root: an index edited to point outside it, at a hidden file or at
 * anything but a PNG under samples/ is refused.
 */
export function cohortFigure(indexFile: string, sampleName: string): { mime: 'image/png'; base64: string } {
  const file = findCohortIndex(indexFile);
  const cohortDir = dirname(file);
  const e = readRaw(file).samples.find((s) => s.name === sampleName);
  if (!e) throw new EngineError('NOT_FOUND', `The cohort ${file} has no sample "${sampleName}".`, { file });
  const rel = e.outputs?.figure;
  if (!rel)
    throw new EngineError('NOT_FOUND', `Sample ${sampleName} of ${file} has no figure (it did not finish).`);
  const root = dirname(cohortDir);
  const guarded = guardProjectFile(root, relative(root, resolve(cohortDir, rel)), 'cohortFigures');
  if (guarded.size > MAX_FIGURE_BYTES)
    throw badInput(`${guarded.path} is ${guarded.size} bytes: too large to show.`, { file: guarded.path });
  const fd = openGuarded(guarded);
  try {
    const buf = Buffer.alloc(guarded.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { mime: 'image/png', base64: buf.subarray(0, off).toString('base64') };
  } finally {
    closeSync(fd);
  }
}

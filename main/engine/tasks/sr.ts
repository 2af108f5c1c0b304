/**
 * Job task `sr`: one SR run of any registered method on one stored sample. Loads the plugins the
 * job names (a worker thread has its own registry), validates the options with the method's schema,
 * checks what the method needs, resolves the histology input for methods that read a feature set,
 * and calls the method's `run` — or the generic predict-and-store path (methods/sample-run.ts).
 *
 * Job rows of the older per-method kinds (`sr.<method>`, see LEGACY_SR_JOB_KINDS) are served by
 * this module too: their flat parameters are read as options of the method the kind names.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { badInput } from '../errors';
import { listFeatureSets, openSampleFeatures } from '../features/project';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import type { RunOutcome } from '../methods/entry';
import { LEGACY_SR_JOB_KINDS, loadPlugin, requireMethodEntry, resolveOptions } from '../methods/registry';
import { runThroughPredict } from '../methods/sample-run';
import { openProject, type Project } from '../store/project';
import { getJob } from '../store/repos/jobs';
import { loadSample } from '../store/sample-store';
import { run as extractSampleFeatures } from './extract-features';

export interface SrJobParams {
  sampleId: number;
  /** registry id */
  method: string;
  /** a preset of the method (default: `default`) */
  preset?: string;
  /** options of the method, validated by its schema */
  options?: Record<string, unknown>;
  /** gene indices to model besides the method's own choice */
  include?: number[];
  /** a stored feature set of the sample as histology input (methods that read one) */
  featureSetId?: number;
  /** a model file (methods that need one) */
  modelFile?: string;
  /** plugin module files to load before looking the method up */
  plugins?: string[];
}

export interface SrJobResult extends RunOutcome {
  method: string;
  label: string;
}

/** The parameters of an older `sr.<method>` job row as an `sr` job's. */
export function fromLegacyParams(kind: string, p: Record<string, unknown>): SrJobParams {
  const method = typeof p['method'] === 'string' ? p['method'] : LEGACY_SR_JOB_KINDS[kind];
  if (!method) throw badInput(`Job kind "${kind}" is not an SR job.`);
  const { sampleId, preset, include, featureSetId, noHistology, noEnhancement, ...rest } = p;
  delete rest['method'];
  // a folder hint of the old HisToSGE job; the built-in features are cached per image anyway
  delete rest['featureCacheDir'];
  const options: Record<string, unknown> = { ...rest };
  if (noHistology === true) options['histology'] = false;
  if (noEnhancement === true) options['enhancement'] = false;
  return {
    sampleId: Number(sampleId),
    method,
    ...(typeof preset === 'string' ? { preset } : {}),
    ...(Array.isArray(include) ? { include: include.map(Number) } : {}),
    ...(typeof featureSetId === 'number' ? { featureSetId } : {}),
    options,
  };
}

/**
 * The histology input of a method that reads a feature set: the one asked for, else the sample's
 * latest built-in set, else a built-in set extracted now (stored like any other, so later runs
 * reuse it).
 */
async function featureSetFor(project: Project, p: SrJobParams, ctx: TaskContext): Promise<number> {
  if (p.featureSetId !== undefined) {
    // opening checks that the set exists and belongs to the sample
    openSampleFeatures(project, p.sampleId, { featureSetId: p.featureSetId }).map.close();
    return p.featureSetId;
  }
  const builtin = listFeatureSets(project, p.sampleId).filter((r) => r.extractor === 'builtin');
  if (builtin.length > 0) return builtin.at(-1)!.id;
  const r = await extractSampleFeatures(
    { sampleId: p.sampleId },
    { ...ctx, progress: subProgress(ctx.progress, 0, 0.08) },
  );
  return r.featureSetId;
}

export async function run(params: SrJobParams, ctx: TaskContext): Promise<SrJobResult> {
  const project = openProject(ctx.projectDir);
  try {
    const kind = getJob(project.db, ctx.jobId)?.kind ?? 'sr';
    const p = kind === 'sr' ? params : fromLegacyParams(kind, params as unknown as Record<string, unknown>);
    for (const file of p.plugins ?? []) await loadPlugin(file, project.dir);
    const entry = requireMethodEntry(p.method);
    const options = resolveOptions(entry, p.preset, p.options);
    const sample = loadSample(project, p.sampleId);
    if (entry.needs.image && !sample.image)
      throw badInput(`${entry.label} needs the H&E image, and ${sample.name} has none.`, {
        hint: 'Import the sample with --image.',
      });
    if (entry.needs.lattice && sample.lattice === 'none')
      throw badInput(`${entry.label} places spots on a lattice, and ${sample.name} has none.`);
    if (entry.needs.modelFile && !p.modelFile) throw badInput(`${entry.label} needs a trained model file.`);
    if (entry.needs.featureSet === 'required' && p.featureSetId === undefined)
      throw badInput(`${entry.label} needs a stored feature set of ${sample.name}.`);
    const featureSetId = entry.needs.featureSet === 'none' ? undefined : await featureSetFor(project, p, ctx);
    const workDir = join(project.arraysDir, `sr-job-${ctx.jobId}`);
    mkdirSync(workDir, { recursive: true });
    const runCtx = {
      project,
      sample,
      sampleId: p.sampleId,
      include: p.include ?? [],
      ...(featureSetId !== undefined ? { featureSetId } : {}),
      ...(p.modelFile !== undefined ? { modelFile: p.modelFile } : {}),
      workDir,
      progress: ctx.progress,
      signal: ctx.signal,
      task: ctx,
    };
    const outcome = entry.run
      ? await entry.run(runCtx, options)
      : await runThroughPredict(entry, runCtx, options);
    // checkpoints are only for resuming this job: the run is stored now
    rmSync(workDir, { recursive: true, force: true });
    return { method: entry.id, label: entry.label, ...outcome };
  } finally {
    project.close();
  }
}

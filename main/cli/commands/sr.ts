import { openProject } from '../../engine/store/project';
import type { HistexParams, HistexResult } from '../../engine/tasks/histex';
import type { HistosgeParams, HistosgeResult } from '../../engine/tasks/histosge';
import { UsageError, type Output } from '../output';
import { resolveSample } from '../resolve-sample';
import { runJob } from '../run-job';

interface SrOptions {
  method?: string;
  genes?: string;
  epochs?: string;
  seed?: string;
  ensemble?: string;
  preset?: string;
  fold?: string;
}

const FOLDS = [2, 4, 8, 9, 16];

async function histosgeCommand(
  projectDir: string,
  ref: string | undefined,
  opts: SrOptions,
  out: Output,
): Promise<void> {
  const fold = int('fold', opts.fold, 2) ?? 4;
  if (!FOLDS.includes(fold)) throw new UsageError(`--fold must be one of ${FOLDS.join(', ')}, got ${fold}.`);
  const preset = opts.preset ?? 'default';
  if (preset !== 'default' && preset !== 'paper')
    throw new UsageError(`--preset must be default or paper, got "${preset}".`);
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    const params: HistosgeParams = { sampleId: sample.id, fold, preset };
    const genes = int('genes', opts.genes, 1);
    const epochs = int('epochs', opts.epochs, 1);
    const seed = int('seed', opts.seed, 0);
    if (genes !== undefined) params.genes = genes;
    if (epochs !== undefined) params.epochs = epochs;
    if (seed !== undefined) params.seed = seed;
    const r = (await runJob(project, 'sr.histosge', params, out)) as HistosgeResult;
    out.result(
      {
        runId: r.runId,
        method: 'histosge',
        genes: r.genes.length,
        fold: r.fold,
        measured: r.measured,
        generated: r.generated,
        seconds: r.seconds,
        finalLoss: r.finalLoss,
      },
      `Run ${r.runId}: HisToSGE ${r.fold}× on ${sample.name}: ${r.generated} new spots beside ${r.measured} measured, ${r.genes.length} genes, ${r.seconds.toFixed(0)} s`,
    );
  } finally {
    project.close();
  }
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got "${v}".`);
  return n;
}

/** `stsr sr SAMPLE --method histex|istar`: trains on the sample's spots and stores an SR run. */
export async function srCommand(
  projectDir: string,
  ref: string | undefined,
  opts: SrOptions,
  out: Output,
): Promise<void> {
  const method = opts.method ?? 'histex';
  if (method === 'histosge') return histosgeCommand(projectDir, ref, opts, out);
  if (method !== 'histex' && method !== 'istar') {
    throw new UsageError(
      `--method ${method} is not available for stored runs here: use histex, istar or histosge (interp, tesla and the others run in \`stsr bench\`).`,
    );
  }
  const preset = opts.preset ?? 'default';
  if (preset !== 'default' && preset !== 'paper')
    throw new UsageError(`--preset must be default or paper, got "${preset}".`);
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    const params: HistexParams = { sampleId: sample.id, method, preset };
    const genes = int('genes', opts.genes, 1);
    const epochs = int('epochs', opts.epochs, 1);
    const seed = int('seed', opts.seed, 0);
    const ensemble = int('ensemble', opts.ensemble, 1);
    if (genes !== undefined) params.genes = genes;
    if (epochs !== undefined) params.epochs = epochs;
    if (seed !== undefined) params.seed = seed;
    if (ensemble !== undefined) params.ensemble = ensemble;
    const r = (await runJob(project, 'sr.histex', params, out)) as HistexResult;
    out.result(
      {
        runId: r.runId,
        method: r.method,
        genes: r.genes.length,
        seconds: r.seconds,
        finalLoss: r.finalLoss,
        superpixels: r.superpixels,
      },
      `Run ${r.runId}: ${r.method} on ${sample.name}, ${r.genes.length} genes over ${r.superpixels} superpixels in ${r.seconds.toFixed(0)} s (final loss ${r.finalLoss.toFixed(4)})`,
    );
  } finally {
    project.close();
  }
}

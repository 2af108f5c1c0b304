import { openProject } from '../../engine/store/project';
import type { SampleRow } from '../../engine/store/repos/samples';
import type { HistexResult } from '../../engine/tasks/histex';
import type { HistosgeResult } from '../../engine/tasks/histosge';
import type { InterpResult } from '../../engine/tasks/interp';
import { spotSetMethodName } from '../../engine/tasks/spot-set';
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
  'feature-set'?: string;
}

const FOLDS = [2, 4, 8, 9, 16];

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got "${v}".`);
  return n;
}

const histexExtra = (method: 'histex' | 'istar', o: SrOptions) => ({
  method,
  ensemble: int('ensemble', o.ensemble, 1),
  featureSetId: int('feature-set', o['feature-set'], 1),
});

function foldOf(o: SrOptions): number {
  const fold = int('fold', o.fold, 2) ?? 4;
  if (!FOLDS.includes(fold)) throw new UsageError(`--fold must be one of ${FOLDS.join(', ')}, got ${fold}.`);
  return fold;
}

/** The job each method runs, the parameters only it takes, and how its result is reported. */
const METHODS = {
  histex: {
    kind: 'sr.histex',
    extra: (o: SrOptions) => histexExtra('histex', o),
  },
  istar: {
    kind: 'sr.histex',
    extra: (o: SrOptions) => histexExtra('istar', o),
  },
  histosge: { kind: 'sr.histosge', extra: (o: SrOptions) => ({ fold: foldOf(o) }) },
  interp: { kind: 'sr.interp', extra: (o: SrOptions) => ({ fold: foldOf(o) }) },
} as const;

function report(
  sample: SampleRow,
  method: string,
  r: HistexResult | HistosgeResult | InterpResult,
): [Record<string, unknown>, string] {
  if ('fold' in r) {
    return [
      {
        runId: r.runId,
        method,
        genes: r.genes.length,
        fold: r.fold,
        measured: r.measured,
        generated: r.generated,
        seconds: r.seconds,
        ...('finalLoss' in r ? { finalLoss: r.finalLoss } : {}),
      },
      `Run ${r.runId}: ${spotSetMethodName(method)} ${r.fold}× on ${sample.name}: ${r.generated} new spots beside ${r.measured} measured, ${r.genes.length} genes, ${r.seconds.toFixed(0)} s`,
    ];
  }
  return [
    {
      runId: r.runId,
      method: r.method,
      genes: r.genes.length,
      seconds: r.seconds,
      finalLoss: r.finalLoss,
      superpixels: r.superpixels,
      featureSetId: r.featureSetId,
    },
    `Run ${r.runId}: ${r.method} on ${sample.name}, ${r.genes.length} genes over ${r.superpixels} superpixels in ${r.seconds.toFixed(0)} s (final loss ${r.finalLoss.toFixed(4)})`,
  ];
}

/** `stsr sr SAMPLE --method histex|istar|histosge|interp`: an SR run of the sample, stored. */
export async function srCommand(
  projectDir: string,
  ref: string | undefined,
  opts: SrOptions,
  out: Output,
): Promise<void> {
  const method = opts.method ?? 'histex';
  if (!Object.hasOwn(METHODS, method)) {
    throw new UsageError(
      `--method ${method} is not available for stored runs: use histex, istar, histosge or interp (tesla and the others run in \`stsr bench\`).`,
    );
  }
  const spec = METHODS[method as keyof typeof METHODS];
  const preset = opts.preset ?? 'default';
  if (preset !== 'default' && preset !== 'paper')
    throw new UsageError(`--preset must be default or paper, got "${preset}".`);
  const common = {
    preset,
    genes: int('genes', opts.genes, 1),
    epochs: int('epochs', opts.epochs, 1),
    seed: int('seed', opts.seed, 0),
  };
  const extra = spec.extra(opts);
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    // undefined options are dropped so the task's defaults apply
    const params = JSON.parse(JSON.stringify({ sampleId: sample.id, ...common, ...extra })) as Record<
      string,
      unknown
    >;
    const r = (await runJob(project, spec.kind, params, out)) as HistexResult | HistosgeResult | InterpResult;
    const [json, human] = report(sample, method, r);
    out.result(json, human);
  } finally {
    project.close();
  }
}

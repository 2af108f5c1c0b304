/**
 * `stsr bench --data PATH --protocol coarsen|holdout --methods m1,m2,…|all [--genes N] [--epochs N]
 * [--seed S] [--gene-selection RULE] [--pseudo-spot-um F] [--image FILE | --scaled-image] [--out DIR] [--plugin FILE]
 * [--json]`
 * (benchmark.md "Commands"). A Visium HD folder as --data is the truth at its bin size (8 µm).
 *
 * Reads the sample straight from PATH (any importer format; nothing is written to a project), runs
 * the harness, writes JSON + Markdown + PNG into --out (default <project>/bench) and prints the
 * result; with --json the last stdout line is the JSON object. Progress goes to stderr.
 */
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSample } from '../../engine/io/index';
import {
  DEFAULT_HD_PSEUDO_SPOT_UM,
  GENE_SELECTIONS,
  listMethods,
  runBench,
  writeBenchReport,
  type BenchOptions,
  type GeneSelection,
  type Protocol,
} from '../../engine/bench/index';
import { loadPlugin } from '../../engine/methods/registry';
import { UsageError, type Output } from '../output';

export const BENCH_HELP = `  bench --data PATH            benchmark SR methods on a sample where the truth is known
      --protocol coarsen|holdout
      --methods m1,m2,…|all    methods (${listMethods().join(', ')}); all = every one; controls noise, <m>:permuted
      --plugin FILE            load SR methods from a module file first (repeatable)
      --genes N                number of genes (default 100)
      --gene-selection RULE    ${GENE_SELECTIONS.join(' | ')} (default seurat_v3)
      --epochs N               training epochs for methods that train
      --seed S                 seed of splits, controls and training (default 0)
      --image FILE             the full-resolution H&E (Space Ranger outs ship only scaled copies)
      --scaled-image           without the full-resolution H&E, let image methods read the scaled copy
                               (positions moved into its pixels; ~10–15 µm/px for a lowres PNG)
      --pseudo-spot-um F       Visium HD data: bins grouped into pseudo-spots of about F µm (default ${DEFAULT_HD_PSEUDO_SPOT_UM})
      --out DIR                where the JSON, Markdown and PNG go (default <project>/bench)
`;

function positiveInt(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${v}".`);
  return n;
}

/**
 * `args` are the command-line words after "bench" (global flags such as --json and --project may be
 * among them). Throws UsageError/EngineError for the caller's error handler (exit codes in output.ts).
 */
export async function benchCommand(
  args: string[],
  out: Output,
  context: { projectDir?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      protocol: { type: 'string' },
      methods: { type: 'string' },
      genes: { type: 'string' },
      'gene-selection': { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      'pseudo-spot-um': { type: 'string' },
      image: { type: 'string' },
      'scaled-image': { type: 'boolean', default: false },
      out: { type: 'string' },
      plugin: { type: 'string', multiple: true },
      project: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(
      `stsr bench takes no positional arguments (got "${positionals.join(' ')}"); use --data PATH.`,
    );
  for (const file of values.plugin ?? []) await loadPlugin(file);
  if (!values.data) throw new UsageError('stsr bench needs --data PATH (a sample folder or file).');
  const protocol = values.protocol;
  if (protocol !== 'coarsen' && protocol !== 'holdout')
    throw new UsageError(`--protocol must be coarsen or holdout, got "${protocol ?? ''}".`);
  if (!values.methods)
    throw new UsageError(`stsr bench needs --methods (available: ${listMethods().join(', ')}).`);
  const rule = values['gene-selection'] ?? 'seurat_v3';
  if (!(GENE_SELECTIONS as readonly string[]).includes(rule))
    throw new UsageError(`--gene-selection must be one of ${GENE_SELECTIONS.join(', ')}, got "${rule}".`);
  const opts: BenchOptions = {
    protocol: protocol as Protocol,
    methods: values.methods.split(','),
    geneSelection: rule as GeneSelection,
  };
  const genes = positiveInt('--genes', values.genes);
  if (genes !== undefined) opts.genes = genes;
  const epochs = positiveInt('--epochs', values.epochs);
  if (epochs !== undefined) opts.epochs = epochs;
  const seed = positiveInt('--seed', values.seed, 0);
  if (seed !== undefined) opts.seed = seed;
  const psu = values['pseudo-spot-um'];
  if (psu !== undefined) {
    const v = Number(psu);
    if (!(v > 0)) throw new UsageError(`--pseudo-spot-um must be a positive number of µm, got "${psu}".`);
    opts.pseudoSpotUm = v;
  }
  if (values['scaled-image']) opts.scaledImage = true;
  if (context.signal) opts.signal = context.signal;
  let lastPct = -1;
  opts.progress = (u) => {
    const pct = Math.round(u.fraction * 100);
    if (pct === lastPct && !u.message) return;
    lastPct = pct;
    out.note(`[bench] ${String(pct).padStart(3)}%${u.message ? `  ${u.message}` : ''}`);
  };
  const dataPath = resolve(values.data);
  out.note(`[bench] reading ${dataPath}`);
  const sample = await readSample(dataPath, values.image ? { imagePath: resolve(values.image) } : {});
  const result = await runBench(sample, opts);
  const projectDir = values.project ?? context.projectDir ?? process.env.STSR_PROJECT ?? process.cwd();
  const outDir = resolve(values.out ?? join(projectDir, 'bench'));
  const files = await writeBenchReport(result, outDir);
  const rows = Object.entries(result.methods)
    .map(
      ([name, s]) =>
        `  ${name.padEnd(20)} PCC ${s.pcc.toFixed(4)}  RMSE ${s.rmse.toFixed(4)}  SSIM ${s.ssim.toFixed(4)}  ${s.seconds.toFixed(2)} s`,
    )
    .join('\n');
  out.result(
    { ...result, reports: files },
    `${result.protocol} on ${result.dataset}, ${result.genes} genes (${result.geneSelection}):\n${rows}\n` +
      `Report: ${files.markdown}, ${files.png}`,
  );
}

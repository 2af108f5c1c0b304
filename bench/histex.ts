/**
 * `npm run bench -- histex [--presets default,paper] [--sections B4,C2,C3] [--genes 100]
 *  [--epochs N] [--ensemble K] [--gene-selection seurat_v3|log1p-cp10k-variance]
 *  [--features builtin|builtin-raw|standin|rgb] [--feature-components K] [--feature-scale S]
 *  [--model-seed S] [--time-budget SECONDS]`: HISTEX under the
 * coarsen protocol on HER2ST through the same harness as `stsr bench` (controls included), per preset
 * and section: wall time, peak RSS and the metrics of coarse, interp, noise, histex, histex:permuted.
 */
import { runBench, type GeneSelection } from '../main/engine/bench';
import { readSample } from '../main/engine/io';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const METHODS = ['coarse', 'interp', 'noise', 'histex', 'histex:permuted'];

export default async function histexBench(args: string[]) {
  const presets = (arg(args, 'presets') ?? 'default').split(',');
  const sections = (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const genes = Number(arg(args, 'genes') ?? 100);
  const geneSelection = (arg(args, 'gene-selection') ?? 'seurat_v3') as GeneSelection;
  const results: Record<string, unknown> = {};
  for (const preset of presets) {
    const histexOptions: Record<string, unknown> = { preset };
    const e = arg(args, 'epochs');
    if (e) histexOptions.epochs = Number(e);
    const k = arg(args, 'ensemble');
    if (k) histexOptions.ensemble = Number(k);
    // the default preset stops training at 420 s: on a loaded machine that cuts epochs, so set it
    // high (e.g. --time-budget 1e9) when comparing feature readings (docs/features.md)
    const budget = arg(args, 'time-budget');
    if (budget) histexOptions.timeBudgetSeconds = Number(budget);
    const features = arg(args, 'features');
    if (features) histexOptions.features = features;
    for (const [flag, key] of [
      ['feature-components', 'featureComponents'],
      ['feature-scale', 'featureScale'],
    ] as const) {
      const v = arg(args, flag);
      if (v) histexOptions[key] = Number(v);
    }
    // the models' seeds only (genes, coarsening and the controls keep seed 0)
    const seed = arg(args, 'model-seed');
    if (seed) histexOptions.seed = Number(seed);
    const perSection: Record<string, unknown> = {};
    const mean: Record<string, Record<string, number>> = {};
    for (const section of sections) {
      const peak = trackPeakRss();
      const epochs: number[] = [];
      const t0 = performance.now();
      const sample = await readSample(sharedData('her2st', section));
      const r = await runBench(sample, {
        protocol: 'coarsen',
        methods: ['coarse', 'interp', 'histex'],
        genes,
        geneSelection,
        methodOptions: { histex: histexOptions },
        progress: (u) => {
          if (!u.message) return;
          process.stderr.write(`[histex ${preset} ${section}] ${u.message}\n`);
          // epochs each model actually trained (a time guard or early stopping can cut them)
          const m = /^model (\d+)\/\d+, epoch (\d+) done/.exec(u.message);
          if (m) epochs[Number(m[1]) - 1] = Number(m[2]);
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const methods = Object.fromEntries(
        METHODS.filter((m) => r.methods[m]).map((m) => {
          const s = r.methods[m]!;
          return [m, { pcc: s.pcc, rmse: s.rmse, ssim: s.ssim, mae: s.mae, mse: s.mse, seconds: s.seconds }];
        }),
      );
      perSection[section] = { seconds, peakRssMB: Math.round(peak.stop() / 2 ** 20), epochs, methods };
      // each section as it finishes, so a long run that is stopped keeps what it measured
      process.stderr.write(`[histex ${preset} ${section}] result ${JSON.stringify(perSection[section])}\n`);
      for (const [m, s] of Object.entries(methods))
        for (const metric of ['pcc', 'rmse', 'ssim'] as const)
          (mean[m] ??= {})[metric] = ((mean[m]![metric] ?? 0) as number) + s[metric] / sections.length;
    }
    results[preset] = { options: histexOptions, sections: perSection, mean };
  }
  return { genes, geneSelection, protocol: 'coarsen', presets: results };
}

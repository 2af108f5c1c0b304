/**
 * `npm run bench -- histex [--presets default,paper] [--sections B4,C2,C3] [--genes 100]
 *  [--epochs N] [--ensemble K] [--lr X]`: HISTEX under the coarsen protocol on HER2ST, per preset
 * and section: wall time (features + training + inference), peak RSS, and the coarsen metrics of
 * coarse, noise, histex and histex:permuted. Defaults: the `default` preset on B4, C2, C3.
 */
import { readSample } from '../main/engine/io/index';
import { builtinFeatures, PRESETS, runCoarsen, type HistexOptions } from '../main/engine/methods/histex';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export default async function histexBench(args: string[]) {
  const presets = (arg(args, 'presets') ?? 'default').split(',') as (keyof typeof PRESETS)[];
  const sections = (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const genes = Number(arg(args, 'genes') ?? 100);
  const results: Record<string, Record<string, unknown>> = {};
  for (const preset of presets) {
    const base = PRESETS[preset];
    if (!base) throw new Error(`unknown preset ${preset}`);
    const o: HistexOptions = { ...base };
    const e = arg(args, 'epochs');
    if (e) o.epochs = Number(e);
    const k = arg(args, 'ensemble');
    if (k) o.ensemble = Number(k);
    const lr = arg(args, 'lr');
    if (lr) o.lr = Number(lr);
    const perSection: Record<string, unknown> = {};
    for (const section of sections) {
      const peak = trackPeakRss();
      const t0 = performance.now();
      const sample = await readSample(sharedData('her2st', section));
      const features = await builtinFeatures(sample);
      const featureSeconds = (performance.now() - t0) / 1000;
      let last = 0;
      const report = await runCoarsen(sample, features, o, genes, {
        onProgress: (u) => {
          if (performance.now() - last > 15_000) {
            last = performance.now();
            process.stderr.write(`[histex ${preset} ${section}] ${u.message ?? ''}\n`);
          }
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      perSection[section] = { ...report, seconds, featureSeconds, peakRssMB: peak.stop() / 2 ** 20 };
      process.stderr.write(`[histex ${preset} ${section}] ${JSON.stringify(perSection[section])}\n`);
    }
    const names = ['coarse', 'noise', 'histex', 'histex:permuted'];
    const mean: Record<string, Record<string, number>> = {};
    for (const n of names)
      for (const metric of ['rmse', 'ssim', 'pcc'] as const) {
        const vals = sections.map(
          (s) =>
            (perSection[s] as { methods: Record<string, Record<string, number>> }).methods[n]?.[metric] ??
            NaN,
        );
        (mean[n] ??= {})[metric] = vals.reduce((a, b) => a + b, 0) / vals.length;
      }
    results[preset] = { options: o, sections: perSection, mean };
  }
  return {
    genes,
    protocol: 'coarsen',
    features: 'histex builtinFeatures (16 weights-free channels)',
    presets: results,
  };
}

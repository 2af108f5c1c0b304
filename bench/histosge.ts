/**
 * `npm run bench -- histosge [--section C2] [--genes 100] [--epochs N] [--preset default|paper]`:
 * HisToSGE on one HER2ST section: wall time and peak RSS of (1) the inputs (built-in features,
 * cached per image after the first run, RGB, tissue mask), (2) training on every measured spot and
 * (3) 4× generation (positions + prediction).
 * `npm run bench -- histosge holdout [--sections B4,C2,C3 | --data visium/NAME,…] [--methods interp,histosge,ridge-probe] [--scaled-image] [--seed S]`:
 * the holdout protocol with interp and
 * histosge through runBench (benchmark.md), as `stsr bench --protocol holdout` would run it.
 */
import { readSample } from '../main/engine/io/index';
import { csrToDense } from '../main/engine/analysis/matrix';
import { logNormalize } from '../main/engine/analysis/normalise';
import { seuratV3Hvg } from '../main/engine/analysis/hvg';
import { runBench } from '../main/engine/bench/index';
import { latticeCoordsOf } from '../main/engine/analysis/lattice';
import { PRESETS, fitHistosge, generate, openSpotSource } from '../main/engine/methods/histosge';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';
import { ridgeProbe } from './histosge-probe';
import { registerMethod } from '../main/engine/bench/registry';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const mb = (b: number) => Math.round(b / 2 ** 20);

async function timing(args: string[]) {
  const section = arg(args, 'section') ?? 'C2';
  const genes = Number(arg(args, 'genes') ?? 100);
  const preset = (arg(args, 'preset') ?? 'default') as keyof typeof PRESETS;
  const o = { ...PRESETS[preset] };
  const e = arg(args, 'epochs');
  if (e) o.epochs = Number(e);
  const sample = await readSample(sharedData('her2st', section));
  if (!sample.image) throw new Error(`${section} has no image`);
  let peak = trackPeakRss();
  let t0 = performance.now();
  const source = await openSpotSource({ image: sample.image, umPerPx: sample.umPerPx });
  const inputs = {
    seconds: (performance.now() - t0) / 1000,
    peakRssMB: mb(peak.stop()),
    extractor: source.extractor,
  };
  const idx = seuratV3Hvg(sample.counts, { nTopGenes: genes }).ranked;
  const values = csrToDense(logNormalize(sample.counts, 1e4), { columns: idx });
  const coords = latticeCoordsOf(sample.spots, sample.lattice === 'hex' ? 'hex' : 'square').coords;
  const spots = sample.spots.map((s, i) => ({ x: s.x, y: s.y, a: coords[i]!.a, b: coords[i]!.b }));
  peak = trackPeakRss();
  t0 = performance.now();
  const fit = await fitHistosge(
    {
      source,
      spots,
      values: values.data,
      genes: idx.length,
      lattice: sample.lattice === 'hex' ? 'hex' : 'square',
      spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    },
    o,
  );
  const training = {
    seconds: +((performance.now() - t0) / 1000).toFixed(2),
    peakRssMB: mb(peak.stop()),
    epochs: o.epochs,
    steps: fit.steps,
    firstLoss: fit.history[0],
    finalLoss: fit.history.at(-1),
  };
  peak = trackPeakRss();
  t0 = performance.now();
  const dense = await generate(fit, 4);
  const generation = {
    seconds: +((performance.now() - t0) / 1000).toFixed(2),
    peakRssMB: mb(peak.stop()),
    measured: dense.spots.filter((s) => s.measured).length,
    generated: dense.spots.filter((s) => !s.measured).length,
  };
  return { section, spots: spots.length, genes: idx.length, preset, inputs, training, generation };
}

async function holdout(args: string[]) {
  // --data visium/seurat-mouse-brain-sagittal-anterior,… (paths under ../shared/data) instead of HER2ST sections
  const data = arg(args, 'data');
  const sections = data ? data.split(',') : (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const genes = Number(arg(args, 'genes') ?? 100);
  const epochs = arg(args, 'epochs');
  // --methods interp,ridge-probe: ridge-probe is the bench-only linear read-out of HisToSGE's input
  const methods = (arg(args, 'methods') ?? 'interp,histosge').split(',');
  if (methods.includes('ridge-probe')) registerMethod(ridgeProbe, { replace: true });
  const out: Record<string, unknown> = {};
  for (const section of sections) {
    const sample = await readSample(data ? sharedData(...section.split('/')) : sharedData('her2st', section));
    const r = await runBench(sample, {
      protocol: 'holdout',
      methods,
      scaledImage: args.includes('--scaled-image'),
      genes,
      seed: Number(arg(args, 'seed') ?? 0),
      ...(epochs ? { epochs: Number(epochs) } : {}),
    });
    out[section] = { hidden: r.methods, allSpots: r.allSpots, spots: r.spots, inputSpots: r.inputSpots };
    console.error(section, JSON.stringify(out[section]));
  }
  return out;
}

export default async function histosgeBench(args: string[]) {
  return args[0] === 'holdout' ? holdout(args.slice(1)) : timing(args);
}

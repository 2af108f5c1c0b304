/**
 * `npm run bench -- diffst [--preset default] [--genes 100] [--rounds 7]`: one training step against
 * the forward pass of the same denoiser (interleaved rounds, medians), the time to sample one patch
 * with 20 respaced steps and K = 8 (and with the preset's meanSamples chains), and peak RSS.
 *
 * `npm run bench -- diffst --coarsen [--sections B4,C2,C3] [--preset default] [--methods coarse,interp,diffst]
 *   [--seed S] [--target map|residual|residual-bilinear]` (the model's seed; the controls' draws stay
 *   seeded by the benchmark):
 * the coarsen protocol on HER2ST through the harness (controls included) plus Spearman's ρ of the
 * predicted SD against the absolute error at the evaluated spots, per section.
 */
import { runBench, type GeneSelection } from '../main/engine/bench';
import { registerMethod } from '../main/engine/bench/registry';
import { csrToDense } from '../main/engine/analysis/matrix';
import { readSample } from '../main/engine/io';
import { diffstMethod, type DiffstOutput } from '../main/engine/methods/diffst/sr-method';
import { DIFFST_PRESETS, isPresetName } from '../main/engine/methods/diffst/presets';
import { uncertaintyVsError } from '../main/engine/methods/diffst/uncertainty';
import { modelConfig } from '../main/engine/methods/diffst/pipeline';
import { coexpressionAdjacency } from '../main/engine/methods/diffst/raster';
import { outputAtTargets, superpixelsToSpots, type SrInput } from '../main/engine/methods/types';
import { buildInference, buildTrainStep } from '../main/engine/onnx/model';
import { createSession, toOrt, type OrtTensor } from '../main/engine/onnx/session';
import { TrainSession } from '../main/engine/onnx/train-session';
import { diffstModel } from '../models/diffst';
import { sharedData } from '../test/helpers/paths';
import { trackPeakRss } from './_peak-memory';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function randomFeeds(
  dataInputs: { name: string; dims: number[] }[],
  imageDivisor: number,
): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const d of dataInputs) {
    const a = new Float32Array(d.dims.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = Math.random();
    // RGB 0–255, or feature components of unit SD
    if (d.name === 'wsi' || d.name === 'cells')
      a.forEach((_, i) => (a[i] = imageDivisor === 1 ? 2 * Math.random() - 1 : 255 * Math.random()));
    if (d.name === 'isFirst') a.fill(0);
    if (d.name === 'postLogVar') a.fill(-7);
    if (d.name === 'logBeta') a.fill(-5);
    if (d.name === 'mask' || d.name === 'hrMask') a.fill(1);
    feeds[d.name] = toOrt('float32', a, d.dims);
  }
  return feeds;
}

async function speed(args: string[]) {
  const presetName = arg(args, 'preset') ?? 'default';
  if (!isPresetName(presetName)) throw new Error(`unknown preset ${presetName}`);
  const p = DIFFST_PRESETS[presetName];
  const G = Number(arg(args, 'genes') ?? 100);
  const rounds = Number(arg(args, 'rounds') ?? 7);
  const peak = trackPeakRss();
  const cfg = modelConfig(p, G, coexpressionAdjacency(Array.from({ length: G }, (_, i) => i + 1)));
  const def = diffstModel(cfg);
  const step = buildTrainStep(def, {
    batchSize: p.batchSize,
    optimizer: { kind: 'adamw', weightDecay: p.weightDecay },
  });
  const trainer = await TrainSession.create(
    def,
    { batchSize: p.batchSize, optimizer: { kind: 'adamw', weightDecay: p.weightDecay } },
    { seed: 0 },
  );
  const fwdBuilt = buildInference(def, trainer.paramValues(), p.batchSize);
  const fwd = (await createSession(fwdBuilt.bytes, {})).session;
  const stepFeeds = randomFeeds(step.dataInputs, cfg.imageDivisor ?? 255);
  const fwdFeeds = randomFeeds(fwdBuilt.dataInputs, cfg.imageDivisor ?? 255);
  await trainer.step(stepFeeds, p.lr);
  await fwd.run(fwdFeeds);
  const stepMs: number[] = [];
  const fwdMs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await fwd.run(fwdFeeds);
    const f = performance.now() - t;
    t = performance.now();
    await trainer.step(stepFeeds, p.lr);
    const s = performance.now() - t;
    fwdMs.push(f);
    stepMs.push(s);
    ratios.push(s / f);
  }
  await fwd.release();
  // One patch, 20 respaced steps: K = 8 chains (the figure: 20 runs of a batch of 8), and
  // the preset's meanSamples chains whose mean is the map (20 runs of a batch of that many).
  const steps = 20;
  const samplePatch = async (chains: number) => {
    const sampler = buildInference(def, trainer.paramValues(), chains);
    const sess = (await createSession(sampler.bytes, {})).session;
    const feeds = randomFeeds(sampler.dataInputs, cfg.imageDivisor ?? 255);
    await sess.run(feeds);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await sess.run(feeds);
    const seconds = (performance.now() - t0) / 1000;
    await sess.release();
    return seconds;
  };
  const K = 8;
  const samplePatchSeconds = await samplePatch(K);
  const samplePatchMeanSeconds = await samplePatch(p.meanSamples);
  await trainer.release();
  return {
    preset: presetName,
    genes: G,
    hr: p.hr,
    channels: p.channels,
    image: p.image,
    batchSize: p.batchSize,
    params: trainer.params.reduce((a, q) => a + q.shape.reduce((x, y) => x * y, 1), 0),
    forwardMs: median(fwdMs),
    stepMs: median(stepMs),
    ratio: median(ratios),
    samplePatchSeconds,
    sampleSteps: steps,
    samples: K,
    meanSamples: p.meanSamples,
    samplePatchMeanSeconds,
    peakRssMB: Math.round(peak.stop() / 2 ** 20),
  };
}

async function coarsen(args: string[]) {
  const sections = (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const preset = arg(args, 'preset') ?? 'default';
  const genes = Number(arg(args, 'genes') ?? 100);
  const geneSelection = (arg(args, 'gene-selection') ?? 'seurat_v3') as GeneSelection;
  const methods = (arg(args, 'methods') ?? 'coarse,interp,diffst').split(',');
  const options: Record<string, unknown> = { preset };
  for (const k of ['image', 'target']) if (arg(args, k)) options[k] = arg(args, k);
  for (const k of ['steps', 'samples', 'meanSamples', 'updates', 'seed'])
    if (arg(args, k)) options[k] = Number(arg(args, k));
  if (args.includes('--no-calibrate')) options['calibrate'] = false;
  let captured: { input: SrInput; out: DiffstOutput } | null = null;
  registerMethod(
    {
      ...diffstMethod,
      async predict(input, o, progress, signal) {
        const out = (await diffstMethod.predict(input, o, progress, signal)) as DiffstOutput;
        captured = { input, out };
        return out;
      },
    },
    { replace: true },
  );
  const perSection: Record<string, unknown> = {};
  for (const section of sections) {
    const peak = trackPeakRss();
    const t0 = performance.now();
    const sample = await readSample(sharedData('her2st', section));
    const r = await runBench(sample, {
      protocol: 'coarsen',
      methods,
      genes,
      geneSelection,
      methodOptions: { diffst: options },
      progress: (u) => u.message && process.stderr.write(`[diffst ${section}] ${u.message}\n`),
    });
    const seconds = (performance.now() - t0) / 1000;
    const scores = Object.fromEntries(
      Object.entries(r.methods).map(([m, s]) => [
        m,
        { pcc: s.pcc, rmse: s.rmse, ssim: s.ssim, seconds: s.seconds },
      ]),
    );
    let uncertainty: unknown = null;
    if (captured) {
      const { input, out } = captured as { input: SrInput; out: DiffstOutput };
      const pred = outputAtTargets(out, input);
      const sd = superpixelsToSpots({ ...out, values: out.uncertainty }, input.targets, input.spotDiameterPx);
      // Truth at the targets: the original spots' counts of the benchmark's genes.
      const geneIdx = r.geneNames.map((n) => sample.genes.findIndex((g) => g.symbol === n));
      const byPos = new Map(sample.spots.map((s, i) => [`${s.row},${s.col}`, i]));
      const rows = input.targets.map((t) => byPos.get(`${t.row},${t.col}`)!);
      const dense = csrToDense(sample.counts, { columns: Uint32Array.from(geneIdx) });
      const truth = {
        nRows: rows.length,
        nCols: geneIdx.length,
        data: new Float64Array(rows.length * geneIdx.length),
      };
      rows.forEach((i, k) =>
        truth.data.set(dense.data.subarray(i * geneIdx.length, (i + 1) * geneIdx.length), k * geneIdx.length),
      );
      uncertainty = {
        ...uncertaintyVsError(truth, pred, sd),
        fit: out.fit,
        samples: out.samples,
        meanSamples: out.meanSamples,
        steps: out.steps,
      };
      captured = null;
    }
    perSection[section] = {
      seconds,
      peakRssMB: Math.round(peak.stop() / 2 ** 20),
      methods: scores,
      uncertainty,
    };
    process.stderr.write(`[diffst ${section}] ${JSON.stringify(perSection[section])}\n`);
  }
  return { protocol: 'coarsen', genes, geneSelection, options, sections: perSection };
}

export default async function diffstBench(args: string[]) {
  return args.includes('--coarsen') ? coarsen(args) : speed(args);
}

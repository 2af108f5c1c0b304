/**
 * `npm run bench -- train-step [--batch 32] [--runs 15]`: one HISTEX-sized training step against its
 * forward pass and against a plain ORT MatMul of the same FLOPs.
 *
 * `npm run bench -- train-step --model histex [--batch 32] [--runs 15]`: the app's own HISTEX model
 * (models/histex.ts) at the paper's configuration — 1029 feature channels, 1000 genes, 49
 * histology tokens and 5 gene tokens per bag, d = 128, 8 heads, head 1024-512-512-512 — trained
 * through onnx/trainer.ts exactly as the app trains it (Dataset → batch buffers → step → Adam);
 * `stepMs` is the median time between the trainer's step reports, `forwardMs` one inference batch,
 * `params` the model's parameter count. For a side-by-side with a PyTorch implementation of the
 * same model on the same machine.
 *
 * Model: HISTEX's BCA layer (methods.md §3.3) on his [B, 49, 1029] and gene [B, 5, 1000] tokens,
 * d = 128, 8 heads, its L(Z) + Z residual, a Linear(128 → 1000 genes) head, the MIL mean over the
 * 49 instances and MSE; Adam. FLOPs are counted from the MatMul nodes of each graph.
 */
import { trackPeakRss } from './_peak-memory';
import {
  buildInference,
  buildTrainStep,
  createSession,
  Graph,
  initParams,
  mseLoss,
  toOrt,
  TrainSession,
  type ModelDefinition,
  type OrtTensor,
  Rng,
} from '../main/engine/onnx';
import { train, type Dataset } from '../main/engine/onnx/trainer';
import { histexDefinition, resolvedOptions } from '../models/histex';
import { linear } from '../models/layers';
import { biCrossAttention } from '../models/cross-attention';

const TOKENS = 49;
const GENE_TOKENS = 5;
const FEATURES = 1029;
const GENES = 1000;
const DIM = 128;

export const histexBlock: ModelDefinition = {
  name: 'histex-bca-block',
  dtype: 'float32',
  inputs: { his: { shape: [TOKENS, FEATURES] }, gene: { shape: [GENE_TOKENS, GENES] } },
  targets: { y: { shape: [GENES] } },
  forward: (g, i) => {
    const z = biCrossAttention(g, 'bca1', i.his!, i.gene!, { dim: DIM, heads: 8 });
    const perInstance = linear(g, 'head', z, GENES);
    return { y: g.reduceMean(perInstance, [1]) };
  },
  loss: (g, o, t, mask) => mseLoss(g, o.y!, t.y!, mask),
};

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * Median times of several functions measured interleaved (f1, f2, f3, f1, …): on a machine shared
 * with other work, load changes then hit every candidate alike instead of skewing the ratios.
 */
async function timeInterleaved(runs: number, fns: (() => Promise<unknown>)[]): Promise<number[][]> {
  for (const fn of fns) for (let i = 0; i < 3; i++) await fn();
  const ms = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      ms[k]?.push(performance.now() - t0);
    }
  }
  return ms;
}

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** The app's HISTEX model at the paper's configuration, timed through the app's trainer. */
async function histexModelStep(args: string[]): Promise<Record<string, unknown>> {
  const batch = arg(args, 'batch', 32);
  const runs = arg(args, 'runs', 15);
  const warmup = 3;
  const rng = new Rng(1);
  const peak = trackPeakRss();
  const opts = resolvedOptions({ features: FEATURES, genes: GENES, tokens: TOKENS, geneTokens: GENE_TOKENS });
  const def = histexDefinition(opts);
  const rows = batch * (runs + warmup);
  const his = random(rows * TOKENS * FEATURES, rng);
  const gene = random(rows * GENE_TOKENS * GENES, rng);
  const y = Float32Array.from({ length: rows * GENES }, () => rng.random());
  const bag = new Float32Array(rows * TOKENS).fill(1);
  const data: Dataset = {
    size: rows,
    fill(indices, out) {
      indices.forEach((row, r) => {
        (out['his'] as Float32Array).set(
          his.subarray(row * TOKENS * FEATURES, (row + 1) * TOKENS * FEATURES),
          r * TOKENS * FEATURES,
        );
        (out['gene'] as Float32Array).set(
          gene.subarray(row * GENE_TOKENS * GENES, (row + 1) * GENE_TOKENS * GENES),
          r * GENE_TOKENS * GENES,
        );
        (out['bag'] as Float32Array).set(bag.subarray(row * TOKENS, (row + 1) * TOKENS), r * TOKENS);
        (out['y'] as Float32Array).set(y.subarray(row * GENES, (row + 1) * GENES), r * GENES);
      });
    },
  };
  const stamps: number[] = [];
  const trained = await train({
    model: def,
    batchSize: batch,
    optimizer: { kind: 'adam' },
    train: data,
    epochs: 1,
    seed: 0,
    lr: { kind: 'constant', lr: 1e-4 },
    shuffle: false,
    onProgress: (u) => {
      if (u.metrics?.['step'] !== undefined) stamps.push(performance.now());
    },
  });
  const provider = trained.provider;
  const stepRuns = stamps.slice(warmup + 1).map((t, i) => t - stamps[warmup + i]!);

  const fwd = buildInference(def, null, batch);
  const { session } = await createSession(fwd.bytes);
  const feeds: Record<string, OrtTensor> = {
    his: toOrt('float32', his.subarray(0, batch * TOKENS * FEATURES), [batch, TOKENS, FEATURES]),
    gene: toOrt('float32', gene.subarray(0, batch * GENE_TOKENS * GENES), [batch, GENE_TOKENS, GENES]),
    bag: toOrt('float32', bag.subarray(0, batch * TOKENS), [batch, TOKENS]),
  };
  for (const p of fwd.params)
    feeds[`p:${p.name}`] = toOrt('float32', trained.params.get(p.name) as Float32Array, p.shape);
  const [fwdRuns] = (await timeInterleaved(runs, [() => session.run(feeds)])) as [number[]];
  await session.release();
  // parameters of the model as written (the folded head is computed from the same parameters)
  const unfolded = buildInference(histexDefinition({ ...opts, foldHead: false }), null, batch);
  const count = (ps: readonly { shape: readonly number[] }[]) =>
    ps.reduce((n, p) => n + p.shape.reduce((x, z) => x * z, 1), 0);
  return {
    model: def.name,
    provider,
    batch,
    steps: stepRuns.length,
    forwardGflop: round(fwd.flops / 1e9),
    stepGflop: round(buildTrainStep(def, { batchSize: batch, optimizer: { kind: 'adam' } }).flops / 1e9),
    peakRssMiB: Math.round(peak.stop() / 2 ** 20),
    forwardMinMs: round(Math.min(...fwdRuns)),
    stepMinMs: round(Math.min(...stepRuns)),
    params: count(unfolded.params),
    forwardMs: round(median(fwdRuns)),
    stepMs: round(median(stepRuns)),
  };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const model = args.indexOf('--model') >= 0 ? args[args.indexOf('--model') + 1] : undefined;
  if (model === 'histex') return histexModelStep(args);
  if (model !== undefined) throw new Error(`--model ${model}: only histex is timed here.`);
  const batch = arg(args, 'batch', 32);
  const runs = arg(args, 'runs', 21);
  const rng = new Rng(1);
  const peak = trackPeakRss();
  const data: Record<string, OrtTensor> = {
    his: toOrt('float32', random(batch * TOKENS * FEATURES, rng), [batch, TOKENS, FEATURES]),
    gene: toOrt('float32', random(batch * GENE_TOKENS * GENES, rng), [batch, GENE_TOKENS, GENES]),
  };

  // Forward: the inference graph with parameters as inputs (same values as the step starts from).
  const fwd = buildInference(histexBlock, null, batch);
  const params = initParams(fwd.params, 1, 'float32');
  const { session: fwdSession, provider } = await createSession(fwd.bytes);
  const fwdFeeds: Record<string, OrtTensor> = { ...data };
  for (const p of fwd.params)
    fwdFeeds[`p:${p.name}`] = toOrt('float32', params.get(p.name) as Float32Array, p.shape);

  // Step: forward + loss + backward + Adam, parameters fed back each step.
  const trainer = await TrainSession.create(
    histexBlock,
    { batchSize: batch, optimizer: { kind: 'adam' } },
    { seed: 1 },
  );
  const stepFeeds: Record<string, OrtTensor> = {
    ...data,
    y: toOrt('float32', random(batch * GENES, rng), [batch, GENES]),
    mask: toOrt('float32', new Float32Array(batch).fill(1), [batch, 1]),
  };
  const stepFlops = trainer.built.flops;

  // Reference: one MatMul [m, 1024] × [1024, 1024] with the step's FLOPs.
  const k = 1024;
  const m = Math.max(1, Math.round(stepFlops / (2 * k * k)));
  const g = new Graph('float32');
  const a = g.input('a', [m, k]);
  const b = g.input('b', [k, k]);
  const { session: mmSession } = await createSession(g.toModel({ outputs: { y: g.matmul(a, b) } }));
  const mmFeeds = {
    a: toOrt('float32', random(m * k, rng), [m, k]),
    b: toOrt('float32', random(k * k, rng), [k, k]),
  };
  const [fwdRuns, stepRuns, mmRuns] = (await timeInterleaved(runs, [
    () => fwdSession.run(fwdFeeds),
    () => trainer.step(stepFeeds, 1e-4),
    () => mmSession.run(mmFeeds),
  ])) as [number[], number[], number[]];
  const [forwardMs, stepMs, matmulMs] = [median(fwdRuns), median(stepRuns), median(mmRuns)];
  // Ratios per interleaved round, then the median: robust to load that drifts during the run.
  const ratio = median(stepRuns.map((s, i) => s / (fwdRuns[i] as number)));
  const matmulShare = median(mmRuns.map((m, i) => m / (stepRuns[i] as number)));
  const matmulGflops = (2 * m * k * k) / matmulMs / 1e6;

  await fwdSession.release();
  await mmSession.release();
  await trainer.release();
  const stepGflops = stepFlops / stepMs / 1e6;
  return {
    provider,
    batch,
    forwardMs: round(forwardMs),
    stepMs: round(stepMs),
    ratio: round(ratio),
    forwardMinMs: round(Math.min(...fwdRuns)),
    stepMinMs: round(Math.min(...stepRuns)),
    ratioOfMins: round(Math.min(...stepRuns) / Math.min(...fwdRuns)),
    gflops: round(stepGflops),
    forwardGflops: round(fwd.flops / forwardMs / 1e6),
    forwardGflop: round(fwd.flops / 1e9),
    stepGflop: round(stepFlops / 1e9),
    matmulMs: round(matmulMs),
    matmulGflops: round(matmulGflops),
    // Step FLOP/s over MatMul FLOP/s (same FLOPs), per round: ≥ 0.5 is the target.
    stepVsMatmul: round(matmulShare),
    params: fwd.params.reduce((n, p) => n + p.shape.reduce((x, y) => x * y, 1), 0),
    peakRssMiB: Math.round(peak.stop() / 2 ** 20),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

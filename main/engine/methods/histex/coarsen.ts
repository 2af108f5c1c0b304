/**
 * HISTEX under the benchmark's `coarsen` protocol (benchmark.md): train on pseudo-spots, predict
 * every superpixel inside the original spots, read each original spot as the mean over the
 * superpixels whose centres fall inside its disk, and score it with the controls beside it.
 * (Used by bench/histex.ts until the shared harness lands; the SrMethod adapter wraps `srHistex`.)
 */
import {
  averageOverDraws,
  coarseBaseline,
  coarsenSpots,
  csrToDense,
  latticeImageLayout,
  noisePrediction,
  permutedPrediction,
  scoreCoarsen,
  seuratV3Hvg,
  type BenchScores,
  type Coarsening,
  type DenseMatrix,
} from '../../analysis';
import type { Sample } from '../../io/sample';
import type { SuperpixelFeatures } from './features';
import { footprint } from './geometry';
import {
  fitHistex,
  geneValues,
  inferLatent,
  type HistexFit,
  type HistexInput,
  type HistexOptions,
  type RunHooks,
} from './pipeline';

/** seurat_v3 HVGs on the raw counts of the sample's spots, most variable first. */
export function selectGenes(sample: Sample, n: number): number[] {
  return Array.from(seuratV3Hvg(sample.counts, { nTopGenes: n }).ranked);
}

/** Training input from a coarsening: one bag per pseudo-spot, footprint = union of member disks. */
export function pseudoSpotInput(
  sample: Sample,
  c: Coarsening,
  genes: readonly number[],
  features: SuperpixelFeatures,
): HistexInput {
  const G = genes.length;
  const dense = csrToDense(c.counts, { columns: genes });
  const spots = c.pseudoSpots.map((p) => {
    const [col, row] = p.key.split(',').map(Number);
    return {
      x: p.x,
      y: p.y,
      disks: p.members.map((m) => ({ x: sample.spots[m]!.x, y: sample.spots[m]!.y })),
      ...(sample.lattice === 'square' && Number.isInteger(col) && Number.isInteger(row)
        ? { row: row!, col: col! }
        : {}),
    };
  });
  return {
    features,
    spots,
    counts: Float64Array.from(dense.data),
    genes: G,
    spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    lattice: sample.lattice,
  };
}

/** Per original spot (rows of `spots`): mean over its disk's superpixels of the SR values. */
export async function predictAtSpots(
  fit: HistexFit,
  spots: readonly { x: number; y: number }[],
  diameterPx: number,
  hooks: RunHooks = {},
): Promise<DenseMatrix> {
  const f = fit.features;
  const disks = spots.map((s) => footprint(f, [s], diameterPx / 2));
  const all = Int32Array.from(new Set(disks.flat())).sort();
  const latent = await inferLatent(fit, { ...hooks, superpixels: all });
  const G = fit.model.genes;
  const vals = geneValues(
    fit,
    latent,
    Array.from({ length: G }, (_, i) => i),
  );
  const pos = new Map<number, number>();
  latent.index.forEach((sp, i) => pos.set(sp, i));
  const out = new Float64Array(spots.length * G);
  disks.forEach((d, i) => {
    for (const sp of d) {
      const r = pos.get(sp)!;
      for (let g = 0; g < G; g++) out[i * G + g] = out[i * G + g]! + vals[r * G + g]! / d.length;
    }
  });
  return { nRows: spots.length, nCols: G, data: out };
}

export interface CoarsenReport {
  genes: number;
  pseudoSpots: number;
  evaluated: number;
  seconds: number;
  trainSeconds: number;
  epochs: number[];
  finalLoss: number[];
  methods: Record<string, BenchScores>;
}

/** The coarsen protocol for one sample: coarse, noise, histex and histex:permuted (plus `name`). */
export async function runCoarsen(
  sample: Sample,
  features: SuperpixelFeatures,
  o: HistexOptions,
  nGenes: number,
  hooks: RunHooks & { name?: string; seed?: number } = {},
): Promise<CoarsenReport> {
  const t0 = performance.now();
  const name = hooks.name ?? (o.arch === 'istar' ? 'istar' : 'histex');
  const genes = selectGenes(sample, nGenes);
  const c = coarsenSpots(sample.spots, sample.counts, sample.lattice);
  const truth = csrToDense(sample.counts, { columns: genes });
  const ev = Array.from(c.evaluated);
  const T: DenseMatrix = {
    nRows: ev.length,
    nCols: genes.length,
    data: Float64Array.from(
      ev.flatMap((s) => Array.from(truth.data.subarray(s * genes.length, (s + 1) * genes.length))),
    ),
  };
  const layout = latticeImageLayout(
    ev.map((s) => sample.spots[s]!.row!),
    ev.map((s) => sample.spots[s]!.col!),
    sample.lattice === 'hex' ? 'hex' : 'square',
  );
  const input = pseudoSpotInput(sample, c, genes, features);
  const fit = await fitHistex(input, o, hooks);
  const pred = await predictAtSpots(
    fit,
    ev.map((s) => sample.spots[s]!),
    input.spotDiameterPx,
    hooks.signal ? { signal: hooks.signal } : {},
  );
  const coarse = coarseBaseline(c, genes);
  const seed = hooks.seed ?? 0;
  const methods: Record<string, BenchScores> = {
    coarse: scoreCoarsen(T, coarse, layout),
    noise: averageOverDraws(
      seed,
      5,
      (rng) => noisePrediction(coarse, c, rng),
      (p) => scoreCoarsen(T, p, layout),
    ),
    [name]: scoreCoarsen(T, pred, layout),
    [`${name}:permuted`]: averageOverDraws(
      seed,
      20,
      (rng) => permutedPrediction(pred, c, rng),
      (p) => scoreCoarsen(T, p, layout),
    ),
  };
  return {
    genes: genes.length,
    pseudoSpots: c.pseudoSpots.length,
    evaluated: ev.length,
    seconds: (performance.now() - t0) / 1000,
    trainSeconds: fit.seconds,
    epochs: fit.history.map((h) => h.length),
    finalLoss: fit.history.map((h) => h[h.length - 1] ?? NaN),
    methods,
  };
}

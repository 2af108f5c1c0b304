/**
 * The benchmark harness (benchmark.md): protocols `coarsen` and `holdout` on one sample, every
 * requested method run through the SrMethod interface, scored with analysis/metrics, with the
 * controls that tell information from spread.
 *
 * coarsen: genes → pseudo-spots (analysis.coarsenSpots; a Visium HD sample's bins are grouped into
 *   k×k blocks of about `pseudoSpotUm`, see hdBlock) → each method sees only the pseudo-spots
 *   (values = raw count sums, space 'counts') and the image, predicts at the evaluated original
 *   spots → per-gene min-max of truth and prediction over the evaluated spots → RMSE, SSIM (lattice
 *   image), PCC, MAE, MSE. Controls: `<method>:permuted` (20 draws) for every method but `coarse`
 *   (flat inside a pseudo-spot, so its permutation is itself) and `noise` (5 draws).
 * holdout: a seeded 50 % of spots hidden; methods see the rest as log1p(CP10k) (normalised over ALL
 *   genes, as scanpy's normalize_total on the full matrix), predict at every spot; PCC/MSE/MAE on the
 *   values as they are and RMSE/SSIM after min-max, on the hidden spots (`methods`) and on all spots
 *   (`allSpots`, HisToSGE's published way, labelled so).
 *
 * Gene selection (`geneSelection`, see GeneSelection): 'seurat_v3' by default, as benchmark.md step 1
 * mandates; 'log1p-cp10k-variance' reproduces the gene set behind benchmark.md §8's reference numbers.
 */
import type { DenseMatrix } from '../analysis/matrix';
import { csrToDense, selectRows } from '../analysis/matrix';
import { logNormalize, rowSums } from '../analysis/normalise';
import { seuratV3Hvg, topVarianceGenes } from '../analysis/hvg';
import { latticeImageLayout, scoreCoarsen, scoreHoldout, type BenchScores } from '../analysis/metrics';
import {
  averageOverDraws,
  coarseBaseline,
  coarsenSpots,
  holdoutSplit,
  noisePrediction,
  permutedPrediction,
  type Coarsening,
} from '../analysis/protocols';
import { badInput, EngineError, throwIfAborted } from '../errors';
import type { Sample } from '../io/sample';
import { inImageFrame } from './image-frame';
import { noProgress, subProgress, type ProgressFn } from '../jobs/progress';
import { hexAxialFromIndices } from '../analysis/lattice';
import type {
  FeatureProvider,
  LatticeCoord,
  SpotLattice,
  SrInput,
  SrRunOptions,
  SrSpot,
  SrTarget,
} from '../methods/types';
import { outputAtTargets } from '../methods/types';
import { getMethod, listMethods, methodsFor, referenceMethods } from './registry';

export type Protocol = 'coarsen' | 'holdout';
/**
 * 'seurat_v3': benchmark.md step 1 (scanpy seurat_v3 on raw counts), the default.
 * 'log1p-cp10k-variance': top sample variance of log1p(counts normalised to 10⁴ per spot). This is
 *   the set that reproduces benchmark.md §8's reference `coarse` PCC (0.761 on B4/C2/C3; measured
 *   0.7608 here), although §8 calls it "log1p CPM".
 * 'log1p-cpm-variance': the same with counts per million, as §8 literally says (coarse PCC 0.741).
 */
export type GeneSelection = 'seurat_v3' | 'log1p-cp10k-variance' | 'log1p-cpm-variance';
export const GENE_SELECTIONS: readonly GeneSelection[] = [
  'seurat_v3',
  'log1p-cp10k-variance',
  'log1p-cpm-variance',
];

export interface BenchOptions {
  protocol: Protocol;
  /**
   * method names; 'noise' and '<method>:permuted' name controls (added automatically anyway);
   * 'all' = every method in the registry (see ALL_METHODS)
   */
  methods: string[];
  /** number of genes (default 100) */
  genes?: number;
  geneSelection?: GeneSelection;
  seed?: number;
  epochs?: number;
  /**
   * Visium HD truth (coarsen only): bins are grouped into square pseudo-spots of about this size
   * (default 55 µm, a Visium spot: 7×7 bins of 8 µm) and the methods are scored at the bins.
   */
  pseudoSpotUm?: number;
  /** controls in the coarsen protocol (default true) */
  controls?: boolean;
  /**
   * a sample whose only H&E is a scaled copy (hires/lowres) is moved into that image's pixel frame
   * (image-frame.ts) so image methods can run on it; off by default, because at lowres the
   * "histology" is ~10–15 µm/px colour
   */
  scaledImage?: boolean;
  /** per-method options, merged over { seed, epochs } */
  methodOptions?: Record<string, Record<string, unknown>>;
  features?: FeatureProvider;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

export interface MethodScores {
  rmse: number;
  ssim: number;
  pcc: number;
  mae: number;
  mse: number;
  /** wall-clock seconds of predict() and reading its output at the targets (controls: of the draws) */
  seconds: number;
  /** genes that entered the PCC mean (constant genes are skipped) */
  pccGenes: number;
}

export interface BenchResult {
  protocol: Protocol;
  dataset: string;
  genes: number;
  geneSelection: GeneSelection;
  geneNames: string[];
  seed: number;
  lattice: SpotLattice;
  /** spots in the sample, spots the methods saw, spots scored */
  spots: number;
  inputSpots: number;
  evaluatedSpots: number;
  /** coarsen on Visium HD bins: the truth's bin size and the pseudo-spot blocks built from it */
  truth?: HdTruth;
  /** holdout: scores on the hidden spots; coarsen: on the evaluated original spots */
  methods: Record<string, MethodScores>;
  /** holdout only: scores over ALL spots, hidden and training (HisToSGE's published way) */
  allSpots?: Record<string, MethodScores>;
  notes: string[];
}

/** Genes by the chosen rule, most variable first (indices into the sample's genes). */
export function selectGenes(sample: Sample, n: number, rule: GeneSelection): Uint32Array {
  if (!(n >= 1) || !Number.isInteger(n)) throw badInput(`--genes must be a positive integer, got ${n}`);
  if (rule === 'seurat_v3') return seuratV3Hvg(sample.counts, { nTopGenes: n }).ranked;
  if (rule === 'log1p-cp10k-variance') return topVarianceGenes(sample.counts, n, { targetSum: 1e4 });
  if (rule === 'log1p-cpm-variance') return topVarianceGenes(sample.counts, n, { targetSum: 1e6 });
  throw badInput(`Unknown gene selection "${String(rule)}". Use one of: ${GENE_SELECTIONS.join(', ')}.`);
}

export interface HdTruth {
  platform: 'visium-hd';
  /** bin side in µm (the truth's resolution; 8 for Space Ranger's default square_008um) */
  binUm: number;
  /** bins per pseudo-spot side */
  block: number;
  /** pseudo-spot side in µm (block × binUm) */
  pseudoSpotUm: number;
}

/** Visium-sized pseudo-spots by default: a Visium spot is 55 µm across. */
export const DEFAULT_HD_PSEUDO_SPOT_UM = 55;

/**
 * The coarsening of a Visium HD sample: its bins (square lattice, array_row/col = bin indices) are
 * the truth; k×k blocks with k = round(pseudoSpotUm / bin) are the pseudo-spots. Other samples keep
 * the spec's 2×2 (square) or 7-spot hexagons, and `pseudoSpotUm` is refused for them.
 */
export function hdBlock(sample: Sample, pseudoSpotUm: number | undefined): HdTruth | undefined {
  if (sample.platform !== 'visium-hd') {
    if (pseudoSpotUm !== undefined)
      throw badInput(
        `--pseudo-spot-um applies to Visium HD bins; ${sample.name} is ${sample.platform} (its pseudo-spots follow benchmark.md step 2).`,
      );
    return undefined;
  }
  const want = pseudoSpotUm ?? DEFAULT_HD_PSEUDO_SPOT_UM;
  const binUm = sample.spotDiameterUm;
  if (!(want > 0) || !(binUm > 0)) throw badInput(`Pseudo-spot size must be > 0 µm, got ${want}.`);
  const block = Math.round(want / binUm);
  if (block < 2)
    throw badInput(
      `A ${want} µm pseudo-spot is less than 2 bins of ${binUm} µm; pick a larger --pseudo-spot-um.`,
    );
  return { platform: 'visium-hd', binUm, block, pseudoSpotUm: block * binUm };
}

/**
 * The disk that stands for a spot's footprint in SrInput. A Visium HD bin is a square, and the
 * interface only knows disks: the bin's inscribed disk (diameter = side) leaves its corners out, so
 * on an 8 µm superpixel grid offset from the bins a superpixel centred in a corner belongs to no
 * footprint, and a method that masks its map by the footprints leaves it empty — the bin it is
 * read at then has no value. The circumscribed disk (side·√2) covers the whole square; reading a
 * target averages the 1–4 superpixels whose centres lie within side/√2 of the bin centre.
 */
function footprintDiameterPx(sample: Sample, hd: HdTruth | undefined): number {
  return (hd ? hd.binUm * Math.SQRT2 : sample.spotDiameterUm) / sample.umPerPx;
}

function checkLattice(sample: Sample): SpotLattice {
  if (sample.lattice === 'none')
    throw badInput(
      `${sample.name} has no spot lattice; the benchmark protocols need square or hexagonal spots.`,
    );
  for (const s of sample.spots)
    if (s.row === undefined || s.col === undefined)
      throw badInput(
        `${sample.name}: spot ${s.id} has no array row/col; the protocols work on lattice indices.`,
      );
  return sample.lattice;
}

/**
 * Canonical lattice coordinates of the pseudo-spots and of the original spots in the pseudo-spot
 * frame. Square with k×k blocks: pseudo (⌊col/k⌋, ⌊row/k⌋), original ((col − (k−1)/2)/k,
 * (row − (k−1)/2)/k) (a full block's centre is the pseudo node; k = 2 gives (col − ½)/2). Hex: the 7-spot centres form the index-7 sub-lattice spanned by axial
 * E1 = (1, 2), E2 = (−2, 3) (both of hexagonal norm √7, 60° apart, E1 − E2 = (3, −1)); coordinates in
 * that basis are M·(q, r) with M = [[3, 2], [−2, 1]] / 7, integers at the centres.
 */
function coarsenFrames(
  sample: Sample,
  c: Coarsening,
  k: number,
): { pseudo: LatticeCoord[]; original: LatticeCoord[] } {
  const spots = sample.spots;
  if (sample.lattice === 'square') {
    const h = (k - 1) / 2;
    return {
      pseudo: c.pseudoSpots.map((p) => {
        const [a, b] = p.key.split(',').map(Number) as [number, number];
        return { a, b };
      }),
      original: spots.map((s) => ({ a: (s.col! - h) / k, b: (s.row! - h) / k })),
    };
  }
  const M = (q: number, r: number): LatticeCoord => ({ a: (3 * q + 2 * r) / 7, b: (-2 * q + r) / 7 });
  const pseudo = c.pseudoSpots.map((p) => {
    const [u, v] = p.key.split(',').map(Number) as [number, number];
    return M((u - v) / 2, v);
  });
  const original = hexAxialFromIndices(spots).map((ax) => M(ax.a, ax.b));
  // The keys come from analysis/protocols' own index conversion; ours must agree with it, or the
  // frames would silently disagree. Every member lies within 3/7 of its centre in each coordinate.
  c.pseudoSpots.forEach((p, k) => {
    for (const i of p.members) {
      const o = original[i]!;
      if (Math.round(o.a) !== pseudo[k]!.a || Math.round(o.b) !== pseudo[k]!.b)
        throw new EngineError('INTERNAL', `hex frames disagree for spot ${spots[i]!.id}`);
    }
  });
  return { pseudo, original };
}

interface Prepared {
  input: SrInput;
  truth: DenseMatrix;
  /** scoring: rows of the target matrix that are scored, and their layout */
  score: (pred: DenseMatrix) => BenchScores;
  scoreAll?: (pred: DenseMatrix) => BenchScores;
  coarsening?: Coarsening;
  geneIdx: Uint32Array;
}

function prepareCoarsen(
  sample: Sample,
  geneIdx: Uint32Array,
  geneNames: string[],
  hd: HdTruth | undefined,
): Prepared {
  const lattice = checkLattice(sample);
  const block = hd?.block ?? 2;
  const c = coarsenSpots(sample.spots, sample.counts, lattice, { block });
  if (c.pseudoSpots.length < 3)
    throw badInput(`${sample.name}: only ${c.pseudoSpots.length} pseudo-spots; too small to benchmark.`);
  const frames = coarsenFrames(sample, c, block);
  const pseudoCounts = csrToDense(c.counts, { columns: geneIdx });
  const totals = rowSums(c.counts);
  const spots: SrSpot[] = c.pseudoSpots.map((p, k) => ({
    x: p.x,
    y: p.y,
    lattice: frames.pseudo[k]!,
    members: p.members.map((i) => ({ x: sample.spots[i]!.x, y: sample.spots[i]!.y })),
  }));
  const targets: SrTarget[] = Array.from(c.evaluated, (i) => {
    const s = sample.spots[i]!;
    return { x: s.x, y: s.y, row: s.row!, col: s.col!, lattice: frames.original[i]! };
  });
  const truth = selectRows(csrToDense(sample.counts, { columns: geneIdx }), c.evaluated);
  const layout = latticeImageLayout(
    Array.from(c.evaluated, (i) => sample.spots[i]!.row!),
    Array.from(c.evaluated, (i) => sample.spots[i]!.col!),
    lattice,
  );
  const input: SrInput = {
    sample: sample.name,
    genes: geneNames,
    spots,
    values: pseudoCounts,
    space: 'counts',
    counts: pseudoCounts,
    totalCounts: totals,
    lattice,
    spotDiameterPx: footprintDiameterPx(sample, hd),
    umPerPx: sample.umPerPx,
    targets,
  };
  const image = fullResImage(sample);
  if (image) input.image = { path: image.path, width: image.width, height: image.height };
  return { input, truth, score: (p) => scoreCoarsen(truth, p, layout), coarsening: c, geneIdx };
}

function prepareHoldout(sample: Sample, geneIdx: Uint32Array, geneNames: string[], seed: number): Prepared {
  const lattice = checkLattice(sample);
  const n = sample.spots.length;
  const { train, test } = holdoutSplit(n, seed, 0.5);
  // One frame for all spots, so training spots and targets share coordinates.
  const coords: LatticeCoord[] =
    lattice === 'square'
      ? sample.spots.map((s) => ({ a: s.col!, b: s.row! }))
      : hexAxialFromIndices(sample.spots);
  const logv = csrToDense(logNormalize(sample.counts, 1e4), { columns: geneIdx });
  const raw = csrToDense(sample.counts, { columns: geneIdx });
  const totals = rowSums(sample.counts);
  const spots: SrSpot[] = Array.from(train, (i) => {
    const s = sample.spots[i]!;
    return { x: s.x, y: s.y, row: s.row!, col: s.col!, lattice: coords[i]!, members: [{ x: s.x, y: s.y }] };
  });
  const targets: SrTarget[] = sample.spots.map((s, i) => ({
    x: s.x,
    y: s.y,
    row: s.row!,
    col: s.col!,
    lattice: coords[i]!,
  }));
  const input: SrInput = {
    sample: sample.name,
    genes: geneNames,
    spots,
    values: selectRows(logv, train),
    space: 'log1p-cp10k',
    counts: selectRows(raw, train),
    totalCounts: Float64Array.from(train, (i) => totals[i]!),
    lattice,
    spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    umPerPx: sample.umPerPx,
    targets,
  };
  const image = fullResImage(sample);
  if (image) input.image = { path: image.path, width: image.width, height: image.height };
  const rows = sample.spots.map((s) => s.row!);
  const cols = sample.spots.map((s) => s.col!);
  const layoutTest = latticeImageLayout(
    Array.from(test, (i) => rows[i]!),
    Array.from(test, (i) => cols[i]!),
    lattice,
  );
  const layoutAll = latticeImageLayout(rows, cols, lattice);
  const truthTest = selectRows(logv, test);
  return {
    input,
    truth: logv,
    score: (p) => scoreHoldout(truthTest, selectRows(p, test), layoutTest),
    scoreAll: (p) => scoreHoldout(logv, p, layoutAll),
    geneIdx,
  };
}

const toScores = (s: BenchScores, seconds: number): MethodScores => ({
  rmse: s.rmse,
  ssim: s.ssim,
  pcc: s.pcc,
  mae: s.mae,
  mse: s.mse,
  seconds,
  pccGenes: s.pccGenes,
});

/** Splits a method list into real methods and requested controls; unknown names are a clear error. */
export function parseMethodList(names: readonly string[]): { methods: string[]; controls: string[] } {
  const methods: string[] = [];
  const controls: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (!name) continue;
    if (name === 'noise' || name.endsWith(':permuted')) {
      const base = name.endsWith(':permuted') ? name.slice(0, -':permuted'.length) : null;
      if (base !== null && !getMethod(base))
        throw badInput(`Unknown method "${base}" in "${name}". Available: ${listMethods().join(', ')}.`);
      if (!controls.includes(name)) controls.push(name);
      continue;
    }
    if (!getMethod(name))
      throw badInput(
        `Unknown method "${name}". Available: ${listMethods().join(', ')} (controls: noise, <method>:permuted).`,
      );
    if (!methods.includes(name)) methods.push(name);
  }
  return { methods, controls };
}

/**
 * The image methods get: SrInput.image is the full-resolution H&E (positions are full-res px), so a
 * Space Ranger hires/lowres PNG (scaleToFullRes ≠ 1) is not handed over — methods would read it at
 * the wrong place. Space Ranger outs (Visium HD included) ship only those: pass the slide with
 * --image.
 */
function fullResImage(sample: Sample): Sample['image'] {
  const im = sample.image;
  return im && Math.abs(im.scaleToFullRes - 1) < 1e-9 ? im : undefined;
}

function noImageReason(sample: Sample): string {
  return sample.image
    ? `${sample.name} has only a scaled copy of it (${sample.image.scaleToFullRes.toFixed(3)} full-res px per image px)`
    : `${sample.name} has none`;
}

/**
 * In a method list: every method of the registry that accepts the protocol (entry.benchProtocols),
 * those needing an image only when the sample has the full-resolution slide.
 */
export const ALL_METHODS = 'all';

export function expandAll(
  names: readonly string[],
  sample: Sample,
  protocol: Protocol,
  notes: string[],
): string[] {
  if (!names.includes(ALL_METHODS)) return [...names];
  const all = methodsFor(protocol).filter((m) => {
    const keep = !getMethod(m)!.needsImage || fullResImage(sample) !== undefined;
    if (!keep)
      notes.push(`${m} left out of "${ALL_METHODS}": it needs the H&E image and ${noImageReason(sample)}`);
    return keep;
  });
  return [...all, ...names.filter((n) => n !== ALL_METHODS)];
}

export async function runBench(given: Sample, options: BenchOptions): Promise<BenchResult> {
  const progress = options.progress ?? noProgress;
  const seed = options.seed ?? 0;
  const nGenes = options.genes ?? 100;
  const rule = options.geneSelection ?? 'seurat_v3';
  const notes: string[] = [];
  const framed = options.scaledImage ? inImageFrame(given) : { sample: given };
  const sample = framed.sample;
  if (framed.note) notes.push(framed.note);
  const { methods, controls: askedControls } = parseMethodList(
    expandAll(options.methods, sample, options.protocol, notes),
  );
  if (options.protocol === 'coarsen') {
    // benchmark.md step 5: the reference baselines are always in the table.
    for (const must of referenceMethods())
      if (!methods.includes(must)) {
        methods.unshift(must);
        notes.push(`${must} added: benchmark.md requires it in every coarsen table`);
      }
  }
  for (const m of methods)
    if (getMethod(m)!.needsImage && !fullResImage(sample))
      throw badInput(`${m} needs the H&E image, and ${noImageReason(sample)}.`, {
        hint: 'Pass the full-resolution H&E with --image, read the scaled copy with --scaled-image, or leave this method out.',
      });
  if (options.protocol === 'holdout' && options.pseudoSpotUm !== undefined)
    throw badInput('--pseudo-spot-um belongs to the coarsen protocol (holdout hides whole bins).');
  const hd = options.protocol === 'coarsen' ? hdBlock(sample, options.pseudoSpotUm) : undefined;
  if (hd)
    notes.push(
      `Visium HD truth: ${hd.binUm} µm bins, pseudo-spots of ${hd.block}×${hd.block} bins (${hd.pseudoSpotUm} µm), scored at the bins`,
    );
  progress({ fraction: 0, message: `selecting ${nGenes} genes (${rule})` });
  const geneIdx = selectGenes(sample, nGenes, rule);
  const geneNames = Array.from(geneIdx, (j) => sample.genes[j]!.symbol);
  throwIfAborted(options.signal);
  const prep =
    options.protocol === 'coarsen'
      ? prepareCoarsen(sample, geneIdx, geneNames, hd)
      : prepareHoldout(sample, geneIdx, geneNames, seed);
  if (options.features) prep.input.features = options.features;
  const controlsOn = options.protocol === 'coarsen' && (options.controls ?? true);
  if (options.protocol === 'holdout' && askedControls.length > 0)
    notes.push('controls are defined for the coarsen protocol only; ignored in holdout');
  const result: BenchResult = {
    protocol: options.protocol,
    dataset: sample.name,
    genes: geneIdx.length,
    geneSelection: rule,
    geneNames,
    seed,
    lattice: prep.input.lattice,
    spots: sample.spots.length,
    inputSpots: prep.input.spots.length,
    evaluatedSpots:
      options.protocol === 'coarsen' ? prep.input.targets.length : Math.floor(sample.spots.length * 0.5),
    methods: {},
    notes,
  };
  if (hd) result.truth = hd;
  if (options.protocol === 'holdout') result.allSpots = {};
  const nSteps = methods.length + 1;
  for (let k = 0; k < methods.length; k++) {
    const name = methods[k]!;
    const m = getMethod(name)!;
    const sub = subProgress(progress, k / nSteps, (k + 1) / nSteps);
    sub({ fraction: 0, message: `${name}: predicting` });
    const runOpts: SrRunOptions = { seed, ...(options.methodOptions?.[name] ?? {}) };
    if (options.epochs !== undefined) runOpts.epochs = options.epochs;
    const t0 = performance.now();
    const out = await m.predict(prep.input, runOpts, sub, options.signal);
    const pred = outputAtTargets(out, prep.input);
    const seconds = (performance.now() - t0) / 1000;
    let bad = 0;
    for (let q = 0; q < pred.data.length; q++) if (!Number.isFinite(pred.data[q]!)) bad++;
    if (bad > 0)
      throw new EngineError(
        'INTERNAL',
        `${name} returned ${bad} non-finite values at the targets (of ${pred.data.length}).`,
      );
    result.methods[name] = toScores(prep.score(pred), seconds);
    if (prep.scoreAll) result.allSpots![name] = toScores(prep.scoreAll(pred), seconds);
    if (controlsOn && prep.coarsening && (name !== 'coarse' || askedControls.includes('coarse:permuted'))) {
      const t1 = performance.now();
      const c = prep.coarsening;
      const s = averageOverDraws(seed, 20, (rng) => permutedPrediction(pred, c, rng), prep.score);
      result.methods[`${name}:permuted`] = toScores(s, (performance.now() - t1) / 1000);
    }
    throwIfAborted(options.signal);
  }
  if (controlsOn && prep.coarsening) {
    const t1 = performance.now();
    const c = prep.coarsening;
    const coarse = coarseBaseline(c, prep.geneIdx);
    const s = averageOverDraws(seed, 5, (rng) => noisePrediction(coarse, c, rng), prep.score);
    result.methods['noise'] = toScores(s, (performance.now() - t1) / 1000);
  }
  progress({ fraction: 1, message: 'done' });
  return result;
}

/**
 * The generic way a method runs on a project sample when its entry has no `run` of its own: the
 * sample's spots become an SrInput (as the benchmark builds one, but with every spot measured),
 * the method's `predict` answers, and the answer is stored — a superpixel map as its present
 * superpixels and values, a spot answer at the points of a `fold`× denser lattice on tissue as a
 * spot set. A plugin method needs nothing more than `predict` to appear in the app.
 */
import { csrToDense } from '../analysis/matrix';
import { logNormalize, rowSums } from '../analysis/normalise';
import { seuratV3Hvg } from '../analysis/hvg';
import { generatePositions, latticeCoordsOf } from '../analysis/lattice';
import { badInput, throwIfAborted } from '../errors';
import { openSlide, tissueMask } from '../slide';
import type { ImageMask } from '../features/geometry';
import { sampleImageInputs } from '../features/project';
import { subProgress } from '../jobs/progress';
import type { Project } from '../store/project';
import type { MethodEntry, RunOutcome, SampleRunContext } from './entry';
import { storeSpotSet, storeSuperpixelMap } from './run-store';
import type { SrInput } from './types';

/**
 * Is a full-res point on tissue? The import's stored mask when there is one (every import with an
 * image stores it), else the slide's mask computed now.
 */
export async function tissueTest(
  project: Project,
  sampleId: number,
  image: { path: string; scaleToFullRes: number },
  signal: AbortSignal,
): Promise<(x: number, y: number) => boolean> {
  const inputs = sampleImageInputs(project, sampleId);
  let m: ImageMask | undefined = inputs.mask;
  if (!m) {
    const slide = await openSlide(image.path, { umPerPx: inputs.imageUmPerPx });
    try {
      m = await tissueMask(slide, {}, signal);
    } finally {
      await slide.close();
    }
  }
  const mask = m;
  // full-res px → image px (scaleToFullRes) → mask px (scaleX/Y)
  const k = image.scaleToFullRes;
  return (x, y) => {
    const i = Math.floor(y / k / mask.scaleY);
    const j = Math.floor(x / k / mask.scaleX);
    return i >= 0 && j >= 0 && i < mask.height && j < mask.width && mask.data[i * mask.width + j] === 1;
  };
}

const numberOption = (options: Record<string, unknown>, key: string, fallback: number): number => {
  const v = options[key];
  return typeof v === 'number' ? v : fallback;
};

export async function runThroughPredict(
  entry: MethodEntry,
  ctx: SampleRunContext,
  options: Record<string, unknown>,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const { project, sample } = ctx;
  if (!entry.predict) throw badInput(`${entry.label} cannot run on a project sample (it has no predict).`);
  if (sample.lattice === 'none')
    throw badInput(`${sample.name} has no spot lattice: ${entry.label} runs on spot data only.`);
  const image =
    sample.image && sample.image.scaleToFullRes === 1
      ? { path: sample.image.path, width: sample.image.width, height: sample.image.height }
      : undefined;
  if (entry.needs.image && !image)
    throw badInput(`${entry.label} needs the full-resolution H&E, and ${sample.name} has none.`);
  const nGenes = numberOption(options, 'genes', 100);
  const hvg = Array.from(seuratV3Hvg(sample.counts, { nTopGenes: nGenes }).ranked);
  const genes = [...hvg, ...ctx.include.filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g))];
  const coords = latticeCoordsOf(sample.spots, sample.lattice).coords;
  const spots = sample.spots.map((s, i) => ({
    x: s.x,
    y: s.y,
    ...(s.row !== undefined && s.col !== undefined ? { row: s.row, col: s.col } : {}),
    lattice: coords[i]!,
    members: [{ x: s.x, y: s.y }],
  }));
  const counts = csrToDense(sample.counts, { columns: genes });
  // superpixel maps are read in counts (the coarsen protocol's space), spot sets in log1p CP10k
  const space = entry.kind === 'superpixels' ? ('counts' as const) : ('log1p-cp10k' as const);
  const values =
    space === 'counts' ? counts : csrToDense(logNormalize(sample.counts, 1e4), { columns: genes });
  const fold = numberOption(options, 'fold', 4);
  const dense =
    entry.kind === 'spots'
      ? generatePositions(
          spots.map((s) => ({ x: s.x, y: s.y, a: s.lattice.a, b: s.lattice.b })),
          sample.lattice,
          fold,
          sample.image ? await tissueTest(project, ctx.sampleId, sample.image, ctx.signal) : () => true,
        )
      : null;
  throwIfAborted(ctx.signal);
  const input: SrInput = {
    sample: sample.name,
    genes: genes.map((g) => sample.genes[g]!.symbol),
    spots,
    values,
    space,
    counts,
    totalCounts: rowSums(sample.counts),
    lattice: sample.lattice,
    spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    umPerPx: sample.umPerPx,
    ...(image ? { image } : {}),
    targets: dense ? dense.map((s) => ({ x: s.x, y: s.y, lattice: { a: s.a, b: s.b } })) : spots,
  };
  const out = await entry.predict(
    input,
    { seed: numberOption(options, 'seed', 0), ...options },
    subProgress(ctx.progress, 0.02, 0.95),
    ctx.signal,
  );
  const identity = {
    sampleId: ctx.sampleId,
    method: entry.id,
    label: entry.label,
    params: { ...options, include: [...ctx.include] },
    genes,
    losses: [],
  };
  const folder = `${entry.id}-job-${ctx.task.jobId}`;
  const seconds = () => (performance.now() - t0) / 1000;
  const symbols = genes.map((g) => sample.genes[g]!.symbol);
  if (out.kind === 'superpixel') {
    if (entry.kind !== 'superpixels')
      throw badInput(`${entry.label} is registered as a spot method but answered a superpixel map.`);
    const { runId, superpixels } = storeSuperpixelMap(project, folder, { ...identity, map: out });
    return {
      runId,
      genes: symbols,
      seconds: seconds(),
      summary: `${genes.length} genes over ${superpixels} superpixels in ${seconds().toFixed(0)} s`,
      details: { superpixels },
    };
  }
  if (!dense) throw badInput(`${entry.label} is registered as a superpixel method but answered spots.`);
  if (out.values.nRows !== dense.length || out.values.nCols !== genes.length)
    throw badInput(
      `${entry.label} answered ${out.values.nRows}×${out.values.nCols}, expected ${dense.length} spots × ${genes.length} genes.`,
    );
  const { runId } = storeSpotSet(project, folder, {
    ...identity,
    fold,
    spotDiameterUm: sample.spotDiameterUm / Math.sqrt(fold),
    spots: dense,
    values: Float32Array.from(out.values.data),
  });
  const measured = dense.filter((s) => s.measured).length;
  return {
    runId,
    genes: symbols,
    seconds: seconds(),
    summary: `${fold}×: ${dense.length - measured} new spots beside ${measured} measured, ${genes.length} genes, ${seconds().toFixed(0)} s`,
    details: { fold, measured, generated: dense.length - measured },
  };
}

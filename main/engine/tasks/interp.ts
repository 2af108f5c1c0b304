/**
 * Job task `sr.interp`: the interpolation baseline as a stored spot set, the reference users put
 * next to HisToSGE. The same `fold`× denser lattice points on tissue as HisToSGE (measured spots
 * plus new points whose parents were all measured), each new point the parents' weighted mean of
 * log1p CP10k with the weights it was placed by (bilinear on square lattices, barycentric on
 * hexagonal ones; at fold 4 these are HISTEX's midpoints and cell centres, methods.md §3.1).
 * No training, no histology: the tissue mask only decides which points are kept.
 */
import { csrToDense } from '../analysis/matrix';
import { logNormalize } from '../analysis/normalise';
import { seuratV3Hvg } from '../analysis/hvg';
import { badInput, throwIfAborted } from '../errors';
import type { TaskContext } from '../jobs/task';
import { latticeCoordsOf } from '../methods/baselines/lattice';
import { generatePositions } from '../methods/histosge/lattice';
import { openSlide, tissueMask } from '../slide';
import type { ImageMask } from '../features/geometry';
import { sampleImageInputs } from '../features/project';
import { openProject, type Project } from '../store/project';
import { loadSample } from '../store/sample-store';
import { storeSpotSet } from './spot-set';

export interface InterpParams {
  sampleId: number;
  /** top-N seurat_v3 genes (default 100) */
  genes?: number;
  /** density multiple, as HisToSGE's (default 4) */
  fold?: number;
  /** extra gene indices besides the highly variable ones */
  include?: number[];
}

export interface InterpResult {
  runId: number;
  genes: string[];
  fold: number;
  measured: number;
  generated: number;
  seconds: number;
}

/**
 * Is a full-res point on tissue? The import's stored mask when there is one (every import with an
 * image stores it), else the slide's mask computed now.
 */
async function tissueTest(
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

export async function run(p: InterpParams, ctx: TaskContext): Promise<InterpResult> {
  const t0 = performance.now();
  const project = openProject(ctx.projectDir);
  try {
    const sample = loadSample(project, p.sampleId);
    if (sample.lattice === 'none') throw badInput(`${sample.name} has no spot lattice to interpolate on.`);
    ctx.progress({ fraction: 0.05, message: 'Tissue mask' });
    const onTissue = sample.image
      ? await tissueTest(project, p.sampleId, sample.image, ctx.signal)
      : () => true;
    throwIfAborted(ctx.signal);
    const hvg = Array.from(seuratV3Hvg(sample.counts, { nTopGenes: p.genes ?? 100 }).ranked);
    const idx = [
      ...hvg,
      ...(p.include ?? []).filter((g) => g >= 0 && g < sample.genes.length && !hvg.includes(g)),
    ];
    const G = idx.length;
    const measuredValues = csrToDense(logNormalize(sample.counts, 1e4), { columns: idx }).data;
    const coords = latticeCoordsOf(sample.spots, sample.lattice).coords;
    const fold = p.fold ?? 4;
    const spots = generatePositions(
      sample.spots.map((s, i) => ({ x: s.x, y: s.y, a: coords[i]!.a, b: coords[i]!.b })),
      sample.lattice,
      fold,
      onTissue,
    );
    const values = new Float32Array(spots.length * G);
    spots.forEach((s, r) =>
      s.parents.forEach((parent, q) => {
        const w = s.weights[q]!;
        for (let g = 0; g < G; g++) values[r * G + g]! += w * measuredValues[parent * G + g]!;
      }),
    );
    const { runId } = storeSpotSet(project, `interp-job-${ctx.jobId}`, {
      sampleId: p.sampleId,
      method: 'interp',
      params: { ...p },
      genes: idx,
      fold,
      losses: [],
      spotDiameterUm: sample.spotDiameterUm / Math.sqrt(fold),
      spots,
      values,
    });
    ctx.progress({ fraction: 1, message: `${spots.length} spots (${fold}×)` });
    return {
      runId,
      genes: idx.map((j) => sample.genes[j]!.symbol),
      fold,
      measured: spots.filter((s) => s.measured).length,
      generated: spots.filter((s) => !s.measured).length,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    project.close();
  }
}

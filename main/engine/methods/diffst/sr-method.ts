/**
 * Diff-ST as an SrMethod (benchmark harness and app). It sees only the measured (pseudo-)spots and
 * the H&E: it learns a 2× step from their own coarsening, applies it to them and returns the 2×
 * map on a grid of one superpixel per 2× node (read at the targets like any superpixel map), with
 * the per-node SD over the K samples as `uncertainty`.
 */
import { badInput } from '../../errors';
import { subProgress } from '../../jobs/progress';
import type { SrInput, SrMethod, SrRunOptions, SuperpixelOutput } from '../types';
import { slideReader } from './image-input';
import { fitDiffst, imagePixelSizes, sampleDiffst, type DiffstFit, type SampledMap } from './pipeline';
import { spotFootprints, type Footprints } from './footprint';
import { RESIDUAL_TARGETS } from './residual-base';
import { DIFFST_PRESETS, isPresetName, type DiffstPreset } from './presets';
import {
  medianNearestDistance,
  pixelAt,
  pixelCentre,
  rasteriseLattice,
  rasteriseSpots,
  type SpotRaster,
} from './raster';

/** The viewer's one-line explanation of the uncertainty layer. */
export const UNCERTAINTY_LABEL =
  "SD of the K Diff-ST samples per superpixel, in the map's units: high where the samples disagree (it tracks the error)";

/** A superpixel map plus its per-superpixel SD over the samples. */
export interface DiffstOutput extends SuperpixelOutput {
  /** SD over the K samples, same layout as values */
  uncertainty: Float32Array;
  uncertaintyLabel: string;
  samples: number;
  /** chains averaged into the map (≥ samples) */
  meanSamples: number;
  steps: number;
  fit: { updates: number; trainingRows: number; seconds: number; finalLoss: number; image: string };
}

/** The preset named in the options, with numeric overrides. */
export function presetFrom(o: SrRunOptions): DiffstPreset {
  // `model` in the registry's options (its presets set it), `preset` for direct callers
  const name = o['model'] ?? o['preset'] ?? 'default';
  if (!isPresetName(name))
    throw badInput(
      `Unknown Diff-ST preset "${String(name)}". Use one of: ${Object.keys(DIFFST_PRESETS).join(', ')}.`,
    );
  const p: DiffstPreset = { ...DIFFST_PRESETS[name] };
  const num = (k: string) => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw badInput(`Diff-ST ${k} must be a positive number.`);
    return v;
  };
  const steps = num('steps');
  if (steps !== undefined) p.sampleSteps = Math.round(steps);
  const samples = num('samples');
  if (samples !== undefined) p.samples = Math.round(samples);
  const meanSamples = num('meanSamples');
  if (meanSamples !== undefined) p.meanSamples = Math.round(meanSamples);
  const updates = num('updates');
  if (updates !== undefined) p.updates = Math.round(updates);
  const target = o['target'];
  if (target !== undefined) {
    const known = RESIDUAL_TARGETS.find((t) => t === target);
    if (!known) throw badInput(`Diff-ST target must be one of ${RESIDUAL_TARGETS.join(', ')}.`);
    p.target = known;
  }
  const image = o['image'];
  if (image !== undefined) {
    if (typeof image !== 'string')
      throw badInput('Diff-ST image must be "rgb" or a feature reading such as "builtin:16".');
    p.image = image;
  }
  return p;
}

/** The (pseudo-)spots as a raster, values per member. */
export function inputRaster(input: SrInput): SpotRaster {
  const G = input.genes.length;
  const n = input.spots.length;
  const per = new Float32Array(n * G);
  input.spots.forEach((s, i) => {
    const div = input.space === 'counts' ? Math.max(1, s.members.length) : 1;
    for (let g = 0; g < G; g++) per[i * G + g] = input.values.data[i * G + g]! / div;
  });
  const xs = input.spots.map((s) => s.x);
  const ys = input.spots.map((s) => s.y);
  // Lattice coordinates when the caller has them (the harness always does), else array indices on
  // a square lattice, else positions snapped to a square raster of the nearest-neighbour pitch.
  const lat = input.spots.map(
    (s) =>
      s.lattice ??
      (input.lattice === 'square' && s.row !== undefined && s.col !== undefined
        ? { a: s.col, b: s.row }
        : null),
  );
  if (lat.every((l) => l !== null))
    return rasteriseLattice(
      lat.map((l) => l!.a),
      lat.map((l) => l!.b),
      xs,
      ys,
      per,
      G,
    );
  return rasteriseSpots(xs, ys, per, G, medianNearestDistance(xs, ys));
}

/**
 * The sampled 2× map as a superpixel output: a grid of superpixels `fraction` of the 2× pitch
 * over the map's extent (and the spots' footprints). A superpixel inside a measured spot's
 * footprint takes the nearest of that spot's own 2× children (footprint.ts says why the lattice
 * alone is not enough); one outside every footprint takes the 2× node nearest to its centre (in
 * lattice space, so rotated or sheared lattices are read right), and is absent if that node is
 * unmeasured. Without `footprints` only the second rule applies.
 */
export function toOutput(
  m: SampledMap,
  fit: DiffstFit,
  footprints?: Footprints,
  fraction = 0.25,
): DiffstOutput {
  const size = m.pitch * fraction;
  const corners = [
    pixelCentre(m.affine, -0.5, -0.5),
    pixelCentre(m.affine, -0.5, m.width - 0.5),
    pixelCentre(m.affine, m.height - 0.5, -0.5),
    pixelCentre(m.affine, m.height - 0.5, m.width - 0.5),
  ];
  const fb = footprints?.bounds;
  const x0 = Math.min(...corners.map((c) => c.x), fb?.x0 ?? Infinity);
  const y0 = Math.min(...corners.map((c) => c.y), fb?.y0 ?? Infinity);
  const width = Math.ceil((Math.max(...corners.map((c) => c.x), fb?.x1 ?? -Infinity) - x0) / size);
  const height = Math.ceil((Math.max(...corners.map((c) => c.y), fb?.y1 ?? -Infinity) - y0) / size);
  const parentWidth = m.width / 2;
  const G = m.genes;
  const values = new Float32Array(width * height * G);
  const sd = new Float32Array(width * height * G);
  const present = new Uint8Array(width * height);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) {
      const x = x0 + (c + 0.5) * size;
      const y = y0 + (r + 0.5) * size;
      const parent = footprints ? footprints.ownerAt(x, y) : -1;
      let node = -1;
      if (parent >= 0) node = nearestChild(m, Math.floor(parent / parentWidth), parent % parentWidth, x, y);
      else {
        const at = pixelAt(m.affine, x, y);
        const i = Math.round(at.i);
        const j = Math.round(at.j);
        if (i >= 0 && j >= 0 && i < m.height && j < m.width) node = i * m.width + j;
      }
      if (node < 0 || !m.present[node]) continue;
      const q = r * width + c;
      present[q] = 1;
      values.set(m.mean.subarray(node * G, (node + 1) * G), q * G);
      sd.set(m.sd.subarray(node * G, (node + 1) * G), q * G);
    }
  return {
    kind: 'superpixel',
    grid: { originX: x0, originY: y0, sizePx: size, width, height },
    nGenes: G,
    values,
    present,
    uncertainty: sd,
    uncertaintyLabel: UNCERTAINTY_LABEL,
    samples: m.samples,
    meanSamples: m.meanSamples,
    steps: m.steps,
    fit: {
      updates: fit.train.steps,
      trainingRows: fit.trainingRows,
      seconds: fit.seconds,
      finalLoss: fit.train.history.at(-1)?.trainLoss ?? NaN,
      image: fit.preset.image,
    },
  };
}

/** The child (2I + a, 2J + b) of parent (I, J) whose centre is nearest to (x, y). */
function nearestChild(m: SampledMap, I: number, J: number, x: number, y: number): number {
  let best = Infinity;
  let node = -1;
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 2; b++) {
      const p = pixelCentre(m.affine, 2 * I + a, 2 * J + b);
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < best) {
        best = d;
        node = (2 * I + a) * m.width + 2 * J + b;
      }
    }
  return node;
}

/** The input spots' footprints, each standing for its pixel of R. */
export function inputFootprints(input: SrInput, R: SpotRaster): Footprints {
  if (!R.spotPixel) throw new RangeError('the raster does not record its spots');
  return spotFootprints(input.spots, R.spotPixel, input.spotDiameterPx);
}

export const diffstMethod: SrMethod = {
  name: 'diffst',
  kind: 'superpixel',
  description:
    'Diff-ST: cross-modal conditional diffusion (UNet + gene graph + histology cross-attention) learning a 2× step from the sample; mean and SD over K samples (ONNX)',
  needsImage: true,
  async predict(input, options, progress, signal): Promise<DiffstOutput> {
    if (!input.image) throw badInput(`${input.sample} has no image: Diff-ST needs the H&E.`);
    const p = presetFrom(options);
    const R = inputRaster(input);
    progress({ fraction: 0, message: `diffst: reading the slide (${p.image})` });
    const slide = await slideReader(input, p.image, signal, subProgress(progress, 0, 0.02));
    const read = async (hrPitch: number) => {
      const s = imagePixelSizes(p, hrPitch);
      const [tissue, cells] = await Promise.all([slide(s.tissue), slide(s.cells)]);
      return { tissue, cells };
    };
    const trainImgs = await read(R.pitch);
    const fit = await fitDiffst(R, p, trainImgs, options.seed, {
      onProgress: subProgress(progress, 0.02, 0.75),
      ...(signal ? { signal } : {}),
      ...(typeof options['checkpointDir'] === 'string' ? { checkpointDir: options['checkpointDir'] } : {}),
    });
    const sampleImgs = await read(R.pitch / 2);
    const map = await sampleDiffst(
      fit,
      R,
      sampleImgs,
      { seed: options.seed, calibrate: options['calibrate'] !== false },
      { onProgress: subProgress(progress, 0.75, 1), ...(signal ? { signal } : {}) },
    );
    progress({ fraction: 1, message: 'diffst done' });
    return toOutput(map, fit, inputFootprints(input, R));
  },
};

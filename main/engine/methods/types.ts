/**
 * The one interface every super-resolution (SR) method implements, for the benchmark harness
 * (main/engine/bench) and for the app alike, plus the shared helper that reads a superpixel map at
 * spots (benchmark.md "Protocol coarsen" step 3).
 *
 * A method sees measured spots (real spots, or pseudo-spots made by coarsening), the image, the
 * lattice and where its answer will be read (the targets); it never sees the truth at the targets.
 * It answers either a superpixel map on a regular grid (HISTEX, iStar, TESLA) or one value per
 * target spot (interp, HisToSGE). Coordinates are full-resolution image pixels throughout, like
 * io's Sample.
 */
import type { DenseMatrix } from '../analysis/matrix';
import type { ProgressFn } from '../jobs/progress';
import { badInput } from '../errors';

import type { LatticeCoord, SpotLattice } from '../analysis/lattice';

export type { LatticeCoord, SpotLattice };

/** A disk centre (full-res px); its diameter is SrInput.spotDiameterPx. */
export interface DiskCentre {
  x: number;
  y: number;
}

/** A measured (pseudo-)spot. */
export interface SrSpot {
  /** centroid of the footprint (the mean of the member centres), full-res px */
  x: number;
  y: number;
  /** the sample's own array indices (integers), when the platform has them */
  row?: number;
  col?: number;
  /** canonical lattice coordinates, when the caller knows them exactly (the harness always sets them) */
  lattice?: LatticeCoord;
  /** the footprint is the union of these disks: one for a real spot, the members for a pseudo-spot */
  members: readonly DiskCentre[];
}

/** Where an answer is wanted: a disk of SrInput.spotDiameterPx around (x, y). */
export interface SrTarget {
  x: number;
  y: number;
  row?: number;
  col?: number;
  /** in the SAME canonical lattice frame as SrInput.spots[].lattice (fractional allowed) */
  lattice?: LatticeCoord;
}

/**
 * A regular superpixel grid: superpixel (i, j) (row i, column j) covers full-res x in
 * [originX + j·sizePx, originX + (j+1)·sizePx) and y likewise; its centre is at +0.5.
 */
export interface SuperpixelGrid {
  originX: number;
  originY: number;
  /** superpixel side in full-res px (8 µm / umPerPx for the standard grid) */
  sizePx: number;
  width: number;
  height: number;
}

/** Histology features per superpixel, provided by main/engine/features (built elsewhere). */
export interface SuperpixelFeatures {
  grid: SuperpixelGrid;
  dim: number;
  /** row-major (i, j, channel): data[(i·width + j)·dim + c] */
  data: Float32Array;
}

/**
 * Optional, injected feature access, so methods do not depend on how or where features are computed
 * (cached in a project, extracted on the fly, a foundation model through ONNX, …).
 */
export interface FeatureProvider {
  getSuperpixelFeatures?(signal?: AbortSignal): Promise<SuperpixelFeatures>;
}

/**
 * What the values of a run mean. `counts`: raw counts summed over each spot's footprint (a
 * pseudo-spot's value is the SUM over its members) — the coarsen protocol, HISTEX/iStar's space.
 * `log1p-cp10k`: log1p of counts normalised to 10⁴ per spot over ALL genes — the holdout protocol,
 * HisToSGE's space.
 */
export type ValueSpace = 'counts' | 'log1p-cp10k';

export interface SrInput {
  /** sample name, for messages */
  sample: string;
  genes: readonly string[];
  spots: readonly SrSpot[];
  /** spots × genes: the training values in `space` */
  values: DenseMatrix;
  space: ValueSpace;
  /** spots × genes raw counts of the selected genes (sums over members for pseudo-spots) */
  counts: DenseMatrix;
  /** per spot, total counts over all genes (library size; sums over members) */
  totalCounts: Float64Array;
  lattice: SpotLattice;
  /** diameter of one measured spot's disk (and of every target disk), full-res px */
  spotDiameterPx: number;
  umPerPx: number;
  /** the full-resolution H&E (open it with slide.openSlide(path, { umPerPx })) */
  image?: { path: string; width: number; height: number };
  /** where predictions will be read */
  targets: readonly SrTarget[];
  features?: FeatureProvider;
}

export interface SrRunOptions {
  seed: number;
  /** training epochs, for methods that train (ignored by the baselines) */
  epochs?: number;
  /** method-specific settings */
  [key: string]: unknown;
}

/** A superpixel map of predictions: H × W × G on `grid`, in the input's value space per superpixel. */
export interface SuperpixelOutput {
  kind: 'superpixel';
  grid: SuperpixelGrid;
  nGenes: number;
  /** row-major (i, j, gene): values[(i·width + j)·nGenes + g] */
  values: Float32Array;
  /** 1 where the method predicted (tissue); 0 superpixels are skipped when reading at spots */
  present?: Uint8Array;
  /**
   * a per-superpixel uncertainty of each value, same layout as `values` (Diff-ST: the SD over its
   * samples); stored with the run as its uncertainty layer
   */
  uncertainty?: Float32Array;
  /** one line saying what the uncertainty is (the viewer shows it under the layer) */
  uncertaintyLabel?: string;
}

/** One prediction per target, targets × genes, in the input's value space per target disk. */
export interface SpotOutput {
  kind: 'spot';
  values: DenseMatrix;
}

export type SrOutput = SuperpixelOutput | SpotOutput;

export interface SrMethod {
  /** registry key and CLI name, e.g. 'interp', 'histex' */
  name: string;
  kind: 'superpixel' | 'spot';
  /** one line for `stsr bench` listings */
  description: string;
  /** true when predict() reads SrInput.image (the harness refuses samples without one) */
  needsImage?: boolean;
  predict(
    input: SrInput,
    options: SrRunOptions,
    progress: ProgressFn,
    signal?: AbortSignal,
  ): Promise<SrOutput>;
}

/** Centre of superpixel (i, j) in full-res px. */
export function superpixelCentre(grid: SuperpixelGrid, i: number, j: number): DiskCentre {
  return { x: grid.originX + (j + 0.5) * grid.sizePx, y: grid.originY + (i + 0.5) * grid.sizePx };
}

/**
 * Values of a superpixel map at spots (benchmark.md step 3): per target, the mean over the present
 * superpixels whose CENTRES lie inside the target's disk (distance ≤ radius). A disk too small to
 * contain any centre (smaller than a superpixel) falls back to the superpixel under its centre, so
 * every target inside the grid gets a value; a target with no present superpixel at all gets NaN
 * (the harness treats that as a failed prediction, not as zero expression).
 */
export function superpixelsToSpots(
  map: SuperpixelOutput,
  targets: readonly DiskCentre[],
  diameterPx: number,
): DenseMatrix {
  const { grid, nGenes: g, values, present } = map;
  if (values.length !== grid.width * grid.height * g)
    throw badInput(`superpixel map has ${values.length} values, expected ${grid.height}×${grid.width}×${g}`);
  if (!(diameterPx > 0)) throw badInput(`spot diameter must be positive, got ${diameterPx}`);
  const r = diameterPx / 2;
  const r2 = r * r;
  const out = new Float64Array(targets.length * g);
  const acc = new Float64Array(g);
  targets.forEach((t, k) => {
    // Superpixel index range whose centres can be within r: centre_j = origin + (j + 0.5)·size.
    const j0 = Math.max(0, Math.ceil((t.x - r - grid.originX) / grid.sizePx - 0.5));
    const j1 = Math.min(grid.width - 1, Math.floor((t.x + r - grid.originX) / grid.sizePx - 0.5));
    const i0 = Math.max(0, Math.ceil((t.y - r - grid.originY) / grid.sizePx - 0.5));
    const i1 = Math.min(grid.height - 1, Math.floor((t.y + r - grid.originY) / grid.sizePx - 0.5));
    acc.fill(0);
    let n = 0;
    for (let i = i0; i <= i1; i++)
      for (let j = j0; j <= j1; j++) {
        const c = superpixelCentre(grid, i, j);
        if ((c.x - t.x) ** 2 + (c.y - t.y) ** 2 > r2) continue;
        const q = i * grid.width + j;
        if (present && !present[q]) continue;
        for (let gi = 0; gi < g; gi++) acc[gi] = acc[gi]! + values[q * g + gi]!;
        n++;
      }
    if (n === 0) {
      const i = Math.floor((t.y - grid.originY) / grid.sizePx);
      const j = Math.floor((t.x - grid.originX) / grid.sizePx);
      const q = i * grid.width + j;
      if (i >= 0 && j >= 0 && i < grid.height && j < grid.width && (!present || present[q])) {
        for (let gi = 0; gi < g; gi++) acc[gi] = values[q * g + gi]!;
        n = 1;
      }
    }
    for (let gi = 0; gi < g; gi++) out[k * g + gi] = n > 0 ? acc[gi]! / n : NaN;
  });
  return { nRows: targets.length, nCols: g, data: out };
}

/** Any method's output as targets × genes (superpixel maps read with superpixelsToSpots). */
export function outputAtTargets(output: SrOutput, input: SrInput): DenseMatrix {
  if (output.kind === 'spot') {
    const v = output.values;
    if (v.nRows !== input.targets.length || v.nCols !== input.genes.length)
      throw badInput(
        `spot output is ${v.nRows}×${v.nCols}, expected ${input.targets.length} targets × ${input.genes.length} genes`,
      );
    return v;
  }
  if (output.nGenes !== input.genes.length)
    throw badInput(`superpixel output has ${output.nGenes} genes, expected ${input.genes.length}`);
  return superpixelsToSpots(output, input.targets, input.spotDiameterPx);
}

/**
 * The standard superpixel grid of a sample: 8 µm superpixels (methods.md §1.1: 16 px at 0.5 µm/px)
 * with the origin at the image's top-left corner, covering the image.
 */
export function standardGrid(
  umPerPx: number,
  image: { width: number; height: number },
  superpixelUm = 8,
): SuperpixelGrid {
  if (!(umPerPx > 0)) throw badInput(`µm per px must be positive, got ${umPerPx}`);
  const sizePx = superpixelUm / umPerPx;
  return {
    originX: 0,
    originY: 0,
    sizePx,
    width: Math.ceil(image.width / sizePx),
    height: Math.ceil(image.height / sizePx),
  };
}

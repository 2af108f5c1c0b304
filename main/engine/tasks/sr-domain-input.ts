import { join } from 'node:path';
import type { SrDomainInput } from '../analysis';
import { badInput } from '../errors';
import { readArrayFile } from '../store/array-file';
import type { Project } from '../store/project';
import type { RunRow } from '../store/repos/runs';

/** HISTEX's input channels end with the two position channels (pos_row, pos_col). */
const POSITION_CHANNELS = 2;

/**
 * What SR domains are clustered from, read from a run's stored arrays: the superpixel index, the
 * median latent, and the histology input channels (his…, rgb) without the position channels —
 * position would make domains spatial blobs, which is the opposite of following the tissue.
 */
export function srDomainInputOfRun(project: Project, run: RunRow): SrDomainInput {
  const arrays = run.arrays as { index?: string; latentMedian?: string; features?: string };
  if (!arrays.index || !arrays.latentMedian) {
    throw badInput(`Run ${run.id} has no superpixel latent to cluster (HISTEX and iStar runs do).`);
  }
  const grid = run.result.grid as { rows: number; cols: number };
  const index = readArrayFile(join(project.arraysDir, arrays.index)).data as Int32Array;
  const z = readArrayFile(join(project.arraysDir, arrays.latentMedian));
  let histology: Float32Array | null = null;
  let histologyDim = 0;
  if (arrays.features) {
    const f = readArrayFile(join(project.arraysDir, arrays.features));
    const F = f.shape[1]!;
    histologyDim = F - POSITION_CHANNELS;
    if (histologyDim >= 1) {
      const src = f.data as Float32Array;
      histology = new Float32Array(index.length * histologyDim);
      for (let i = 0; i < index.length; i++)
        histology.set(src.subarray(i * F, i * F + histologyDim), i * histologyDim);
    } else histologyDim = 0;
  }
  return {
    rows: grid.rows,
    cols: grid.cols,
    index,
    latent: z.data as Float32Array,
    latentDim: z.shape[1]!,
    histology,
    histologyDim,
  };
}

import { join } from 'node:path';
import type { SrDomainInput } from '../analysis';
import { badInput } from '../errors';
import { readArrayFile } from '../store/array-file';
import type { SuperpixelReader } from '../methods/entry';
import type { SuperpixelRun } from '../methods/runs';

/** HISTEX's input channels end with the two position channels (pos_row, pos_col). */
const POSITION_CHANNELS = 2;

/**
 * What SR domains are clustered from, read from a run's stored arrays: the superpixel index, the
 * median latent, and the histology input channels (his…, rgb) without the position channels —
 * position would make domains spatial blobs, which is the opposite of following the tissue.
 */
export function srDomainInputOfRun(
  arraysDir: string,
  run: SuperpixelRun,
  reader: SuperpixelReader,
): SrDomainInput {
  const z = reader.latent?.();
  if (!z) throw badInput(`Run ${run.id} (${run.label}) has no superpixel latent to cluster.`);
  const index = reader.index;
  const featuresFile = run.arrays['features'];
  let histology: Float32Array | null = null;
  let histologyDim = 0;
  if (typeof featuresFile === 'string') {
    const f = readArrayFile(join(arraysDir, featuresFile));
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
    rows: run.grid.height,
    cols: run.grid.width,
    index,
    latent: z.data,
    latentDim: z.dim,
    histology,
    histologyDim,
  };
}

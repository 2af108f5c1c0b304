/**
 * Public surface of the readers: one entry point that picks the reader from the content, the
 * shared Sample model, and the typed import error. Individual readers are exported for callers
 * that already know the format (tests, the bench).
 */
import { resolve } from 'node:path';
import type { ReadOptions, Sample } from './sample';
import { detectFormat, type Detected, type ReaderName } from './detect';
import { readLegacySt } from './legacy-st';
import { readVisium, readVisiumHd } from './spaceranger';
import { readXenium } from './xenium';
import { readH5ad } from './h5ad';

export type { CsrMatrix, Gene, ImageRef, LatticeKind, Provenance, ReadOptions, Sample, Spot } from './sample';
export { ImportError, type ImportProblem } from './problems';
export { hasNormalisedValues } from './sample';
export { detectFormat, type Detected, type ReaderName } from './detect';
export { readLegacySt, fitLattice } from './legacy-st';
export { readVisium, readVisiumHd } from './spaceranger';
export { readXenium } from './xenium';
export { readH5ad } from './h5ad';
export { makeUnique } from './common';

const READERS: Record<ReaderName, (path: string, opts: ReadOptions) => Promise<Sample>> = {
  spaceranger: readVisium,
  'visium-hd': readVisiumHd,
  xenium: readXenium,
  'legacy-st': readLegacySt,
  h5ad: readH5ad,
};

/**
 * Reads any supported sample. Pure: it reads the source and returns a Sample (an .h5ad's embedded
 * image is written to opts.scratchDir), so a failed import leaves no trace in any project.
 */
export async function readSample(path: string, options: ReadOptions = {}): Promise<Sample> {
  const detected: Detected = await detectFormat(resolve(path));
  const sample = await READERS[detected.reader](detected.path, options);
  sample.provenance.reader = detected.reader;
  sample.provenance.notes.detectedBy = detected.reason;
  return sample;
}

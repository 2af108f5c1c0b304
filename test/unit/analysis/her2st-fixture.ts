/**
 * HER2ST sections for the analysis tests, read with the engine's own reader (io's readSample) from
 * ../shared/data, and flattened into the arrays the tests index: raw counts (spots × genes CSR),
 * array row/col, full-res pixel positions and the pathologist labels when the section has them.
 */
import type { CsrMatrix } from '../../../main/engine/io/sample';
import { readSample } from '../../../main/engine/io/index';
import { sharedData } from '../../helpers/paths';

export interface Her2stSection {
  spotIds: string[];
  genes: string[];
  counts: CsrMatrix;
  col: Int32Array;
  row: Int32Array;
  px: Float64Array;
  py: Float64Array;
  /** pathologist label per spot ('' = none) when the section has them */
  labels?: string[];
}

export async function loadHer2st(section: string): Promise<Her2stSection> {
  const s = await readSample(sharedData('her2st', section));
  const out: Her2stSection = {
    spotIds: s.spots.map((p) => p.id),
    genes: s.genes.map((g) => g.symbol),
    counts: s.counts,
    col: Int32Array.from(s.spots, (p) => p.col ?? NaN),
    row: Int32Array.from(s.spots, (p) => p.row ?? NaN),
    px: Float64Array.from(s.spots, (p) => p.x),
    py: Float64Array.from(s.spots, (p) => p.y),
  };
  const labels = s.annotations?.['label'];
  if (labels) out.labels = labels;
  return out;
}

import { join } from 'node:path';
import { EngineError } from '../../errors';
import type { Sample } from '../../io/sample';
import { readArrayFile } from '../../store/array-file';
import type { RunRow } from '../../store/repos/runs';
import type { SuperpixelFeatures } from './features';
import { footprint } from './geometry';
import { medianOf } from './pipeline';
import { calibrateToSpots } from './sr-method';

export interface StoredGrid {
  rows: number;
  cols: number;
  superpixelPx: number;
  originPx: { x: number; y: number };
}

interface StoredArrays {
  index: string;
  latents: string[];
  heads: string[];
  features: string;
  norm: string;
}

/**
 * One gene's SR map from a stored HISTEX run, computed from the latents: per model
 * ELU₀.₀₁(b + z·W_z + f·W_f) + 0.01 with the folded head, median over models, back to counts per
 * superpixel, then scaled within each measured spot to its measured value (MIL's constraint, as in
 * the benchmark). Returns values over the run's superpixel grid (rows·cols) and the mask of
 * superpixels that have a value.
 */
export function storedGeneMap(
  arraysDir: string,
  run: RunRow,
  sample: Sample,
  sampleGene: number,
): { values: Float32Array; present: Uint8Array; grid: StoredGrid } {
  const genes = run.result.genes as number[];
  const q = genes.indexOf(sampleGene);
  if (q < 0) {
    throw new EngineError(
      'NOT_FOUND',
      `Gene ${sample.genes[sampleGene]?.symbol ?? sampleGene} was not modelled in run ${run.id}.`,
      {
        hint: `Run ${run.id} modelled ${genes.length} genes; choose one of them or run SR with more genes.`,
      },
    );
  }
  const grid = run.result.grid as StoredGrid;
  const a = run.arrays as unknown as StoredArrays;
  const at = (f: string) => join(arraysDir, f);
  const index = readArrayFile(at(a.index)).data as Int32Array;
  const feats = readArrayFile(at(a.features));
  const F = feats.shape[1]!;
  const fdata = feats.data as Float32Array;
  const norm = readArrayFile(at(a.norm)).data as Float64Array;
  const G = genes.length;
  const n = index.length;
  const perModel = a.latents.map((lf, m) => {
    const z = readArrayFile(at(lf));
    const d = z.shape[1]!;
    const zd = z.data as Float32Array;
    const head = readArrayFile(at(a.heads[m]!)).data as Float64Array;
    const rows = d + F;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = head[rows * G + q]!;
      for (let j = 0; j < d; j++) v += zd[i * d + j]! * head[j * G + q]!;
      for (let j = 0; j < F; j++) v += fdata[i * F + j]! * head[(d + j) * G + q]!;
      out[i] = (v > 0 ? v : 0.01 * Math.expm1(v)) + 0.01;
    }
    return out;
  });
  const med = medianOf(perModel);
  const lo = norm[q]!;
  const hi = norm[G + q]!;
  const values = new Float32Array(grid.rows * grid.cols);
  const present = new Uint8Array(grid.rows * grid.cols);
  for (let i = 0; i < n; i++) {
    values[index[i]!] = med[i]! * (hi - lo) + lo;
    present[index[i]!] = 1;
  }
  const geom = {
    ...grid,
    dim: 0,
    data: new Float32Array(0),
    mask: present,
    channels: [],
  } as SuperpixelFeatures;
  const radius = sample.spotDiameterUm / sample.umPerPx / 2;
  const bags = sample.spots.map((s) => footprint(geom, [s], radius));
  const observed = new Float64Array(sample.spots.length);
  for (let r = 0; r < sample.counts.nRows; r++) {
    for (let k = sample.counts.indptr[r]!; k < sample.counts.indptr[r + 1]!; k++) {
      if (sample.counts.indices[k] === sampleGene) observed[r] = sample.counts.data[k]!;
    }
  }
  calibrateToSpots(values, present, 1, bags, observed);
  return { values, present, grid };
}

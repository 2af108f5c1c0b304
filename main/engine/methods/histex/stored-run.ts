import { join } from 'node:path';
import { EngineError } from '../../errors';
import type { Sample } from '../../io/sample';
import { readArrayFile } from '../../store/array-file';
import type { RunRow } from '../../store/repos/runs';
import type { SuperpixelFeatures } from './features';
import { footprint } from './geometry';
import { medianOf } from './pipeline';

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
  smoothCalibration(values, present, grid, sample, bags, observed);
  return { values, present, grid };
}

/** Spots whose factors blend into a superpixel outside every footprint. */
const BLEND_NEIGHBOURS = 4;

/**
 * calibrateToSpots' constraint for a map that is looked at, not only scored: inside each measured
 * spot the predictions are scaled so their mean equals the measurement (exactly as in the
 * benchmark); between spots the scale factor is the inverse-distance blend of the nearest spots'
 * factors, so the map has no seams at spot borders.
 */
function smoothCalibration(
  values: Float32Array,
  present: Uint8Array,
  grid: StoredGrid,
  sample: Sample,
  bags: readonly (readonly number[])[],
  observed: Float64Array,
): void {
  const factor = new Float64Array(bags.length);
  const inBag = new Int32Array(values.length).fill(-1);
  bags.forEach((bag, s) => {
    const own = bag.filter((sp) => present[sp] && inBag[sp]! < 0);
    if (own.length === 0) return;
    let mean = 0;
    for (const sp of own) mean += values[sp]!;
    mean /= own.length;
    factor[s] = mean > 1e-12 ? observed[s]! / bag.length / mean : 1;
    for (const sp of own) inBag[sp] = s;
  });
  const k = grid.superpixelPx;
  const sx = sample.spots.map((s) => s.x);
  const sy = sample.spots.map((s) => s.y);
  // Bucket the spots on a coarse grid so each superpixel looks at a handful of them.
  const cell = Math.max(k, (sample.spotDiameterUm / sample.umPerPx) * 2);
  const buckets = new Map<string, number[]>();
  sx.forEach((x, s) => {
    const key = `${Math.floor(x / cell)},${Math.floor(sy[s]! / cell)}`;
    (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(s);
  });
  for (let sp = 0; sp < values.length; sp++) {
    if (!present[sp]) continue;
    const own = inBag[sp]!;
    if (own >= 0) {
      values[sp] = values[sp]! * factor[own]!;
      continue;
    }
    const cx = grid.originPx.x + ((sp % grid.cols) + 0.5) * k;
    const cy = grid.originPx.y + (Math.floor(sp / grid.cols) + 0.5) * k;
    const bx = Math.floor(cx / cell);
    const by = Math.floor(cy / cell);
    let near: { s: number; d: number }[] = [];
    for (let ring = 1; ring <= 64 && near.length < BLEND_NEIGHBOURS; ring *= 2) {
      near = [];
      for (let dx = -ring; dx <= ring; dx++) {
        for (let dy = -ring; dy <= ring; dy++) {
          for (const s of buckets.get(`${bx + dx},${by + dy}`) ?? [])
            near.push({ s, d: Math.hypot(sx[s]! - cx, sy[s]! - cy) });
        }
      }
    }
    near.sort((a, b) => a.d - b.d);
    let w = 0;
    let f = 0;
    for (const { s, d } of near.slice(0, BLEND_NEIGHBOURS)) {
      const wi = 1 / Math.max(d, k) ** 2;
      w += wi;
      f += wi * factor[s]!;
    }
    if (w > 0) values[sp] = values[sp]! * (f / w);
  }
}

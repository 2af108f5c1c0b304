/**
 * A small SR-level input built from real data: 8 µm superpixels on a window of the Visium mouse
 * brain (anterior) section, with expression interpolated from the spots (inverse-distance weights
 * of log1p CP10k over the nearest spots) — the `interp` baseline in miniature. Rows are computed
 * on demand, like an SR run read from disk, so the export's block reading is exercised.
 */
import type { Sample } from '../../../main/engine/io';
import { logNormalize } from '../../../main/engine/analysis';
import { categoricalFromLabels, type RowSource, type SrExportInput } from '../../../main/engine/export';

export interface SrFixture {
  input: SrExportInput;
  /** every readRows call, to check the export read in blocks */
  reads: [number, number][];
  /** the same rows the source returns, for comparison */
  expected(start: number, end: number): Float32Array;
}

export function srFixture(sample: Sample, side = 48, genes = 40): SrFixture {
  const umPerPx = sample.umPerPx;
  const cellPx = 8 / umPerPx;
  // window centred on the spots' centroid
  const cx = sample.spots.reduce((a, s) => a + s.x, 0) / sample.spots.length;
  const cy = sample.spots.reduce((a, s) => a + s.y, 0) / sample.spots.length;
  const x0 = cx - (side / 2) * cellPx;
  const y0 = cy - (side / 2) * cellPx;
  const spotD = sample.spotDiameterUm / umPerPx;
  const xs: number[] = [];
  const ys: number[] = [];
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const x = x0 + (c + 0.5) * cellPx;
      const y = y0 + (r + 0.5) * cellPx;
      // "tissue" = within one spot diameter of a spot centre: ragged edges, like a tissue mask
      if (!sample.spots.some((s) => Math.hypot(s.x - x, s.y - y) < spotD)) continue;
      xs.push(x);
      ys.push(y);
      rows.push(r);
      cols.push(c);
    }
  }
  const n = xs.length;
  const norm = logNormalize(sample.counts);
  const g = Math.min(genes, sample.genes.length);
  const spotValues = new Float32Array(sample.spots.length * g);
  for (let i = 0; i < norm.nRows; i++)
    for (let k = norm.indptr[i]!; k < norm.indptr[i + 1]!; k++)
      if (norm.indices[k]! < g) spotValues[i * g + norm.indices[k]!] = norm.data[k]!;
  const row = (i: number, out: Float32Array, off: number): void => {
    let wsum = 0;
    for (let s = 0; s < sample.spots.length; s++) {
      const d = Math.hypot(sample.spots[s]!.x - xs[i]!, sample.spots[s]!.y - ys[i]!);
      if (d > 2 * spotD) continue;
      const w = 1 / (d + 1);
      wsum += w;
      for (let j = 0; j < g; j++) out[off + j]! += w * spotValues[s * g + j]!;
    }
    for (let j = 0; j < g; j++) out[off + j] = wsum > 0 ? out[off + j]! / wsum : 0;
  };
  const expected = (a: number, b: number): Float32Array => {
    const out = new Float32Array((b - a) * g);
    for (let i = a; i < b; i++) row(i, out, (i - a) * g);
    return out;
  };
  const reads: [number, number][] = [];
  const expression: RowSource = {
    nRows: n,
    nCols: g,
    readRows(a, b) {
      reads.push([a, b]);
      return expected(a, b);
    },
  };
  const latentData = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    latentData[i * 3] = (xs[i]! - cx) / cellPx;
    latentData[i * 3 + 1] = (ys[i]! - cy) / cellPx;
    latentData[i * 3 + 2] = Math.sin(i);
  }
  const latent: RowSource = {
    nRows: n,
    nCols: 3,
    readRows: (a, b) => latentData.subarray(a * 3, b * 3),
  };
  // three domains from left/centre/right thirds of the window: real category names and colours
  const labels = cols.map((c) => (c < side / 3 ? 'left' : c < (2 * side) / 3 ? 'centre' : 'right'));
  const domain = categoricalFromLabels(labels, {
    categories: ['left', 'centre', 'right'],
    colors: ['#1f77b4', '#ff7f0e', '#2ca02c'],
  });
  return {
    input: {
      name: sample.name,
      superpixels: {
        x: Float64Array.from(xs),
        y: Float64Array.from(ys),
        sizeUm: 8,
        row: Int32Array.from(rows),
        col: Int32Array.from(cols),
      },
      genes: sample.genes.slice(0, g),
      expression,
      latent,
      umPerPx,
      ...(sample.image ? { image: sample.image } : {}),
      domains: { domain },
      method: 'interp (test fixture)',
    },
    reads,
    expected,
  };
}

/**
 * What an SR-level export needs, independent of how an SR run stores its result: tissue
 * superpixels (centres in full-res px, square side in µm), genes, and row-block sources for the
 * expression and the optional latent, so ~700k × 1000 float32 is never held whole in memory.
 */
import type { Gene, ImageRef } from '../io/sample';
import type { CategoricalColumn, Column } from './h5/dataframe';
import type { SuperpixelGrid } from '../methods/types';

/** A matrix read in row blocks: readRows(a, b) returns rows a..b-1, row-major, (b − a) × nCols. */
export interface RowSource {
  nRows: number;
  nCols: number;
  readRows(start: number, end: number): Float32Array | Promise<Float32Array>;
}

export interface Superpixels {
  /** centres, full-resolution image px */
  x: Float64Array | Float32Array;
  y: Float64Array | Float32Array;
  /** side of the square superpixel in µm (8 for HISTEX-style SR) */
  sizeUm: number;
  /** position on the superpixel grid, when the SR method has one */
  row?: Int32Array;
  col?: Int32Array;
  /** obs names; default `sp_<row>_<col>` or `sp_<i>` */
  ids?: string[];
}

export interface SrExportInput {
  /** library id in uns['spatial'] (the sample name) */
  name: string;
  superpixels: Superpixels;
  genes: Gene[];
  /** superpixels × genes */
  expression: RowSource;
  /** superpixels × d, e.g. the method's embedding */
  latent?: RowSource;
  /**
   * more superpixels × genes matrices written as AnnData layers, with what each means (written to
   * uns['stsr']['layer_<name>']), e.g. { sd: Diff-ST's SD over its samples }
   */
  layers?: Record<string, { rows: RowSource; meaning: string }>;
  umPerPx: number;
  image?: ImageRef;
  /** categorical obs columns, e.g. { domain: … } from K-means on the SR grid */
  domains?: Record<string, CategoricalColumn>;
  /** what produced X, e.g. 'interp', 'histex' (written to uns['stsr']) */
  method?: string;
  /** more obs columns, e.g. { generated: boolean } for a generated spot set */
  obs?: Record<string, Column>;
  /**
   * 'superpixels' (default): square cells of sizeUm; 'spots': a generated spot set (HisToSGE,
   * interpolation) whose sizeUm is the spot diameter and whose X is log1p CP10k.
   */
  kind?: 'superpixels' | 'spots';
}

export function rowSourceFromArray(data: Float32Array, nCols: number): RowSource {
  if (nCols <= 0 || data.length % nCols !== 0)
    throw new Error(`array of ${data.length} is not a multiple of ${nCols}`);
  return {
    nRows: data.length / nCols,
    nCols,
    readRows: (a, b) => data.subarray(a * nCols, b * nCols),
  };
}

export function superpixelIds(sp: Superpixels): string[] {
  if (sp.ids) return sp.ids;
  const n = sp.x.length;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = sp.row && sp.col ? `sp_${sp.row[i]}_${sp.col[i]}` : `sp_${i}`;
  return out;
}

/** The engine's superpixel grid with, per cell (row-major), the superpixel index there (−1 = none). */
export interface LabelGrid extends SuperpixelGrid {
  cellToIndex: Int32Array;
}

/**
 * Places superpixels on their grid: uses row/col when given, else infers them from the centres
 * (a regular grid of side sizeUm / umPerPx, as SR methods produce).
 */
export function gridOf(sp: Superpixels, umPerPx: number): LabelGrid {
  const n = sp.x.length;
  const cellPx = sp.sizeUm / umPerPx;
  if (n === 0)
    return { originX: 0, originY: 0, sizePx: cellPx, width: 0, height: 0, cellToIndex: new Int32Array(0) };
  let row = sp.row;
  let col = sp.col;
  if (!row || !col) {
    let minX = Infinity;
    let minY = Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, sp.x[i]!);
      minY = Math.min(minY, sp.y[i]!);
    }
    row = new Int32Array(n);
    col = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      col[i] = Math.round((sp.x[i]! - minX) / cellPx);
      row[i] = Math.round((sp.y[i]! - minY) / cellPx);
    }
  }
  let minR = Infinity;
  let minC = Infinity;
  let maxR = -Infinity;
  let maxC = -Infinity;
  for (let i = 0; i < n; i++) {
    minR = Math.min(minR, row[i]!);
    maxR = Math.max(maxR, row[i]!);
    minC = Math.min(minC, col[i]!);
    maxC = Math.max(maxC, col[i]!);
  }
  const rows = maxR - minR + 1;
  const cols = maxC - minC + 1;
  const cellToIndex = new Int32Array(rows * cols).fill(-1);
  // the grid origin is the mean of (centre − index × cell), robust to sub-pixel jitter
  let ox = 0;
  let oy = 0;
  for (let i = 0; i < n; i++) {
    const r = row[i]! - minR;
    const c = col[i]! - minC;
    const k = r * cols + c;
    if (cellToIndex[k] !== -1)
      throw new Error(`superpixels ${cellToIndex[k]} and ${i} share grid cell (${r}, ${c})`);
    cellToIndex[k] = i;
    ox += sp.x[i]! - (c + 0.5) * cellPx;
    oy += sp.y[i]! - (r + 0.5) * cellPx;
  }
  return { originX: ox / n, originY: oy / n, sizePx: cellPx, width: cols, height: rows, cellToIndex };
}

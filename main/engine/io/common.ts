import { existsSync } from 'node:fs';
import type { CsrMatrix, Gene, ImageRef, Spot } from './sample';
import { ImportError, importError } from './problems';
import { probeImage } from '../slide/probe';

/**
 * scanpy/anndata `var_names_make_unique` (anndata.utils.make_index_unique, join "-"): the first
 * occurrence keeps its name, later ones get "-1", "-2", … skipping names that already exist.
 */
export function makeUnique(names: readonly string[]): { names: string[]; renamed: string[] } {
  const seen = new Set<string>();
  const dupIdx: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (seen.has(n)) dupIdx.push(i);
    else seen.add(n);
  }
  const out = names.slice();
  if (dupIdx.length === 0) return { names: out, renamed: [] };
  const taken = new Set(names);
  const counter = new Map<string, number>();
  const renamed: string[] = [];
  for (const i of dupIdx) {
    const v = names[i]!;
    for (;;) {
      const c = (counter.get(v) ?? 0) + 1;
      counter.set(v, c);
      const candidate = `${v}-${c}`;
      if (!taken.has(candidate)) {
        taken.add(candidate);
        out[i] = candidate;
        renamed.push(candidate);
        break;
      }
    }
  }
  return { names: out, renamed };
}

/** Genes from ids and symbols, symbols made unique with a warning saying which. */
export function buildGenes(
  ids: readonly string[],
  symbols: readonly string[],
  file: string,
  warnings: string[],
): Gene[] {
  const { names, renamed } = makeUnique(symbols);
  if (renamed.length > 0) {
    warnings.push(
      `${file}: ${renamed.length} duplicate gene name(s) made unique the way scanpy's var_names_make_unique does ` +
        `(e.g. ${renamed.slice(0, 3).join(', ')}).`,
    );
  }
  return ids.map((id, i) => ({ id, symbol: names[i]! }));
}

/** Grows a CSR matrix row by row; used by every text reader. */
export class CsrBuilder {
  private indptr: number[] = [0];
  private indices: number[] = [];
  private data: number[] = [];
  constructor(readonly nCols: number) {}

  push(col: number, value: number): void {
    this.indices.push(col);
    this.data.push(value);
  }

  endRow(): void {
    this.indptr.push(this.indices.length);
  }

  get rows(): number {
    return this.indptr.length - 1;
  }

  build(): CsrMatrix {
    return {
      nRows: this.indptr.length - 1,
      nCols: this.nCols,
      indptr: Uint32Array.from(this.indptr),
      indices: Uint32Array.from(this.indices),
      data: Float32Array.from(this.data),
    };
  }
}

/** Rows in the given order, columns where keepCol is set (renumbered). */
export function subsetCsr(m: CsrMatrix, rows: readonly number[], keepCol?: Uint8Array): CsrMatrix {
  let colMap: Int32Array | undefined;
  let nCols = m.nCols;
  if (keepCol) {
    colMap = new Int32Array(m.nCols).fill(-1);
    nCols = 0;
    for (let c = 0; c < m.nCols; c++) if (keepCol[c]) colMap[c] = nCols++;
  }
  let nnz = 0;
  for (const r of rows) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) if (!colMap || colMap[m.indices[k]!]! >= 0) nnz++;
  }
  const indptr = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(nnz);
  const data = new Float32Array(nnz);
  let o = 0;
  rows.forEach((r, i) => {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const c = colMap ? colMap[m.indices[k]!]! : m.indices[k]!;
      if (c < 0) continue;
      indices[o] = c;
      data[o] = m.data[k]!;
      o++;
    }
    indptr[i + 1] = o;
  });
  return { nRows: rows.length, nCols, indptr, indices, data };
}

/** Negative or non-finite stored values are refused: counts are what every analysis divides by. */
export function checkCountValues(
  m: CsrMatrix,
  file: string,
  where: (row: number, col: number) => { line?: number; field?: string },
): void {
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const v = m.data[k]!;
      if (Number.isFinite(v) && v >= 0) continue;
      const loc = where(r, m.indices[k]!);
      if (!Number.isFinite(v)) {
        throw importError(
          'non-finite-count',
          file,
          `a count is ${v} (not a finite number)`,
          'Counts must be raw, non-negative numbers: re-export the raw count matrix.',
          loc,
        );
      }
      throw importError(
        'negative-count',
        file,
        `a count is negative (${v})`,
        'Counts must be raw UMI/read counts, not normalised or scaled values: import the raw matrix.',
        loc,
      );
    }
  }
}

/** Describes an image file and how its pixels relate to full-resolution pixels. */
export async function imageRef(path: string, scaleToFullRes: number): Promise<ImageRef> {
  if (!existsSync(path)) {
    throw importError(
      'missing-image',
      path,
      'the image file does not exist',
      'Check the --image path, or import without an image.',
    );
  }
  try {
    const info = await probeImage(path);
    return { path, width: info.width, height: info.height, scaleToFullRes };
  } catch (cause) {
    // already says which file and what is wrong (over the pixel budget, a FIFO, not an image)
    if (cause instanceof ImportError) throw cause;
    throw importError(
      'bad-image',
      path,
      `the image cannot be decoded (${cause instanceof Error ? cause.message : String(cause)})`,
      'Use a JPEG, PNG or TIFF/SVS image; copy or export it again if it is damaged.',
      { cause },
    );
  }
}

/**
 * Every spot must sit on its image (with half a spot of slack at the edge: Visium's outermost
 * spots can touch the border of the lowres PNG). Positions past the image mean the wrong image or
 * the wrong scale factor, which would silently draw every spot in the wrong place.
 */
export function checkSpotsInImage(
  spots: readonly Spot[],
  image: ImageRef,
  slackFullRes: number,
  positionsFile: string,
  lineOf: (spotIndex: number) => number | undefined,
): void {
  const w = image.width * image.scaleToFullRes;
  const h = image.height * image.scaleToFullRes;
  for (let i = 0; i < spots.length; i++) {
    const s = spots[i]!;
    if (s.x >= -slackFullRes && s.y >= -slackFullRes && s.x <= w + slackFullRes && s.y <= h + slackFullRes)
      continue;
    const line = lineOf(i);
    throw importError(
      'outside-image',
      positionsFile,
      `spot ${s.id} at (${s.x.toFixed(1)}, ${s.y.toFixed(1)}) full-res px lies outside the image ` +
        `${image.path} (${image.width}×${image.height} px${image.scaleToFullRes !== 1 ? `, ×${image.scaleToFullRes.toFixed(4)} to full-res` : ''})`,
      'The image is probably a downscaled copy or belongs to another sample: pass the full-resolution image ' +
        '(--image) or fix the scale factor.',
      line !== undefined ? { line } : {},
    );
  }
}

/** µm/px outside this range is not a microscope image of tissue: a unit or scale mistake. */
export const UM_PER_PX_RANGE: readonly [number, number] = [0.05, 50];

export function checkUmPerPx(umPerPx: number, file: string, field: string, hint: string): void {
  if (Number.isFinite(umPerPx) && umPerPx >= UM_PER_PX_RANGE[0] && umPerPx <= UM_PER_PX_RANGE[1]) return;
  throw importError(
    'wrong-scale',
    file,
    `the pixel size works out to ${umPerPx} µm/px, outside the plausible ${UM_PER_PX_RANGE[0]}–${UM_PER_PX_RANGE[1]} µm/px`,
    hint,
    { field },
  );
}

/**
 * obs/var dataframes in the current anndata encodings (dataframe 0.2.0), which anndata 0.8
 * (Debian's) to 0.12 and the non-Python readers (anndataR, Muon.jl, zellkonverter) read:
 *  - categorical 0.2.0 groups: `codes`, `categories` (string-array) and an `ordered` attribute that
 *    is an HDF5 bool (h5py's enum; h5/bool-enum.ts writes it, since h5wasm alone cannot),
 *  - bool columns as bool arrays, nullable-integer / nullable-boolean 0.1.0 groups (values + bool
 *    mask, True = missing), strings as string-array 0.2.0.
 */
import type { H5Group } from './elements';
import { setEncoding, writeArray, writeStringArray, type NumericArray } from './elements';
import { writeBoolAttribute, writeBoolDataset } from './bool-enum';

export interface CategoricalColumn {
  kind: 'categorical';
  /** code per row, −1 = missing */
  codes: ArrayLike<number>;
  categories: string[];
  /** '#rrggbb' per category, written to uns['<column>_colors'] as scanpy/squidpy expect */
  colors?: string[];
  ordered?: boolean;
}

export type Column =
  | CategoricalColumn
  | { kind: 'numeric'; values: NumericArray }
  | { kind: 'string'; values: string[] }
  | { kind: 'boolean'; values: ArrayLike<boolean | number> }
  /** pandas Int64 / boolean arrays: `missing[i]` true = NA */
  | { kind: 'nullable-integer'; values: Int32Array | BigInt64Array; missing: ArrayLike<boolean | number> }
  | { kind: 'nullable-boolean'; values: ArrayLike<boolean | number>; missing: ArrayLike<boolean | number> };

/** Labels as strings ('' = missing) → categorical with categories in first-seen or given order. */
export function categoricalFromLabels(
  labels: ArrayLike<string>,
  opts: { categories?: string[]; colors?: string[]; sort?: boolean } = {},
): CategoricalColumn {
  let categories = opts.categories;
  if (!categories) {
    const seen = new Set<string>();
    for (let i = 0; i < labels.length; i++) if (labels[i]) seen.add(labels[i]!);
    categories = [...seen];
    // scanpy sorts categories when it turns strings into categoricals; we match it by default
    if (opts.sort !== false) categories.sort((a, b) => a.localeCompare(b));
  }
  const index = new Map(categories.map((c, i) => [c, i]));
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    codes[i] = l === '' ? -1 : (index.get(l) ?? -1);
  }
  return { kind: 'categorical', codes, categories, ...(opts.colors ? { colors: opts.colors } : {}) };
}

/** int8 when < 128 categories (as pandas/anndata do), else int16/int32. */
export function codesArray(c: CategoricalColumn): Int8Array | Int16Array | Int32Array {
  const n = c.categories.length;
  const out =
    n < 128
      ? new Int8Array(c.codes.length)
      : n < 32768
        ? new Int16Array(c.codes.length)
        : new Int32Array(c.codes.length);
  for (let i = 0; i < c.codes.length; i++) {
    const v = c.codes[i]!;
    if (!Number.isInteger(v) || v < -1 || v >= n)
      throw new Error(`categorical code ${v} out of range (0..${n - 1})`);
    out[i] = v;
  }
  return out;
}

function checkName(name: string): void {
  // anndata ≥ 0.13 refuses '/' in keys (formats.md §1.9); '_index' and '__categories' are reserved
  if (!name || name.includes('/') || name === '_index' || name === '__categories')
    throw new Error(`"${name}" cannot be a column name`);
}

export interface DataframeOptions {
  /** gzip level for numeric columns */
  compression?: number;
}

/**
 * Writes a dataframe group. Columns keep the insertion order of `columns`; the index is written as
 * a string array named `_index`.
 */
export function writeDataframe(
  parent: H5Group,
  name: string,
  index: string[],
  columns: Record<string, Column>,
  opts: DataframeOptions = {},
): H5Group {
  const names = Object.keys(columns);
  names.forEach(checkName);
  const g = parent.create_group(name);
  setEncoding(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  if (names.length > 0) g.create_attribute('column-order', names);
  // anndata 0.8 writes an empty float64 array for zero columns (formats.md §1.4); same here
  else g.create_attribute('column-order', new Float64Array(0), [0], '<d');
  writeStringArray(g, '_index', index);
  const arrayOpts = opts.compression ? { compression: opts.compression } : {};
  for (const col of names) {
    const c = columns[col]!;
    const n = c.kind === 'categorical' ? c.codes.length : c.values.length;
    if (n !== index.length) throw new Error(`column "${col}" has ${n} values for ${index.length} rows`);
    if (c.kind === 'numeric') writeArray(g, col, c.values, [c.values.length], arrayOpts);
    else if (c.kind === 'string') writeStringArray(g, col, c.values);
    else if (c.kind === 'boolean') setEncoding(writeBoolDataset(g, col, c.values), 'array', '0.2.0');
    else if (c.kind === 'nullable-integer' || c.kind === 'nullable-boolean') writeNullable(g, col, c);
    else writeCategorical(g, col, c);
  }
  return g;
}

function writeNullable(
  g: H5Group,
  col: string,
  c: Extract<Column, { kind: 'nullable-integer' | 'nullable-boolean' }>,
): void {
  if (c.missing.length !== c.values.length)
    throw new Error(`column "${col}": ${c.missing.length} mask values for ${c.values.length} rows`);
  const ng = g.create_group(col);
  setEncoding(ng, c.kind, '0.1.0');
  if (c.kind === 'nullable-integer') writeArray(ng, 'values', c.values);
  else setEncoding(writeBoolDataset(ng, 'values', c.values), 'array', '0.2.0');
  setEncoding(writeBoolDataset(ng, 'mask', c.missing), 'array', '0.2.0');
}

function writeCategorical(g: H5Group, col: string, c: CategoricalColumn): void {
  const cg = g.create_group(col);
  setEncoding(cg, 'categorical', '0.2.0');
  writeBoolAttribute(cg, 'ordered', c.ordered === true);
  writeArray(cg, 'codes', codesArray(c));
  writeStringArray(cg, 'categories', c.categories);
}

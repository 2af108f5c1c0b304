/**
 * obs/var dataframes, categoricals and booleans, written so that anndata 0.8 (Debian's) and every
 * later version read them.
 *
 * The snag (formats.md §1.10): anndata's `categorical` 0.2.0 group needs an `ordered` attribute
 * that h5py reads as a numpy bool, i.e. an HDF5 ENUM {FALSE, TRUE}; h5wasm cannot create ENUM
 * types. An int8 `ordered` is accepted by anndata ≥ 0.9 (it casts with bool()) but anndata 0.8
 * hands it to pandas, which raises "'ordered' must either be 'True' or 'False'" (verified).
 *
 * So two layouts, chosen by `CategoricalLayout`:
 *  - 'legacy' (default): the dataframe is written in the anndata 0.7 layout, `dataframe` 0.1.0,
 *    where a categorical column is an int codes dataset whose attribute `categories` is an object
 *    reference to a string array in `<df>/__categories/<column>`. Its reader (`read_series`) takes
 *    `ordered` from an optional attribute with bool(...), default False, so no bool is needed. anndata
 *    0.8 … 0.13 keep this reader for backwards compatibility and return a pandas Categorical with
 *    the categories in our order. Only the dataframe holding categoricals uses it.
 *  - 'modern': `dataframe` 0.2.0 with `categorical` 0.2.0 groups and an int8 `ordered`; for
 *    anndata ≥ 0.9 only.
 *
 * Booleans are written as uint8 0/1 `array` columns: every anndata version reads them as integers
 * (bool(x) in Python recovers them). h5wasm has no way to write the ENUM h5py uses for bool.
 */
import type { H5Group } from './elements';
import { setEncoding, writeArray, writeStringArray, type NumericArray } from './elements';

export type CategoricalLayout = 'legacy' | 'modern';

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
  | { kind: 'boolean'; values: ArrayLike<boolean | number> };

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
  categoricals?: CategoricalLayout;
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
  const hasCategorical = names.some((n) => columns[n]!.kind === 'categorical');
  const legacy = hasCategorical && (opts.categoricals ?? 'legacy') === 'legacy';
  const g = parent.create_group(name);
  setEncoding(g, 'dataframe', legacy ? '0.1.0' : '0.2.0');
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
    else if (c.kind === 'boolean')
      writeArray(g, col, Uint8Array.from(Array.from(c.values, (v) => (v ? 1 : 0))));
    else if (legacy) writeLegacyCategorical(g, col, c);
    else writeModernCategorical(g, col, c);
  }
  return g;
}

function writeModernCategorical(g: H5Group, col: string, c: CategoricalColumn): void {
  const cg = g.create_group(col);
  setEncoding(cg, 'categorical', '0.2.0');
  cg.create_attribute('ordered', new Int8Array([c.ordered ? 1 : 0]), [], '<b');
  writeArray(cg, 'codes', codesArray(c));
  writeStringArray(cg, 'categories', c.categories);
}

function writeLegacyCategorical(g: H5Group, col: string, c: CategoricalColumn): void {
  const cats = (g.get('__categories') as H5Group | null) ?? g.create_group('__categories');
  const catDs = writeStringArray(cats, col, c.categories);
  // read_series casts this with bool(); int8 is fine here, and only present when ordered
  if (c.ordered) catDs.create_attribute('ordered', new Int8Array([1]), [], '<b');
  const codes = writeArray(g, col, codesArray(c));
  codes.create_attribute('categories', catDs.create_reference());
}

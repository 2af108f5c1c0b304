/**
 * AnnData element writers on top of h5wasm (formats.md §1). Only the subset every anndata ≥ 0.8
 * reads is emitted: anndata/0.1.0, dict/0.1.0, dataframe/0.2.0, array/0.2.0, csr_matrix/0.1.0,
 * categorical/0.2.0, nullable-integer/boolean 0.1.0, string-array/0.2.0, numeric-scalar/string 0.2.0.
 *
 * Every string h5wasm writes from a JS string (attribute or dataset) is variable-length UTF-8 with
 * a scalar dataspace when given a single string — the same type h5py gives anndata's attributes
 * (formats.md §1.1; the layout tests read the type back to keep it that way).
 */
import type h5wasm from 'h5wasm/node';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array;

/** Elements per write_slice call: every write is copied into the wasm32 heap, so keep it small. */
export const SLICE_ELEMENTS = 1 << 22;

export function setEncoding(obj: H5Group | H5Dataset, type: string, version: string): void {
  obj.create_attribute('encoding-type', type);
  obj.create_attribute('encoding-version', version);
}

export function createDict(parent: H5Group, name: string): H5Group {
  const g = parent.create_group(name);
  setEncoding(g, 'dict', '0.1.0');
  return g;
}

export function writeStringArray(parent: H5Group, name: string, values: string[]): H5Dataset {
  // h5wasm cannot create a zero-length vlen dataset from an empty JS array (it guesses no type),
  // so the dtype is given explicitly: 'S' = variable-length UTF-8.
  const ds = parent.create_dataset({ name, data: values, shape: [values.length], dtype: 'S' });
  setEncoding(ds, 'string-array', '0.2.0');
  return ds;
}

export interface ArrayWriteOptions {
  /** gzip level 1–9; 0 = none (anndata's own default is none) */
  compression?: number;
  /** chunk shape; defaults to ~1 MB row blocks when compressing */
  chunks?: number[];
}

function dtypeOf(a: NumericArray): string {
  // h5wasm takes Python struct format letters, not numpy's (<f4 would be rejected)
  if (a instanceof Float32Array) return '<f';
  if (a instanceof Float64Array) return '<d';
  if (a instanceof Int8Array) return '<b';
  if (a instanceof Uint8Array) return '<B';
  if (a instanceof Int16Array) return '<h';
  if (a instanceof Uint16Array) return '<H';
  if (a instanceof Int32Array) return '<i';
  if (a instanceof Uint32Array) return '<I';
  return '<q';
}

function emptyLike(a: NumericArray): NumericArray {
  return new (a.constructor as new (n: number) => NumericArray)(0);
}

/**
 * A dense numeric `array` element. Large arrays are written in slices: the dataset is created
 * empty with its final maximum shape, resized once, then filled hyperslab by hyperslab, because
 * h5wasm's create_dataset needs the whole buffer for a non-empty shape (and copies it into the
 * 2 GB wasm heap).
 */
export function writeArray(
  parent: H5Group,
  name: string,
  data: NumericArray,
  shape: number[] = [data.length],
  opts: ArrayWriteOptions = {},
): H5Dataset {
  const ds = writeRawArray(parent, name, data, shape, opts);
  setEncoding(ds, 'array', '0.2.0');
  return ds;
}

/** The same dataset without encoding attributes (members of a csr_matrix group carry none). */
export function writeRawArray(
  parent: H5Group,
  name: string,
  data: NumericArray,
  shape: number[] = [data.length],
  opts: ArrayWriteOptions = {},
): H5Dataset {
  const total = shape.reduce((a, b) => a * b, 1);
  if (total !== data.length) throw new Error(`${name}: shape ${shape.join('×')} ≠ ${data.length} values`);
  const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = shape[0] ?? 1;
  const small = total <= SLICE_ELEMENTS && !opts.compression;
  let ds: H5Dataset;
  if (small || rows === 0 || shape.length === 0) {
    ds = parent.create_dataset({ name, data, shape, dtype: dtypeOf(data) });
  } else {
    const chunks = opts.chunks ?? defaultChunks(shape);
    ds = parent.create_dataset({
      name,
      data: emptyLike(data),
      shape: [0, ...shape.slice(1)],
      dtype: dtypeOf(data),
      maxshape: shape,
      chunks,
      ...(opts.compression ? { compression: 'gzip' as const, compression_opts: opts.compression } : {}),
    });
    ds.resize(shape);
    const step = Math.max(1, Math.floor(SLICE_ELEMENTS / Math.max(1, rowLen)));
    for (let r = 0; r < rows; r += step) {
      const e = Math.min(rows, r + step);
      ds.write_slice(
        [[r, e], ...shape.slice(1).map((d): [number, number] => [0, d])],
        data.subarray(r * rowLen, e * rowLen),
      );
    }
  }
  return ds;
}

/** Row-block chunks of about 1 MB (whole rows), the access pattern of obs slicing. */
export function defaultChunks(shape: number[], bytesPerValue = 4): number[] {
  const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = Math.max(
    1,
    Math.min(shape[0] ?? 1, Math.floor((1 << 20) / bytesPerValue / Math.max(1, rowLen))),
  );
  return [rows, ...shape.slice(1)];
}

export function writeNumericScalar(parent: H5Group, name: string, value: number): H5Dataset {
  const ds = parent.create_dataset({ name, data: value, dtype: Number.isInteger(value) ? '<q' : '<d' });
  setEncoding(ds, 'numeric-scalar', '0.2.0');
  return ds;
}

/** Floats that happen to be whole (e.g. a spot diameter of 90 px) must stay floats for scanpy. */
export function writeFloatScalar(parent: H5Group, name: string, value: number): H5Dataset {
  const ds = parent.create_dataset({ name, data: new Float64Array([value]), shape: [], dtype: '<d' });
  setEncoding(ds, 'numeric-scalar', '0.2.0');
  return ds;
}

export function writeStringScalar(parent: H5Group, name: string, value: string): H5Dataset {
  const ds = parent.create_dataset({ name, data: value, dtype: 'S' });
  setEncoding(ds, 'string', '0.2.0');
  return ds;
}

/**
 * A csr_matrix element: group with `shape` and data/indices/indptr. indptr is int64 only when the
 * number of stored values needs it (anndata reads either).
 */
export function writeCsr(
  parent: H5Group,
  name: string,
  m: {
    nRows: number;
    nCols: number;
    indptr: ArrayLike<number>;
    indices: ArrayLike<number>;
    data: Float32Array;
  },
  opts: ArrayWriteOptions = {},
): H5Group {
  const g = parent.create_group(name);
  setEncoding(g, 'csr_matrix', '0.1.0');
  // h5py writes `shape` as an int64 array attribute; anndata reads any integer type.
  g.create_attribute('shape', new BigInt64Array([BigInt(m.nRows), BigInt(m.nCols)]));
  const nnz = m.data.length;
  const wide = nnz > 0x7fffffff;
  const indptr = wide ? BigInt64Array.from(Array.from(m.indptr, BigInt)) : Int32Array.from(m.indptr);
  const indices = Int32Array.from(m.indices);
  const oneD = (n: number): ArrayWriteOptions => ({
    ...opts,
    chunks: [Math.max(1, Math.min(n, 1 << 18))],
  });
  for (const [key, arr] of [
    ['data', m.data],
    ['indices', indices],
    ['indptr', indptr],
  ] as const) {
    writeRawArray(g, key, arr, [arr.length], arr.length > 0 ? oneD(arr.length) : {});
  }
  return g;
}

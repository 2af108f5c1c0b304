/**
 * A small reader for the .h5ad files this module writes (h5wasm): reads elements back by their
 * encoding and exposes the on-disk layout (attribute types, dataset types, chunking) so tests can
 * check the file against the anndata spec, not just against our own writer.
 */
import { h5, loadH5wasm } from '../io/hdf5';
import type { H5Dataset, H5File, H5Group } from './h5/elements';

export interface TypeInfo {
  /** HDF5 class: 0 integer, 1 float, 3 string, 7 reference, 8 enum, … */
  h5class: number;
  /** bytes per element (strings: 4 = pointer when vlen) */
  size: number;
  signed: boolean;
  vlen: boolean;
  /** 1 = UTF-8, 0 = ASCII (strings only) */
  cset?: number;
  /** null = scalar dataspace */
  shape: number[] | null;
  /** enum members (h5py's bool: { FALSE: 0, TRUE: 1 }) */
  enumMembers?: Record<string, number>;
}

export interface DatasetInfo extends TypeInfo {
  dtype: string;
  chunks: number[] | null;
  filters: number[];
}

export interface Dataframe {
  encodingVersion: string;
  index: string[];
  columnOrder: string[];
  columns: Record<string, string[] | Float64Array>;
  categoricals: Record<string, { codes: Int32Array; categories: string[]; ordered: boolean }>;
}

export interface CsrRead {
  shape: [number, number];
  indptr: Float64Array;
  indices: Float64Array;
  data: Float64Array;
}

function typeInfo(meta: {
  type: number;
  size: number;
  signed: boolean;
  vlen: boolean;
  cset?: number;
  shape?: number[] | null;
  enum_type?: { members: Record<string, number> };
}): TypeInfo {
  const shape = meta.shape ?? null;
  return {
    ...(meta.enum_type ? { enumMembers: meta.enum_type.members } : {}),
    h5class: meta.type,
    size: meta.size,
    signed: meta.signed,
    vlen: meta.vlen,
    ...(meta.cset !== undefined ? { cset: meta.cset } : {}),
    shape: shape && shape.length === 0 ? null : shape,
  };
}

function numbersOf(v: unknown): Float64Array {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, Number);
  if (ArrayBuffer.isView(v)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return Float64Array.from(v, Number);
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  throw new Error(`not numeric: ${typeof v}`);
}

export class H5adFile {
  private constructor(private readonly f: H5File) {}

  static async open(path: string): Promise<H5adFile> {
    const f = new (await loadH5wasm()).File(path, 'r');
    if (typeof f.file_id === 'bigint' && f.file_id < 0n) throw new Error(`cannot open ${path}`);
    return new H5adFile(f);
  }

  close(): void {
    this.f.close();
  }

  private obj(path: string): H5Group | H5Dataset {
    const o = path === '/' || path === '' ? this.f : this.f.get(path);
    if (o instanceof h5().Group || o instanceof h5().Dataset) return o;
    throw new Error(`${path}: no such element`);
  }

  private ds(path: string): H5Dataset {
    const o = this.obj(path);
    if (!(o instanceof h5().Dataset)) throw new Error(`${path} is not a dataset`);
    return o;
  }

  has(path: string): boolean {
    const o = this.f.get(path);
    return o instanceof h5().Group || o instanceof h5().Dataset;
  }

  isGroup(path: string): boolean {
    return this.f.get(path) instanceof h5().Group;
  }

  keys(path: string): string[] {
    const o = this.obj(path);
    if (!(o instanceof h5().Group)) throw new Error(`${path} is not a group`);
    return o.keys();
  }

  attrNames(path: string): string[] {
    return Object.keys(this.obj(path).attrs);
  }

  attr(path: string, name: string): unknown {
    const a = this.obj(path).attrs[name];
    if (!a) throw new Error(`${path} has no attribute ${name}`);
    return a.value;
  }

  attrInfo(path: string, name: string): TypeInfo {
    const a = this.obj(path).attrs[name];
    if (!a) throw new Error(`${path} has no attribute ${name}`);
    return typeInfo({ ...a.metadata, shape: a.shape });
  }

  encoding(path: string): { type: string; version: string } | undefined {
    const attrs = this.obj(path).attrs;
    const t = attrs['encoding-type']?.value;
    const v = attrs['encoding-version']?.value;
    return typeof t === 'string' && typeof v === 'string' ? { type: t, version: v } : undefined;
  }

  datasetInfo(path: string): DatasetInfo {
    const d = this.ds(path);
    const m = d.metadata;
    return {
      ...typeInfo({ ...m, shape: d.shape }),
      dtype: String(d.dtype),
      chunks: m.chunks ?? null,
      filters: d.filters.map((x) => x.id),
    };
  }

  strings(path: string): string[] {
    const v = this.ds(path).value;
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) throw new Error(`${path} does not hold strings`);
    return v.map(String);
  }

  string(path: string): string {
    const v = this.ds(path).value;
    if (typeof v !== 'string') throw new Error(`${path} is not a string scalar`);
    return v;
  }

  numbers(path: string, range?: [number, number]): Float64Array {
    const d = this.ds(path);
    return numbersOf(range ? d.slice([range]) : d.value);
  }

  /** Rows start..end-1 of a 2-D dataset, row-major. */
  rows(path: string, start: number, end: number): Float64Array {
    return numbersOf(this.ds(path).slice([[start, end]]));
  }

  scalar(path: string): number {
    const v = this.numbers(path);
    if (v.length !== 1) throw new Error(`${path} is not a scalar`);
    return v[0]!;
  }

  csr(path: string): CsrRead {
    const enc = this.encoding(path);
    if (enc?.type !== 'csr_matrix') throw new Error(`${path} is ${enc?.type ?? 'unencoded'}, not csr_matrix`);
    const shape = numbersOf(this.attr(path, 'shape'));
    return {
      shape: [shape[0]!, shape[1]!],
      indptr: this.numbers(`${path}/indptr`),
      indices: this.numbers(`${path}/indices`),
      data: this.numbers(`${path}/data`),
    };
  }

  /** obs/var as we write them (dataframe 0.2.0 with categorical groups). */
  dataframe(path: string): Dataframe {
    const enc = this.encoding(path);
    if (enc?.type !== 'dataframe') throw new Error(`${path} is not a dataframe`);
    const indexKey = String(this.attr(path, '_index'));
    const order = this.attr(path, 'column-order');
    const columnOrder = Array.isArray(order) ? order.map(String) : typeof order === 'string' ? [order] : [];
    const df: Dataframe = {
      encodingVersion: enc.version,
      index: this.strings(`${path}/${indexKey}`),
      columnOrder,
      columns: {},
      categoricals: {},
    };
    for (const col of columnOrder) {
      const p = `${path}/${col}`;
      const e = this.encoding(p);
      if (e?.type === 'categorical') {
        df.categoricals[col] = {
          codes: Int32Array.from(this.numbers(`${p}/codes`)),
          categories: this.strings(`${p}/categories`),
          ordered: Boolean(this.attr(p, 'ordered')),
        };
      } else if (e?.type === 'nullable-integer' || e?.type === 'nullable-boolean') {
        // NaN where the mask says missing
        const mask = this.numbers(`${p}/mask`);
        df.columns[col] = this.numbers(`${p}/values`).map((v, i) => (mask[i] ? NaN : v));
      } else if (e?.type === 'string-array') df.columns[col] = this.strings(p);
      else df.columns[col] = this.numbers(p);
    }
    return df;
  }

  /** A dict (uns and below) as plain JS: scalars, strings, numeric arrays and nested dicts. */
  dict(path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys(path)) {
      const p = `${path}/${k}`;
      const enc = this.encoding(p)?.type;
      if (this.isGroup(p)) out[k] = this.dict(p);
      else if (enc === 'string') out[k] = this.string(p);
      else if (enc === 'string-array') out[k] = this.strings(p);
      else if (enc === 'numeric-scalar') out[k] = this.scalar(p);
      else out[k] = this.numbers(p);
    }
    return out;
  }
}

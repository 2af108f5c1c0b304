import type H5Wasm from 'h5wasm/node';
import { closeSync, openSync, readSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { requireRegularFile } from './input-limits';
import { importError, type ImportError } from './problems';

const require = createRequire(import.meta.url);

type H5File = InstanceType<typeof H5Wasm.File>;
export type H5Dataset = InstanceType<typeof H5Wasm.Dataset>;
export type H5Group = InstanceType<typeof H5Wasm.Group>;

let loaded: typeof H5Wasm | undefined;

/**
 * h5wasm is loaded on first use: instantiating its wasm module costs ~600 MB of resident memory
 * (measured: RSS 80 → 690 MB on import), which a legacy-ST or plain-CSV import should not pay.
 */
export async function loadH5wasm(): Promise<typeof H5Wasm> {
  if (!loaded) {
    // Emscripten's environment check mistakes a process with a global `navigator` (Electron's main
    // process, Node ≥ 21) for a browser; h5wasm's README: hide it while the module initialises.
    const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    if (nav?.configurable)
      Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });
    try {
      const mod = (await import('h5wasm/node')).default;
      const module = await mod.ready;
      const plugins = pluginDir();
      // HDF5 looks for filter plugins (LZF, Blosc, Zstd, …) in its search path when a dataset
      // needs one; h5wasm-plugins ships them as wasm side modules read from this host folder.
      if (plugins) module.insert_plugin_search_path(plugins, 0);
      loaded = mod;
    } finally {
      if (nav?.configurable) Object.defineProperty(globalThis, 'navigator', nav);
    }
  }
  return loaded;
}

function pluginDir(): string | undefined {
  try {
    const dir = join(dirname(require.resolve('h5wasm-plugins/package.json')), 'plugins');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * HDF5 filters we can decode: HDF5's built-ins plus the plugins h5wasm-plugins ships (ids from
 * the HDF Group's registered filter list). Checked before a read because a missing filter makes
 * the HDF5 library inside h5wasm abort(), which kills the wasm module for the whole process.
 */
export const HDF5_FILTERS: ReadonlyMap<number, { name: string; plugin: boolean }> = new Map([
  [1, { name: 'gzip (deflate)', plugin: false }],
  [2, { name: 'shuffle', plugin: false }],
  [3, { name: 'fletcher32', plugin: false }],
  [5, { name: 'nbit', plugin: false }],
  [6, { name: 'scaleoffset', plugin: false }],
  [307, { name: 'bzip2', plugin: true }],
  [32000, { name: 'LZF', plugin: true }],
  [32001, { name: 'Blosc', plugin: true }],
  [32004, { name: 'LZ4', plugin: true }],
  [32008, { name: 'Bitshuffle', plugin: true }],
  [32013, { name: 'ZFP', plugin: true }],
  [32015, { name: 'Zstandard', plugin: true }],
  [32019, { name: 'JPEG', plugin: true }],
  [32022, { name: 'BitGroom', plugin: true }],
  [32023, { name: 'BitRound', plugin: true }],
  [32026, { name: 'Blosc2', plugin: true }],
]);

const LZF_ID = 32000;

/**
 * LZF parameters without the chunk's decompressed size (h5py's LZF on variable-length strings
 * stores none): the plugin's decoder then starts from the compressed size and, on E2BIG, retries
 * with a larger buffer, reading errno through `__errno_location` — a libc symbol the plugin's wasm
 * side module imports but h5wasm's main module does not export. HDF5 aborts and the wasm module is
 * unusable until the process restarts, so such datasets are refused before any read.
 */
function lzfWithoutChunkSize(file: string, name: string): ImportError {
  return importError(
    'unsupported',
    file,
    `dataset "${name}" is LZF-compressed without its chunk size in the filter parameters (h5py writes variable-length strings so), which the LZF plugin of this build cannot decode`,
    "Re-save the file with gzip: python -c \"import anndata; a = anndata.read_h5ad('in.h5ad'); a.write_h5ad('out.h5ad', compression='gzip')\"",
    { field: name },
  );
}

/** Well-known filters we cannot decode, named so the error says what the file uses. */
const UNSUPPORTED_NAMES: Record<number, string> = { 4: 'SZIP' };

/**
 * Refuses a dataset whose filter pipeline holds a filter we cannot decode, naming the file, the
 * dataset and the filter (instead of letting HDF5 abort mid-read).
 */
export function checkFilters(ds: H5Dataset, file: string, name: string): void {
  let filters: { id: number; name: string; cd_values: number[] }[];
  try {
    filters = ds.filters;
  } catch (cause) {
    throw importError('truncated', file, `dataset "${name}" cannot be read`, 'Copy the file again.', {
      field: name,
      cause,
    });
  }
  for (const f of filters) {
    if (f.id === LZF_ID && !(f.cd_values.length >= 3 && f.cd_values[2]! > 0))
      throw lzfWithoutChunkSize(file, name);
    const known = HDF5_FILTERS.get(f.id);
    if (known && (!known.plugin || pluginDir())) continue;
    const label = known?.name ?? UNSUPPORTED_NAMES[f.id] ?? (f.name || 'unregistered');
    throw importError(
      'unsupported',
      file,
      `dataset "${name}" is compressed with the HDF5 filter ${label} (id ${f.id}), which this build cannot decode`,
      known
        ? 'Reinstall STSR Studio (its h5wasm-plugins folder is missing).'
        : 'Re-save the file with gzip or LZF compression (e.g. anndata: adata.write_h5ad(path, compression="gzip")).',
      { field: name },
    );
  }
}

/** The loaded module; only valid after openHdf5/loadH5wasm (every HDF5 object comes from there). */
export function h5(): typeof H5Wasm {
  if (!loaded) throw new Error('h5wasm used before loadH5wasm()');
  return loaded;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The HDF5 superblock may sit at 0, 512, 1024, … (user block); we look where the spec says. */
export function isHdf5(path: string): boolean {
  // a FIFO or device would block the read below forever: refused with its own error
  if (!existsSync(path) || requireRegularFile(path).isDirectory()) return false;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    const size = statSync(path).size;
    for (let off = 0; off + 8 <= size && off <= 1 << 20; off = off === 0 ? 512 : off * 2) {
      readSync(fd, buf, 0, 8, off);
      if (buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens an HDF5 file read-only with h5wasm (NODERAWFS: it reads the host file in place, so memory
 * is what we slice out, not the file size). h5wasm does not throw on a bad file, it returns a
 * negative id, so we check and turn that into an error naming the file.
 */
export async function openHdf5(path: string): Promise<H5File> {
  if (!existsSync(path)) throw importError('missing-file', path, 'file not found', 'Check the path.');
  requireRegularFile(path);
  if (statSync(path).size === 0) {
    throw importError(
      'empty-file',
      path,
      'the file is empty (0 bytes)',
      'Copy the file again from its source.',
    );
  }
  if (!isHdf5(path)) {
    throw importError(
      'bad-structure',
      path,
      'this is not an HDF5 file (no HDF5 signature)',
      'Pick the .h5/.h5ad file Space Ranger, Xenium or scanpy wrote; it may have been renamed.',
    );
  }
  const h5wasm = await loadH5wasm();
  const f = new h5wasm.File(path, 'r');
  if (typeof f.file_id === 'bigint' && f.file_id < 0n) {
    throw importError(
      'truncated',
      path,
      'HDF5 could not open the file (it is truncated or damaged)',
      'The copy or download was probably interrupted: copy the file again.',
    );
  }
  return f;
}

export function getDataset(f: H5File | H5Group, key: string, file: string): H5Dataset {
  const obj = f.get(key);
  if (!(obj instanceof h5().Dataset)) {
    throw importError(
      'bad-structure',
      file,
      `dataset "${key}" is missing`,
      'The file is not the expected kind or is incomplete.',
      { field: key },
    );
  }
  return obj;
}

export function getGroup(f: H5File | H5Group, key: string): H5Group | undefined {
  const obj = f.get(key);
  return obj instanceof h5().Group ? obj : undefined;
}

export function hasDataset(f: H5File | H5Group, key: string): boolean {
  return f.get(key) instanceof h5().Dataset;
}

/** Elements per slice: keeps each read well inside the wasm32 heap (see formats.md §6). */
const SLICE = 1 << 22;

function toNumbers(v: unknown): ArrayLike<number> {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array)
    return Float64Array.from(v, (x) => Number(x));
  if (ArrayBuffer.isView(v)) return v as unknown as ArrayLike<number>;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'bigint' ? Number(x) : Number(x)));
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  throw new Error(`not numeric: ${typeof v}`);
}

function readInto<T extends Float32Array | Float64Array | Uint32Array>(
  ds: H5Dataset,
  out: T,
  file: string,
  name: string,
  check?: (v: number, i: number) => void,
): T {
  const n = out.length;
  checkFilters(ds, file, name);
  for (let start = 0; start < n; start += SLICE) {
    const end = Math.min(n, start + SLICE);
    let chunk: ArrayLike<number>;
    try {
      chunk = toNumbers(ds.slice([[start, end]]));
    } catch (cause) {
      throw importError(
        'truncated',
        file,
        `dataset "${name}" cannot be read (${String(cause)})`,
        'Copy the file again.',
        {
          field: name,
          cause,
        },
      );
    }
    if (chunk.length !== end - start) {
      throw importError(
        'truncated',
        file,
        `dataset "${name}" is shorter than its shape says`,
        'Copy the file again.',
        {
          field: name,
        },
      );
    }
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i]!;
      if (check) check(v, start + i);
      out[start + i] = v;
    }
  }
  return out;
}

export function datasetLength(ds: H5Dataset): number {
  const s = ds.shape;
  return s === null ? 1 : s.reduce((a, b) => a * b, 1);
}

export function readFloat32(ds: H5Dataset, file: string, name: string): Float32Array {
  return readInto(ds, new Float32Array(datasetLength(ds)), file, name);
}

export function readFloat64(ds: H5Dataset, file: string, name: string): Float64Array {
  return readInto(ds, new Float64Array(datasetLength(ds)), file, name);
}

/** Indices/pointers: must be non-negative integers that fit in 32 bits. */
export function readUint32(ds: H5Dataset, file: string, name: string): Uint32Array {
  return readInto(ds, new Uint32Array(datasetLength(ds)), file, name, (v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw importError(
        'bad-structure',
        file,
        `"${name}"[${i}] = ${v} is not a valid index`,
        'The file is damaged.',
        {
          field: name,
        },
      );
    }
  });
}

/** Strings: 10x writes fixed-length NUL-padded ASCII, anndata variable-length UTF-8. */
export function readStrings(ds: H5Dataset, file: string, name: string): string[] {
  let v: unknown;
  checkFilters(ds, file, name);
  try {
    v = ds.value;
  } catch (cause) {
    throw importError('truncated', file, `dataset "${name}" cannot be read`, 'Copy the file again.', {
      field: name,
      cause,
    });
  }
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
  if (!arr) {
    throw importError(
      'bad-structure',
      file,
      `dataset "${name}" does not hold strings`,
      'The file is not the expected kind.',
      {
        field: name,
      },
    );
  }
  return arr.map((s, i) => {
    const str = String(s).replace(/\0+$/, '');
    if (str.includes('\ufffd')) {
      throw importError(
        'not-utf8',
        file,
        `name #${i + 1} ("${str}") is not valid UTF-8`,
        'Re-write the file with UTF-8 names.',
        { field: name },
      );
    }
    return str;
  });
}

export function attrString(obj: H5Group | H5Dataset, name: string): string | undefined {
  const a = obj.attrs[name];
  if (!a) return undefined;
  const v = a.value;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

export function attrNumbers(obj: H5Group | H5Dataset, name: string): number[] | undefined {
  const a = obj.attrs[name];
  if (!a) return undefined;
  try {
    return Array.from(toNumbers(a.value));
  } catch {
    return undefined;
  }
}

export type { H5File };

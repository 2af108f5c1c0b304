/**
 * What a job kind produced, as one digest per file, for the kill -9 drills of
 * bench/reliability.ts: a resumed job must leave the same files as an uninterrupted one.
 *
 * Byte for byte, except where the bytes carry the clock rather than the result (each found by
 * running the same job twice and diffing):
 * - JSON files (a feature set's `complete.json`) carry `seconds` and `completedAt`: compared as
 *   parsed JSON without time-like keys;
 * - HDF5 object headers carry modification times (libhdf5 tracks them by default), so two exports
 *   of the same sample differ in ~350 bytes: an `.h5ad` is compared by its content, every group,
 *   dataset value (bytes) and attribute, in a fixed order;
 * - array files are named with a UUID per write: the UUID is masked in the name.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openHdf5, type H5Dataset, type H5File, type H5Group } from '../main/engine/io/hdf5';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/**
 * Keys whose values are clock readings or say how a result was reached rather than what it is
 * (also used for the jobs' result JSON): `seconds`, `etaSeconds`, `completedAt`, and HISTEX's
 * `resumedFromStep` (-1 for a run from scratch, the checkpoint's step for a resumed one), and an
 * SR run's `summary`, a sentence that quotes the seconds (its numbers are compared in their own keys).
 */
export const TIME_KEY = /^(seconds|ms|eta|elapsed|summary)$|Seconds$|Ms$|[a-z]At$|^resumedFrom/;

export interface OutputDigest {
  hash: string;
  /** masked relative path → digest */
  files: Map<string, string>;
}

export function withoutTimes(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => (TIME_KEY.test(k) ? undefined : x));
}

function sha(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function valueBytes(v: unknown): string {
  if (ArrayBuffer.isView(v)) return sha(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return sha(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
}

function h5Entries(node: H5File | H5Group | H5Dataset, path: string, out: string[]): void {
  for (const name of Object.keys(node.attrs).sort()) {
    out.push(`${path}@${name}=${valueBytes(node.attrs[name]!.value)}`);
  }
  if ('keys' in node) {
    for (const k of node.keys().sort()) {
      const child = node.get(k) as H5Group | H5Dataset | null;
      if (child) h5Entries(child, `${path}/${k}`, out);
    }
  } else {
    out.push(`${path}=${node.dtype}:${JSON.stringify(node.shape)}:${valueBytes(node.value)}`);
  }
}

async function h5Digest(file: string): Promise<string> {
  const f = await openHdf5(file);
  try {
    const out: string[] = [];
    h5Entries(f, '', out);
    return sha(out.join('\n'));
  } finally {
    f.close();
  }
}

async function fileDigest(p: string): Promise<string> {
  if (p.endsWith('.h5ad')) return `h5:${await h5Digest(p)}`;
  if (p.endsWith('.json')) {
    try {
      return `json:${sha(withoutTimes(JSON.parse(readFileSync(p, 'utf8'))))}`;
    } catch {
      // not JSON after all: bytes
    }
  }
  return sha(readFileSync(p));
}

/** Arrays, pyramids and exports of a project (hidden scratch excluded). */
export async function outputDigest(project: string): Promise<OutputDigest> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.set(relative(project, p).replace(UUID, '<uuid>'), await fileDigest(p));
    }
  };
  for (const d of ['arrays', 'pyramids', 'exports']) await walk(join(project, d));
  const lines = [...files].map(([k, v]) => `${k}:${v}`).sort();
  return { hash: sha(lines.join('\n')).slice(0, 16), files };
}

/** The files that differ between two digests (missing on either side included). */
export function differingFiles(a: OutputDigest, b: OutputDigest): string[] {
  const names = new Set([...a.files.keys(), ...b.files.keys()]);
  return [...names].filter((n) => a.files.get(n) !== b.files.get(n)).sort();
}

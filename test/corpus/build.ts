/**
 * Small builders the malformed-input corpus uses to make its cases at test time from the real
 * files in ../shared/data (nothing large is committed): copy a sample, then break one thing.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { sharedData } from '../helpers/paths';

function makeWritable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of readdirSync(p)) makeWritable(join(p, e));
}

/** Copies a shared-data folder (read-only there) into `dest`, writable. */
export function copyShared(dest: string, ...parts: string[]): string {
  cpSync(sharedData(...parts), dest, { recursive: true });
  makeWritable(dest);
  return dest;
}

/** A HER2ST sample without its image (counts + selection): the quickest legacy-ST import. */
export const HER2ST = (dest: string) => copyShared(dest, 'her2st', 'C1');
/** A legacy-ST MOB sample with its small (1905²) H&E JPEG. */
export const MOB = (dest: string) => copyShared(dest, 'mob', 'MOB1');
/** Space Ranger outs with filtered_feature_bc_matrix.h5. */
export const SEURAT = (dest: string) => copyShared(dest, 'visium', 'seurat-mouse-brain-sagittal-anterior');
/** Space Ranger outs/ with a MEX matrix folder. */
export const SPANIEL = (dest: string) => copyShared(dest, 'visium', 'spaniel-mouse-brain-sagittal-posterior');

export function gzText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}

export function writeGz(path: string, text: string | Buffer): void {
  writeFileSync(path, gzipSync(text));
}

/** Rewrites the lines of a (gzipped or plain) text file. */
export function editLines(
  path: string,
  edit: (lines: string[]) => string[],
  gz = path.endsWith('.gz'),
): void {
  const text = gz ? gzText(path) : readFileSync(path, 'utf8');
  const out = edit(text.split('\n')).join('\n');
  if (gz) writeGz(path, out);
  else writeFileSync(path, out);
}

export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Deterministic junk (a xorshift stream), so a case is the same bytes on every run. */
export function junk(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/**
 * A decompression bomb: a valid PNG header declaring width × height RGB pixels, followed by a few
 * compressed rows (all a header-reading decoder looks at). A file of a few hundred bytes that
 * claims 40 000 × 40 000 px, i.e. 4.8 GB once decoded.
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

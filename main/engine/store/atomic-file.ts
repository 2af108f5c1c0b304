import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Prefix of temp files: readers and listings ignore them, start-up sweeps them away. */
export const TEMP_PREFIX = '.tmp-';

export function tempPathFor(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${basename(target)}.${randomBytes(4).toString('hex')}`);
}

/**
 * Writes a file so that a reader sees either the old content or the whole new one, never a half:
 * temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export function writeFileAtomic(target: string, chunks: Iterable<Uint8Array> | Uint8Array): void {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'w');
  try {
    const parts = chunks instanceof Uint8Array ? [chunks] : chunks;
    for (const part of parts) {
      let off = 0;
      while (off < part.byteLength) off += writeSync(fd, part, off, part.byteLength - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dirname(target));
}

function fsyncDir(dir: string): void {
  // Directory fsync makes the rename itself durable; some platforms (Windows) refuse it, which is fine.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here */
  }
}

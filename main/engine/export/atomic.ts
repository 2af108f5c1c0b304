/**
 * Atomic output for writers that cannot hand writeFileAtomic a buffer: h5wasm writes to a path, and
 * CSV/GeoJSON exports stream. Both write a temp file beside the target (TEMP_PREFIX, so listings
 * ignore it and start-up sweeps it), fsync it, and rename it over the target; on failure the temp
 * file is removed and the target is untouched.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor } from '../store/atomic-file';

function fsyncPath(path: string, flags: 'r' | 'r+'): void {
  try {
    const fd = openSync(path, flags);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // directories cannot be fsynced on some platforms (Windows); the rename is still atomic
  }
}

/** Runs `write(tmpPath)`, then publishes the temp file at `target`. */
export async function withAtomicPath<T>(target: string, write: (tmp: string) => Promise<T> | T): Promise<T> {
  const tmp = tempPathFor(target);
  try {
    const result = await write(tmp);
    fsyncPath(tmp, 'r+');
    renameSync(tmp, target);
    fsyncPath(dirname(target), 'r');
    return result;
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A text sink that buffers ~1 MB before each write, so streamed exports stay bounded in memory. */
export class TextSink {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.fd, buf, off, buf.byteLength - off);
    this.bytes += buf.byteLength;
    this.parts = [];
    this.size = 0;
  }
}

/** Streams text to `target` atomically; returns the bytes written. */
export async function writeTextAtomic(
  target: string,
  produce: (sink: TextSink) => Promise<void> | void,
): Promise<number> {
  return withAtomicPath(target, async (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      const sink = new TextSink(fd);
      await produce(sink);
      sink.flush();
      return sink.bytes;
    } finally {
      closeSync(fd);
    }
  });
}

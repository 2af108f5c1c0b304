/**
 * The read time limit of jobs: a job whose thread has waited in one read of a file (or in opening
 * or stat-ing one) for longer than the limit fails with an error naming the file and the limit,
 * instead of staying `running` for ever.
 *
 * Why a watchdog and not asynchronous reads with a deadline: inputs are only ever read inside job
 * worker threads (the server's thread never opens one), synchronously, by our readers and by
 * h5wasm. With only regular files admitted (io/input-limits.ts) every such read ends, except on a
 * file system that stops answering (a dead NFS server, a hung FUSE mount): then the thread sits in
 * the system call, where nothing interrupts it, not a timer and not `worker.terminate()`. Async
 * reads would move that wait onto libuv's four pool threads, which the server shares (tiles are
 * streamed through them): four stalled reads would freeze the viewer. Kept in the job's own
 * thread, a stalled read costs that thread only; what was missing is that the job ends and says
 * why. So the runner looks at each job thread from outside (Linux: /proc/self/task/<tid>/syscall
 * gives the system call a thread is in and its arguments; the file is /proc/self/fd/<fd>, or the
 * path argument of an open/stat read from our own memory) and fails the job when the same call,
 * asleep in the kernel (not running, not waiting for a core), with no CPU time used and no bytes
 * read from storage meanwhile, has lasted longer than the limit. One read() call of a very large
 * file over a slow network share that does not account its reads per thread can look the same:
 * the limit (120 s by default) is set high for that, and can be raised or turned off. The thread itself is asked to stop and
 * terminated; it ends when the call returns (if ever), and writes nothing more (its JS is stopped
 * as soon as the call returns).
 *
 * Limits: Linux on x64 and arm64 only (elsewhere there is no such view: a stalled read blocks its
 * job's thread, the app stays responsive and the job can be cancelled, but it stays `running`).
 * Reads that native libraries do in their own threads (libvips decoding a slide through sharp) are
 * not the job thread's: a stall there leaves the job waiting on a promise, not covered here.
 */
import { closeSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { EngineError } from '../errors';

export const READ_TIMEOUT_ENV = 'STSR_READ_TIMEOUT_S';
export const DEFAULT_READ_TIMEOUT_S = 120;

/** The read time limit in seconds from an environment (0 turns the watchdog off). */
export function readTimeoutFrom(env: NodeJS.ProcessEnv): number {
  const raw = env[READ_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_READ_TIMEOUT_S;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new EngineError('BAD_INPUT', `${READ_TIMEOUT_ENV} must be a number of seconds ≥ 0, got "${raw}".`, {
      hint: `0 turns the read time limit off; the default is ${DEFAULT_READ_TIMEOUT_S}.`,
    });
  return n;
}

type Call = { kind: 'read'; fdArg: number } | { kind: 'open' | 'stat'; pathArg: number };

/** System calls an input read can wait in, by number, per architecture (Linux). */
const CALLS: Partial<Record<NodeJS.Architecture, Map<number, Call>>> = {
  x64: new Map<number, Call>([
    [0, { kind: 'read', fdArg: 0 }], // read
    [17, { kind: 'read', fdArg: 0 }], // pread64
    [19, { kind: 'read', fdArg: 0 }], // readv
    [295, { kind: 'read', fdArg: 0 }], // preadv
    [327, { kind: 'read', fdArg: 0 }], // preadv2
    [2, { kind: 'open', pathArg: 0 }], // open
    [257, { kind: 'open', pathArg: 1 }], // openat
    [437, { kind: 'open', pathArg: 1 }], // openat2
    [4, { kind: 'stat', pathArg: 0 }], // stat
    [6, { kind: 'stat', pathArg: 0 }], // lstat
    [262, { kind: 'stat', pathArg: 1 }], // newfstatat
    [332, { kind: 'stat', pathArg: 1 }], // statx
  ]),
  arm64: new Map<number, Call>([
    [63, { kind: 'read', fdArg: 0 }], // read
    [67, { kind: 'read', fdArg: 0 }], // pread64
    [65, { kind: 'read', fdArg: 0 }], // readv
    [69, { kind: 'read', fdArg: 0 }], // preadv
    [286, { kind: 'read', fdArg: 0 }], // preadv2
    [56, { kind: 'open', pathArg: 1 }], // openat
    [437, { kind: 'open', pathArg: 1 }], // openat2
    [79, { kind: 'stat', pathArg: 1 }], // newfstatat
    [291, { kind: 'stat', pathArg: 1 }], // statx
  ]),
};

/** Whether this system can watch job threads at all. */
export function canWatchReads(): boolean {
  if (process.platform !== 'linux' || !CALLS[process.arch]) return false;
  try {
    readFileSync('/proc/thread-self/syscall', 'utf8');
    return true;
  } catch {
    return false;
  }
}

export interface StalledRead {
  /** the file the thread waits on, or null when it cannot be named */
  file: string | null;
  kind: Call['kind'];
  seconds: number;
}

/**
 * Bytes the thread has had read from storage so far (/proc/…/io `read_bytes`, counted as the
 * reads are issued, inside a long read() too), or '' where the kernel does not account them.
 */
function storageReadBytes(tid: number): string {
  try {
    return /read_bytes: (\d+)/.exec(readFileSync(`/proc/self/task/${tid}/io`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** A NUL-terminated string at an address of this process (the path argument of open/stat). */
function pathAt(address: bigint): string | null {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/mem', 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, address);
    const end = buf.subarray(0, n).indexOf(0);
    return end > 0 ? buf.subarray(0, end).toString('utf8') : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Watches job threads by thread id: call `check` every few seconds; it answers the threads that
 * have waited in the same read, open or stat longer than `limitS`, without using CPU time.
 */
export class ReadWatchdog {
  private readonly seen = new Map<number, { line: string; cpu: string; since: number }>();
  private readonly calls = CALLS[process.arch];

  constructor(private readonly limitS: number) {}

  forget(tid: number): void {
    this.seen.delete(tid);
  }

  /** The stalled read of thread `tid`, if it has lasted longer than the limit; else null. */
  check(tid: number, now = Date.now()): StalledRead | null {
    if (!this.calls || this.limitS <= 0) return null;
    let line: string;
    let cpu: string;
    try {
      line = readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').trim();
      // state (field 3) and CPU time (utime, stime: fields 14–15), after the parenthesised name
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // a thread that is running or waiting for a core (R) is not stalled, however long its call
      if (f[0] === 'R') {
        this.seen.delete(tid);
        return null;
      }
      cpu = `${f[11]} ${f[12]} ${storageReadBytes(tid)}`;
    } catch {
      this.seen.delete(tid);
      return null;
    }
    const fields = line.split(' ');
    const call = this.calls.get(Number(fields[0]));
    if (!call) {
      this.seen.delete(tid);
      return null;
    }
    const prev = this.seen.get(tid);
    if (!prev || prev.line !== line || prev.cpu !== cpu) {
      this.seen.set(tid, { line, cpu, since: now });
      return null;
    }
    const seconds = (now - prev.since) / 1000;
    if (seconds < this.limitS) return null;
    const arg = (k: number) => BigInt(fields[1 + k] ?? '0');
    let file: string | null;
    if (call.kind === 'read') {
      try {
        file = readlinkSync(`/proc/self/fd/${Number(arg(call.fdArg))}`);
      } catch {
        file = null;
      }
    } else file = pathAt(arg(call.pathArg));
    return { file, kind: call.kind, seconds };
  }
}

/** The error a job fails with when its thread's read stalls. */
export function stalledReadError(s: StalledRead, limitS: number): EngineError {
  const what = s.file ?? 'a file';
  const doing = s.kind === 'read' ? 'reading' : s.kind === 'open' ? 'opening' : 'looking up';
  return new EngineError(
    'BAD_INPUT',
    `${what}: no answer for ${Math.round(s.seconds)} s while ${doing} it (the read time limit is ${limitS} s). ` +
      'The file system holding it has stopped answering (a network or removable drive?).',
    {
      ...(s.file ? { file: s.file } : {}),
      hint: `Copy the input to a local disk and run the job again. The limit is set with ${READ_TIMEOUT_ENV} (seconds, 0 = no limit).`,
    },
  );
}

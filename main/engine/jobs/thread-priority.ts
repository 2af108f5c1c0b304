/**
 * The scheduling priority of job worker threads. On a machine with few cores, two CPU-bound jobs
 * (a features extraction and a training, each with ONNX Runtime's intra-op threads) keep every
 * core busy, and the thread that serves the viewer (HTTP server, Electron IPC) waits its turn for
 * a core: the viewer stalls although nothing blocks its thread. A job thread therefore lowers its
 * own priority (nice) before it loads its task, and the threads it creates inherit it, so the
 * server's thread wins a core whenever it has work and the jobs use every cycle it leaves.
 *
 * Linux only (jobs/worker-entry.mjs): there nice is per thread. On Windows and macOS
 * `os.setPriority` takes a process, which would lower the whole app, so nothing is changed there.
 * The setting is `STSR_JOB_NICE` (0 to 19; 0 keeps the app's priority; default 10), read when a
 * project's job runner is made; worker threads see the parent's environment, so setting it before
 * starting the app (or `stsr`) is enough.
 */
import { readFileSync } from 'node:fs';
import { EngineError } from '../errors';

export const JOB_NICE_ENV = 'STSR_JOB_NICE';
export const DEFAULT_JOB_NICE = 10;

/** The nice value for job threads from an environment; unset or empty means the default. */
export function jobNiceFrom(env: NodeJS.ProcessEnv): number {
  const raw = env[JOB_NICE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_JOB_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new EngineError('BAD_INPUT', `${JOB_NICE_ENV} must be a whole number from 0 to 19, got "${raw}".`, {
      hint: `0 runs jobs at the app's priority; ${DEFAULT_JOB_NICE} (the default) lets the viewer's thread go first.`,
    });
  return n;
}

/**
 * The calling thread's nice value read back from /proc (field 19 of /proc/thread-self/stat), or
 * null where there is no such file (not Linux). For tests and diagnostics.
 */
export function currentThreadNice(): number | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) is in parentheses and may hold spaces: count from after it
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16]);
}

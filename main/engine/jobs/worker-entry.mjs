// Worker-thread entry, plain JS on purpose: it must load before any TypeScript loader exists in
// the thread. In development and tests the modules are .ts, so tsx is registered first; a
// packaged app points at bundled .js and skips that. Two uses:
// - a heavy job (workerData.jobId): runs the task module's `run` once and answers with its result;
// - a service thread (workerData.serve, jobs/thread-service.ts): keeps the module loaded and
//   answers calls of its exported functions, so work too slow for the server's thread (a stored
//   run's gene map) runs here with the module's caches kept between calls.
import { readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

/** Error fields that cross the thread boundary (EngineError's code, message and hint). */
function errorFields(err) {
  return {
    code: typeof err?.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : 'INTERNAL',
    message: err?.message ?? String(err),
    hint: err?.hint,
    stack: err?.stack,
  };
}

/** This thread's OS thread id (Linux), or null. */
function threadId() {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Lowers this thread's scheduling priority to `nice` (jobs/thread-priority.ts explains why and
 * reads the setting). Linux only: there `setpriority` with a thread id applies to that thread
 * alone, and threads it creates later (ONNX Runtime's intra-op pool, libvips') inherit it. On
 * other systems a process id is all `setPriority` takes, which would lower the whole app: skipped.
 * libuv's thread pool is shared by the whole process and created by whichever thread uses it
 * first: it is made to exist (one stat) before the priority drops, so it keeps the app's priority.
 */
async function lowerPriority(nice, dir) {
  if (!(nice > 0) || process.platform !== 'linux') return;
  try {
    await stat(dir);
    const tid = threadId();
    // never raises it: an app started with `nice` keeps at least its own
    if (tid !== null && getPriority(tid) < nice) setPriority(tid, nice);
  } catch {
    // no /proc (a container without it) or not permitted: the job runs at the app's priority
  }
}

async function load(modulePath) {
  if (modulePath.endsWith('.ts')) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  return import(modulePath);
}

async function runJob() {
  const { modulePath, params, projectDir, jobId, nice } = workerData;
  const controller = new AbortController();
  parentPort.on('message', (msg) => {
    if (msg && msg.type === 'cancel') controller.abort();
  });
  // the runner's read watchdog looks at this thread from outside (jobs/read-watchdog.ts)
  const tid = threadId();
  if (tid !== null) parentPort.postMessage({ type: 'thread', tid });
  try {
    await lowerPriority(nice, projectDir);
    const mod = await load(modulePath);
    const result = await mod.run(params, {
      projectDir,
      jobId,
      signal: controller.signal,
      progress: (update) => parentPort.postMessage({ type: 'progress', update }),
    });
    parentPort.postMessage({ type: 'done', result: result ?? null });
  } catch (err) {
    parentPort.postMessage({ type: 'error', error: errorFields(err) });
  }
  // Answered: the port no longer keeps the thread alive, so it ends by itself once the task's last
  // native work has drained (the runner does not terminate it: see STOP_GRACE_MS in runner.ts).
  parentPort.unref();
}

async function serve() {
  const mod = await load(workerData.modulePath);
  parentPort.on('message', async (msg) => {
    if (msg?.type === 'close') {
      await mod.close?.();
      parentPort.close();
      return;
    }
    if (msg?.type !== 'call') return;
    try {
      const fn = mod[msg.fn];
      if (typeof fn !== 'function') throw new Error(`${workerData.modulePath} has no function ${msg.fn}`);
      parentPort.postMessage({ type: 'result', id: msg.id, value: await fn(...msg.args) });
    } catch (err) {
      parentPort.postMessage({ type: 'error', id: msg.id, error: errorFields(err) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

await (workerData.serve ? serve() : runJob());

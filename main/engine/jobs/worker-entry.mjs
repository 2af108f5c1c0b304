// Worker-thread entry for heavy jobs. Plain JS on purpose: it must load before any TypeScript
// loader exists in the thread. In development and tests the task modules are .ts, so tsx is
// registered first; a packaged app points at bundled .js and skips that.
import { parentPort, workerData } from 'node:worker_threads';

const { modulePath, params, projectDir, jobId } = workerData;
const controller = new AbortController();
parentPort.on('message', (msg) => {
  if (msg && msg.type === 'cancel') controller.abort();
});

try {
  if (modulePath.endsWith('.ts')) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const mod = await import(modulePath);
  const result = await mod.run(params, {
    projectDir,
    jobId,
    signal: controller.signal,
    progress: (update) => parentPort.postMessage({ type: 'progress', update }),
  });
  parentPort.postMessage({ type: 'done', result: result ?? null });
} catch (err) {
  parentPort.postMessage({
    type: 'error',
    error: {
      code: typeof err?.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : 'INTERNAL',
      message: err?.message ?? String(err),
      hint: err?.hint,
      stack: err?.stack,
    },
  });
}
// Answered: the port no longer keeps the thread alive, so it ends by itself once the task's last
// native work has drained (the runner does not terminate it: see STOP_GRACE_MS in runner.ts).
parentPort.unref();

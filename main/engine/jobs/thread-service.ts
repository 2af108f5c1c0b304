import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError, type ErrorCode } from '../errors';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));
/** How long a closing service thread may take to close its module before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

type Reply =
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: { code: string; message: string; hint?: string } };

/**
 * A long-lived worker thread that answers calls of one module's exported functions, for requests
 * whose work would block the server's thread for too long (a stored run's first gene map: tens of
 * milliseconds idle, several hundred under load). The thread starts on the first call and keeps
 * the module loaded, so the module's caches (an opened project, a run's arrays) serve the next
 * calls; calls run one after another on that thread. Errors come back as EngineError with their
 * code, message and hint. While no call is pending the thread does not keep the process alive.
 */
export class ThreadService {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** `module`: absolute path of the module (.ts in development, bundled .js in the app). */
  constructor(private readonly module: string) {}

  call<T>(fn: string, ...args: unknown[]): Promise<T> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
    worker.ref();
    worker.postMessage({ type: 'call', id, fn, args });
    return answer;
  }

  /** Lets the module close what it keeps open, then ends the thread; pending calls fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(
      (resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS)),
    );
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
    this.failPending(new EngineError('CANCELLED', 'The service thread was closed.'));
  }

  private start(): Worker {
    const worker = new Worker(WORKER_ENTRY, { workerData: { modulePath: this.module, serve: true } });
    worker.unref();
    worker.on('message', (msg: Reply) => {
      if (msg.type === 'ready') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.type === 'result') p.resolve(msg.value);
      else {
        const { code, message, hint } = msg.error;
        p.reject(new EngineError(code as ErrorCode, message, hint !== undefined ? { hint } : {}));
      }
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = null;
      this.failPending(new EngineError('INTERNAL', why));
    };
    worker.on('error', (err) => lost(`The service thread failed: ${err.message}`));
    worker.on('exit', () => lost('The service thread stopped.'));
    this.worker = worker;
    return worker;
  }

  private failPending(err: EngineError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}

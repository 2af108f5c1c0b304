import { IPC_EVENT, IPC_INVOKE, METHOD_NAMES, type ApiEvent, type ApiResult } from '../../preload/contract';
import type { AppService } from '../engine/service/app-service';
import { isAppUrl } from './origin';

/** The parts of Electron's IpcMainInvokeEvent the table looks at. */
export interface InvokeEventLike {
  senderFrame?: { url: string; parent?: unknown } | null;
}

/** The parts of Electron's ipcMain the table uses (a plain recording object in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The parts of Electron's WebContents events are sent to. */
export interface EventSink {
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

type Dispatcher = Pick<AppService, 'dispatch'>;
type EventSource = Pick<AppService, 'on' | 'off'>;

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHOD_NAMES);

/**
 * Only the app's own top-level page may call the engine: a frame from any other origin (a
 * navigated-away page, an injected iframe, devtools extensions) is refused.
 */
export function senderAllowed(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  if (!frame || typeof frame.url !== 'string') return false;
  if (frame.parent !== undefined && frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

/**
 * The one invoke handler: checks the sender, rejects unknown methods, and hands the raw input to
 * `service.dispatch`, which validates it with the contract's zod schema and maps every error to a
 * typed ApiResult. Nothing thrown here ever reaches the renderer as an exception.
 * Returns a function that removes the handler.
 */
export function registerIpcHandlers(ipcMain: IpcMainLike, service: Dispatcher): () => void {
  ipcMain.handle(IPC_INVOKE, async (event, method, input): Promise<ApiResult<unknown>> => {
    if (!senderAllowed(event)) {
      return {
        ok: false,
        error: {
          code: 'FORBIDDEN',
          message: 'This page may not call STSR Studio.',
          hint: 'Only the app window itself can use the API.',
        },
      };
    }
    if (typeof method !== 'string' || !KNOWN_METHODS.has(method)) {
      const shown = typeof method === 'string' ? `"${method.slice(0, 100)}"` : typeof method;
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method ${shown}.` } };
    }
    try {
      return await service.dispatch(method, input);
    } catch (err) {
      // dispatch maps handler errors itself; this is the last line so IPC never rejects.
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: `Unexpected error: ${err instanceof Error ? err.message : String(err)}`,
          hint: 'Please report this with the log file.',
        },
      };
    }
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/**
 * Pushes every engine event (job progress, project changes) to the current windows.
 * Returns a function that stops forwarding.
 */
export function forwardEvents(service: EventSource, targets: () => Iterable<EventSink>): () => void {
  const forward = (event: ApiEvent) => {
    for (const wc of targets()) {
      if (!wc.isDestroyed()) wc.send(IPC_EVENT, event);
    }
  };
  service.on('event', forward);
  return () => {
    service.off('event', forward);
  };
}

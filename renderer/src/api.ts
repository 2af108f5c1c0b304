/**
 * The only place that touches the bridge. In Electron the preload exposes `window.stsr` (IPC);
 * in browser mode the same methods go over HTTP and events over a WebSocket. Both are `Api`.
 * Only types come from the contract: method names are typed keys, dispatched by a Proxy.
 */
import type { Api, ApiEvent, ApiResult } from '../../preload/contract';
import { ApiError } from './lib/api-error';

interface Transport {
  invoke(method: string, input: unknown): Promise<ApiResult<unknown>>;
  onEvent(cb: (e: ApiEvent) => void): () => void;
}

declare global {
  interface Window {
    /** set by preload/index.ts in Electron */
    stsr?: Transport;
  }
}

/** Browser mode only: whether the event channel to the server is up (Electron never drops). */
const connectionListeners = new Set<(connected: boolean) => void>();
let connected: boolean | null = null;
function setConnected(now: boolean): void {
  if (connected === now) return;
  connected = now;
  connectionListeners.forEach((l) => l(now));
}

/** Calls back with true/false when the browser-mode event channel comes up or drops. */
export function onConnectionChange(cb: (connected: boolean) => void): () => void {
  connectionListeners.add(cb);
  return () => connectionListeners.delete(cb);
}

function httpTransport(): Transport {
  const listeners = new Set<(e: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = 500;
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(`${proto}//${location.host}/events`);
    socket.onopen = () => {
      retry = 500;
      setConnected(true);
    };
    socket.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as ApiEvent;
      listeners.forEach((l) => l(event));
    };
    // The server may restart: reconnect with backoff rather than silently losing progress events.
    socket.onclose = () => {
      socket = null;
      setConnected(false);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  return {
    async invoke(method, input) {
      let res: Response;
      try {
        res = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: 'The STSR server is not reachable.',
            hint: 'Is `npm run serve` still running?',
          },
        };
      }
      if (res.status === 401) {
        return {
          ok: false,
          error: {
            code: 'FORBIDDEN',
            message: 'Not authorised.',
            hint: 'Open the URL printed by `npm run serve` again.',
          },
        };
      }
      return (await res.json()) as ApiResult<unknown>;
    },
    onEvent(cb) {
      if (!socket) connect();
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}

function makeApi(transport: Transport): Api {
  return new Proxy({} as Api, {
    get(_target, name) {
      if (name === 'onEvent') return (cb: (e: ApiEvent) => void) => transport.onEvent(cb);
      if (typeof name !== 'string') return undefined;
      return async (input: unknown) => {
        const r = await transport.invoke(name, input);
        if (!r.ok) throw new ApiError(r.error);
        return r.value;
      };
    },
  });
}

export const api: Api = makeApi(window.stsr ?? httpTransport());

/**
 * URL of a file inside the open project (slide tiles, figures). The same relative URL in both
 * shells: Electron serves it as stsr://app/files/… (the page's own origin), browser mode under
 * /files/; both put it through the one path guard (main/engine/store/path-guard.ts).
 */
export function projectFileUrl(rel: string): string {
  return `/files/${rel.split('/').map(encodeURIComponent).join('/')}`;
}

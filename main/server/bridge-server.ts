import { closeSync, createReadStream, readSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEvent } from '../../preload/contract';
import { EngineError } from '../engine/errors';
import { contentSecurityPolicy } from '../engine/service/csp';
import type { AppService } from '../engine/service/app-service';
import { contentType } from '../engine/service/static-files';
import { guardProjectFile, guardTreeFile, openGuarded, type GuardedFile } from '../engine/store/path-guard';
import { TOKEN_COOKIE, hasToken, hostAllowed, newToken, originAllowed, sameSecret } from './auth';
import { safeRedirectPath, sendError } from './http-edges';

export const MAX_BODY_BYTES = 1 * 2 ** 20;

/** Slow or lying clients must not hold a socket: headers within 10 s, the whole request in 30 s. */
export const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000 };

export interface BridgeServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export interface BridgeOptions {
  service: AppService;
  /** built renderer (renderer/dist) */
  staticDir: string;
  port?: number;
  token?: string;
  /** header and whole-request deadlines (tests shorten them) */
  timeouts?: { headersMs: number; requestMs: number };
}

/**
 * Browser mode: the same contract as Electron IPC over HTTP (POST /api/<method>) and a WebSocket
 * (/events), on 127.0.0.1 only. Every request needs this launch's token, first from the URL, then
 * from an HttpOnly SameSite=Strict cookie, so other local users and web pages cannot drive it.
 */
export async function startBridgeServer(options: BridgeOptions): Promise<BridgeServer> {
  const token = options.token ?? newToken();
  const { service } = options;
  let port = 0;

  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // how often Node checks those deadlines (its default, 30 s, would let them overrun)
      connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (err instanceof URIError) return sendError(res, 400, 'Malformed percent-encoding in the URL.');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`Internal error: ${(err as Error).message}`);
      });
    },
  );
  server.timeout = timeouts.requestMs;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port) || !originAllowed(req, port)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: wrong host or origin.');
      return;
    }
    const raw = req.url ?? '/';
    if (!raw.startsWith('/')) return sendError(res, 400, 'Malformed request target.');
    // Parsed as a path on our own origin: `//evil.example/x` stays a path, never a host.
    const url = new URL(`http://127.0.0.1:${port}${raw}`);
    // The launch URL carries the token once; trade it for a cookie and drop it from the address bar.
    if (url.searchParams.has('token')) {
      if (!sameSecret(url.searchParams.get('token') ?? '', token)) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized: wrong token.');
        return;
      }
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: safeRedirectPath(url.pathname, url.search),
      });
      res.end();
      return;
    }
    if (!hasToken(req, token)) {
      res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('Unauthorized: open the URL printed by `npm run serve` (it carries the access token).');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, 400, 'Malformed percent-encoding in the URL.');
    }
    if (pathname.startsWith('/api/')) return handleApi(req, res, pathname.slice(5));
    if (pathname.startsWith('/files/')) return handleProjectFile(req, res, pathname.slice(7));
    return handleStatic(req, res, pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('Use POST.');
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return refuseLargeBody(req, res);
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuseLargeBody(req, res);
      return sendJson(res, { ok: false, error: { code: 'BAD_INPUT', message: (err as Error).message } });
    }
    sendJson(res, await service.dispatch(method, body));
  }

  function handleProjectFile(req: IncomingMessage, res: ServerResponse, rel: string): void {
    const project = service.currentProject();
    if (!project) return sendError(res, 404, 'No project is open.');
    let file: GuardedFile;
    try {
      // realpath inside the project, never the database under any alias, only tiles/layers/exports
      file = guardProjectFile(project.dir, rel, 'served');
    } catch (err) {
      return sendEngineError(res, err);
    }
    sendGuarded(req, res, file, { 'cache-control': 'no-cache' });
  }

  function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    // Only the URL's own leading slash is dropped: an encoded second one (%2F) is an absolute path.
    const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
    let file: GuardedFile;
    try {
      file = guardTreeFile(options.staticDir, rel);
    } catch (err) {
      return sendEngineError(res, err);
    }
    const headers: Record<string, string> = {};
    if (file.path.endsWith('.html')) {
      headers['content-security-policy'] = contentSecurityPolicy({
        connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`],
      });
      headers['cache-control'] = 'no-store';
    }
    sendGuarded(req, res, file, headers);
  }

  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (
      url.pathname !== '/events' ||
      !hostAllowed(req, port) ||
      !originAllowed(req, port) ||
      !hasToken(req, token)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });
  const forward = (event: ApiEvent) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  service.on('event', forward);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      service.off('event', forward);
      for (const ws of sockets) ws.terminate();
      wss.close();
      // Browsers keep HTTP connections alive; without this, close() waits for them forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class BodyTooLarge extends Error {}

/**
 * 413 with the same JSON error shape as every API answer, then the connection is closed: the rest
 * of the body is read and thrown away (a reset before the client reads the answer would hide it).
 */
function refuseLargeBody(req: IncomingMessage, res: ServerResponse): void {
  req.removeAllListeners('data');
  req.resume();
  res
    .writeHead(413, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' })
    .end(
      JSON.stringify({
        ok: false,
        error: {
          code: 'BAD_INPUT',
          message: `Request body too large: the API takes at most ${MAX_BODY_BYTES / 2 ** 20} MiB of JSON.`,
        },
      }),
    );
}

function sendEngineError(res: ServerResponse, err: unknown): void {
  if (err instanceof EngineError) {
    return sendError(res, err.code === 'NOT_FOUND' ? 404 : 403, err.message);
  }
  throw err;
}

/** Streams a guarded file from a descriptor opened without following links (see openGuarded). */
/**
 * Files up to this size (tiles, layer JSON and PNGs: a few KiB to a few hundred) are read at once
 * on this thread. Streaming them cost four thread-pool requests per tile (open is already done:
 * read, read to the end, close), and under load the server's thread spent most of its blocked
 * time waiting on the thread pool's lock for them (strace of the load bench: futex waits on
 * libuv's queue lock and condition variable, 6.8 s of 58 s, while the pool threads were short of a
 * core); a read of a small file already in the page cache takes microseconds. Larger files
 * (exports) are streamed.
 */
const READ_AT_ONCE_BYTES = 1 << 20;

function sendGuarded(
  req: IncomingMessage,
  res: ServerResponse,
  file: GuardedFile,
  headers: Record<string, string>,
): void {
  let fd: number;
  try {
    fd = openGuarded(file);
  } catch (err) {
    return sendEngineError(res, err);
  }
  const head = (length: number) =>
    res.writeHead(200, {
      'content-type': contentType(file.path),
      'content-length': String(length),
      'x-content-type-options': 'nosniff',
      ...headers,
    });
  if (req.method === 'HEAD') {
    closeSync(fd);
    head(file.size);
    res.end();
    return;
  }
  if (file.size <= READ_AT_ONCE_BYTES) {
    const body = Buffer.allocUnsafe(file.size);
    let n = 0;
    try {
      for (let got = -1; n < body.length && got !== 0; n += got)
        got = readSync(fd, body, n, body.length - n, n);
    } catch (err) {
      return sendEngineError(res, err);
    } finally {
      closeSync(fd);
    }
    head(n);
    res.end(body.subarray(0, n));
    return;
  }
  head(file.size);
  createReadStream('', { fd }).pipe(res);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new Error('Request body is not valid JSON.'));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, value: unknown): void {
  res
    .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(value));
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEvent } from '../../preload/contract';
import type { EngineError } from '../engine/errors';
import { contentSecurityPolicy } from '../engine/service/csp';
import type { AppService } from '../engine/service/app-service';
import { DB_FILE, resolveInsideProject } from '../engine/store/project-paths';
import { TOKEN_COOKIE, hasToken, hostAllowed, newToken, originAllowed } from './auth';
import { sendFile } from '../engine/service/static-files';

const MAX_BODY_BYTES = 1 * 2 ** 20;

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

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`Internal error: ${(err as Error).message}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port) || !originAllowed(req, port)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: wrong host or origin.');
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    // The launch URL carries the token once; trade it for a cookie and drop it from the address bar.
    if (url.searchParams.has('token')) {
      if (url.searchParams.get('token') !== token) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized: wrong token.');
        return;
      }
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname + url.search,
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
    if (url.pathname.startsWith('/api/'))
      return handleApi(req, res, decodeURIComponent(url.pathname.slice(5)));
    if (url.pathname.startsWith('/files/'))
      return handleProjectFile(res, decodeURIComponent(url.pathname.slice(7)));
    return handleStatic(res, url.pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('Use POST.');
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return sendJson(res, { ok: false, error: { code: 'BAD_INPUT', message: (err as Error).message } });
    }
    sendJson(res, await service.dispatch(method, body));
  }

  function handleProjectFile(res: ServerResponse, rel: string): void {
    const project = service.currentProject();
    if (!project) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No project is open.');
      return;
    }
    let file: string;
    try {
      file = resolveInsideProject(project.dir, rel);
    } catch (err) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end((err as EngineError).message);
      return;
    }
    // The database itself is never served: it is state, not content.
    if (basename(file).startsWith(DB_FILE)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('The project database is not served.');
      return;
    }
    sendFile(res, file, { 'cache-control': 'no-cache' });
  }

  function handleStatic(res: ServerResponse, pathname: string): void {
    const rel = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
    let file: string;
    try {
      file = resolveInsideProject(options.staticDir, rel);
    } catch {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden.');
      return;
    }
    const headers: Record<string, string> = {};
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = contentSecurityPolicy({
        connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`],
      });
      headers['cache-control'] = 'no-store';
    }
    sendFile(res, file, headers);
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

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large.'));
        req.destroy();
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

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, ApiResult } from '../../preload/contract';
import { AppService } from '../../main/engine/service/app-service';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server';
import { ALL_METHODS, BAD_INPUTS } from '../helpers/bad-inputs';
import { plantEscapes, SECRET, SERVED_ONLY } from '../helpers/escape-fixture';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
let service: AppService;
let server: BridgeServer;
let base: string;

beforeAll(async () => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  const staticDir = join(tmp.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  service = new AppService({ transport: 'http' });
  server = await startBridgeServer({ service, staticDir });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await service.closeProject();
  tmp.cleanup();
});

const auth = () => ({ 'x-stsr-token': server.token, 'content-type': 'application/json' });

async function call(
  method: string,
  body: unknown,
  headers: Record<string, string> = auth(),
): Promise<ApiResult<unknown>> {
  const res = await fetch(`${base}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as ApiResult<unknown>;
}

describe('browser-mode bridge server', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(server.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{20,}$`),
    );
  });

  it('refuses requests without the token, with a wrong token, or from a foreign host', async () => {
    expect((await fetch(`${base}/api/app.info`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect(
      (
        await fetch(`${base}/api/app.info`, {
          method: 'POST',
          headers: { 'x-stsr-token': 'nope' },
          body: '{}',
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);
    // DNS rebinding: right token, wrong Host.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      request(
        `${base}/api/app.info`,
        { method: 'POST', headers: { host: 'evil.example', 'x-stsr-token': server.token } },
        (r) => resolve(r.statusCode ?? 0),
      ).end('{}');
    });
    expect(status).toBe(403);
    const cross = await fetch(`${base}/api/app.info`, {
      method: 'POST',
      headers: { ...auth(), origin: 'http://evil.example' },
      body: '{}',
    });
    expect(cross.status).toBe(403);
  });

  it('trades the URL token for an HttpOnly SameSite cookie and serves the app with a CSP', async () => {
    const first = await fetch(server.url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('creates a project over HTTP and pushes job events over the WebSocket', async () => {
    const dir = join(tmp.dir, 'p');
    const r = await call('project.create', { dir });
    expect(r.ok).toBe(true);
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, {
      headers: { 'x-stsr-token': server.token },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const events: ApiEvent[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m)) as ApiEvent));
    const imp = await call('samples.import', { path: join(tmp.dir, 'no-such-sample') });
    expect(imp.ok).toBe(true);
    const jobId = (imp as { ok: true; value: { jobId: number } }).value.jobId;
    for (
      let i = 0;
      // up to 60 s: a failing import still starts a worker, slow on a loaded machine
      i < 600 && !events.some((e) => e.type === 'job' && e.job.id === jobId && e.job.state === 'failed');
      i++
    ) {
      await new Promise((res) => setTimeout(res, 100));
    }
    const failed = events.find((e) => e.type === 'job' && e.job.state === 'failed');
    expect(failed && failed.type === 'job' && failed.job.error?.message).toMatch(/no-such-sample/);
    ws.close();
  });

  it('refuses a WebSocket without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });

  it('answers bad input to every handler with a typed error over HTTP, and malformed JSON too', async () => {
    for (const method of ALL_METHODS) {
      for (const input of BAD_INPUTS[method]) {
        const r = await call(method, input);
        expect(!r.ok && r.error.code, `${method} ${JSON.stringify(input)}`).toBe('BAD_INPUT');
      }
    }
    const res = await fetch(`${base}/api/app.info`, { method: 'POST', headers: auth(), body: '{not json' });
    expect(((await res.json()) as ApiResult<unknown>).ok).toBe(false);
    const unknown = await call('evil.method', {});
    expect(!unknown.ok && unknown.error.code).toBe('UNKNOWN_METHOD');
  });

  it('serves project files but not the database and nothing outside the project', async () => {
    const p = service.currentProject()!;
    writeFileSync(join(p.dir, 'exports', 'x.csv'), 'tile');
    const ok = await fetch(`${base}/files/exports/x.csv`, { headers: auth() });
    expect(await ok.text()).toBe('tile');
    expect((await fetch(`${base}/files/project.sqlite`, { headers: auth() })).status).toBe(403);
    expect((await fetch(`${base}/files/..%2F..%2Fetc%2Fpasswd`, { headers: auth() })).status).toBe(403);
    expect((await fetch(`${base}/files/%2Fetc%2Fpasswd`, { headers: auth() })).status).toBe(403);
  });

  it('follows no symlink out of the project and serves no alias of the database (#16)', async () => {
    const p = service.currentProject()!;
    const { ok, refused } = plantEscapes(p.dir, join(tmp.dir, 'outside'));
    for (const rel of [...ok, ...SERVED_ONLY.ok])
      expect((await fetch(`${base}/files/${rel}`, { headers: auth() })).status, rel).toBe(200);
    for (const c of [...refused, ...SERVED_ONLY.refused]) {
      const path = c.rel.split('/').map(encodeURIComponent).join('/');
      const r = await fetch(`${base}/files/${path}`, { headers: auth() });
      expect(r.status, `${c.rel}: ${c.why}`).toBe(c.code === 'NOT_FOUND' ? 404 : 403);
      const text = await r.text();
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('SQLite format');
    }
  });

  it('answers 400 to malformed percent-encoding, never 500', async () => {
    for (const path of ['/files/%E0%A4%A', '/api/app.%ZZinfo', '/%', '/assets/%C0%AF.js']) {
      const r = await fetch(`${base}${path}`, {
        method: path.startsWith('/api') ? 'POST' : 'GET',
        headers: auth(),
      });
      expect(r.status, path).toBe(400);
      expect(await r.text()).toMatch(/percent-encoding/);
    }
  });

  it('answers 413 with a message to a body over 1 MiB instead of resetting the connection', async () => {
    const big = JSON.stringify({ dir: 'x'.repeat(2 * 2 ** 20) });
    const r = await fetch(`${base}/api/project.open`, { method: 'POST', headers: auth(), body: big });
    expect(r.status).toBe(413);
    const body = (await r.json()) as ApiResult<unknown>;
    expect(!body.ok && body.error.message).toMatch(/too large.*1 MiB/);
    // chunked, without a Content-Length to refuse up front
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(128 * 1024).fill(32));
        c.close();
      },
    });
    const chunked = await fetch(`${base}/api/project.open`, {
      method: 'POST',
      headers: auth(),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // the server still answers afterwards
    expect((await call('app.info', {})).ok).toBe(true);
  });

  it('never redirects to another host (/.//evil.example/?token=…)', async () => {
    for (const path of ['/.//evil.example/', '//evil.example/', '/%2F/evil.example/', '/\\evil.example/']) {
      const r = await fetch(`${base}${path}?token=${server.token}`, { redirect: 'manual' });
      expect(r.status, path).toBe(303);
      const location = r.headers.get('location')!;
      expect(location, path).toMatch(/^\/[^/\\]/);
      expect(new URL(location, base).host, path).toBe(`127.0.0.1:${server.port}`);
    }
  });

  it('compares the URL token in constant time and refuses near misses', async () => {
    for (const t of [server.token.slice(0, -1), `${server.token}x`, server.token.toUpperCase(), ''])
      expect((await fetch(`${base}/?token=${encodeURIComponent(t)}`, { redirect: 'manual' })).status).toBe(
        401,
      );
  });
});

describe('browser-mode timeouts', () => {
  it('drops a request whose body never arrives (lying Content-Length) and slow headers', async () => {
    const staticDir = join(tmp.dir, 'static');
    const svc = new AppService({ transport: 'http' });
    const s = await startBridgeServer({
      service: svc,
      staticDir,
      timeouts: { headersMs: 500, requestMs: 1000 },
    });
    try {
      const closedAfter = (payload: string) =>
        new Promise<{ ms: number; text: string }>((resolve) => {
          const t0 = Date.now();
          let text = '';
          const sock = connect(s.port, '127.0.0.1', () => sock.write(payload));
          sock.on('data', (d) => (text += String(d)));
          sock.on('close', () => resolve({ ms: Date.now() - t0, text }));
          sock.on('error', () => undefined);
        });
      const lying = await closedAfter(
        `POST /api/app.info HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nx-stsr-token: ${s.token}\r\ncontent-length: 1000\r\n\r\n{"a":`,
      );
      expect(lying.ms).toBeLessThan(10_000);
      expect(lying.text).toMatch(/408|^$/);
      const slowHeaders = await closedAfter(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n`);
      expect(slowHeaders.ms).toBeLessThan(10_000);
    } finally {
      await s.close();
    }
  });
});

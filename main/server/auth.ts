import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'stsr_token';
export const TOKEN_HEADER = 'x-stsr-token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time string compare (length is not secret: tokens have a fixed length). */
export function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** A request is trusted when it carries this launch's token in the cookie or the header. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers[TOKEN_HEADER];
  const candidates = [cookieValue(req, TOKEN_COOKIE), typeof header === 'string' ? header : undefined];
  return candidates.some((c) => c !== undefined && sameSecret(c, token));
}

/**
 * DNS-rebinding guard: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
 * Only loopback names with our port are accepted.
 */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

/** Browsers send Origin on cross-site requests and WebSocket upgrades; only our own is allowed. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin);
}

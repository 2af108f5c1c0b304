import type { ServerResponse } from 'node:http';

/**
 * Small HTTP answers shared by browser mode's routes, kept apart so their edge cases (encoded
 * slashes, protocol-relative redirects) are unit-tested on their own.
 */

/** A plain-text error answer (nosniff, never cached). */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    .end(message);
}

/**
 * A same-origin redirect target: one leading slash, never `//host` or `/\\host`, which browsers
 * read as another site (`/.//evil.example/?token=…` once redirected there).
 */
export function safeRedirectPath(pathname: string, search: string): string {
  return `/${pathname.replace(/^[/\\]+/, '')}${search}`;
}

import { closeSync, createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { EngineError } from '../engine/errors';
import { contentType } from '../engine/service/static-files';
import { guardProjectFile, guardTreeFile, openGuarded, type GuardedFile } from '../engine/store/path-guard';
import { APP_HOST, APP_SCHEME, PROJECT_FILES_PREFIX } from './origin';
import { appContentSecurityPolicy } from './window-options';

/** What a stsr:// request maps to: a file to stream (already guarded) or an error status. */
export type ProtocolTarget =
  | { kind: 'file'; file: GuardedFile; headers: Record<string, string> }
  | { kind: 'error'; status: number; message: string };

export interface ProtocolRoots {
  /** the built renderer (renderer/dist) */
  rendererDir: string;
  /** the open project's folder, or null when none is open */
  projectDir: string | null;
}

const deny = (status: number, message: string): ProtocolTarget => ({ kind: 'error', status, message });

function refusal(err: unknown): ProtocolTarget {
  if (err instanceof EngineError) return deny(err.code === 'NOT_FOUND' ? 404 : 403, err.message);
  return deny(403, 'Forbidden.');
}

/**
 * Request → file for the app's custom protocol, mirroring browser mode's routes through the same
 * path guard (main/engine/store/path-guard.ts): `stsr://app/files/<rel>` is a tile, layer or
 * export of the open project (realpath inside it, never the database under any alias), every
 * other path a file of the built renderer (realpath inside it). The URL parser already folds
 * literal `..` segments; encoded ones are decoded before the guard sees them.
 */
export function mapAppRequest(url: string, method: string, roots: ProtocolRoots): ProtocolTarget {
  if (method !== 'GET' && method !== 'HEAD') return deny(405, 'Only GET and HEAD are served.');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return deny(400, 'Malformed URL.');
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.hostname.toLowerCase() !== APP_HOST || u.port !== '') {
    return deny(404, 'Unknown host.');
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(u.pathname);
  } catch {
    return deny(400, 'Malformed URL encoding.');
  }

  if (pathname.startsWith(PROJECT_FILES_PREFIX)) {
    if (!roots.projectDir) return deny(404, 'No project is open.');
    try {
      const file = guardProjectFile(roots.projectDir, pathname.slice(PROJECT_FILES_PREFIX.length), 'served');
      return { kind: 'file', file, headers: { 'cache-control': 'no-cache' } };
    } catch (err) {
      return refusal(err);
    }
  }

  // Only the URL's own leading slash is dropped: an encoded second one (%2F) makes an absolute path.
  const rel = pathname === '/' || pathname === '' ? 'index.html' : pathname.slice(1);
  try {
    const file = guardTreeFile(roots.rendererDir, rel);
    const headers: Record<string, string> = file.path.endsWith('.html')
      ? { 'cache-control': 'no-store' }
      : {};
    return { kind: 'file', file, headers };
  } catch (err) {
    return refusal(err);
  }
}

/** Headers on every answer of the handler, files and errors alike (the CSP too, not only on HTML). */
function baseHeaders(): Record<string, string> {
  return {
    'content-security-policy': appContentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
  };
}

function textResponse(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { ...baseHeaders(), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * The handler given to Electron's `protocol.handle('stsr', ...)`. Plain Node (fetch API Request /
 * Response), so it is tested without Electron. Files are streamed from a descriptor opened
 * without following links (openGuarded), so a link swapped in after the check is not followed.
 */
export function createProtocolHandler(roots: {
  rendererDir: string;
  projectDir: () => string | null;
}): (request: Request) => Promise<Response> {
  return (request) => {
    const target = mapAppRequest(request.url, request.method, {
      rendererDir: roots.rendererDir,
      projectDir: roots.projectDir(),
    });
    if (target.kind === 'error') return Promise.resolve(textResponse(target.status, target.message));
    let fd: number;
    try {
      fd = openGuarded(target.file);
    } catch (err) {
      const r = refusal(err);
      return Promise.resolve(textResponse(r.kind === 'error' ? r.status : 403, 'Forbidden.'));
    }
    const headers = {
      ...baseHeaders(),
      'content-type': contentType(target.file.path),
      ...target.headers,
      'content-length': String(target.file.size),
    };
    if (request.method === 'HEAD') {
      closeSync(fd);
      return Promise.resolve(new Response(null, { status: 200, headers }));
    }
    const body = Readable.toWeb(createReadStream('', { fd })) as ReadableStream<Uint8Array>;
    return Promise.resolve(new Response(body, { status: 200, headers }));
  };
}

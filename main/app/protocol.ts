import { createReadStream, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { EngineError } from '../engine/errors';
import { DB_FILE, resolveInsideProject } from '../engine/store/project-paths';
import { contentType } from '../engine/service/static-files';
import { APP_HOST, APP_SCHEME, PROJECT_FILES_PREFIX } from './origin';
import { appContentSecurityPolicy } from './window-options';

/** What a stsr:// request maps to: a file to stream (already checked) or an error status. */
export type ProtocolTarget =
  | { kind: 'file'; file: string; root: string; headers: Record<string, string> }
  | { kind: 'error'; status: number; message: string };

export interface ProtocolRoots {
  /** the built renderer (renderer/dist) */
  rendererDir: string;
  /** the open project's folder, or null when none is open */
  projectDir: string | null;
}

const deny = (status: number, message: string): ProtocolTarget => ({ kind: 'error', status, message });

/**
 * Pure request → file mapping for the app's custom protocol, mirroring browser mode's routes:
 * `stsr://app/files/<rel>` is a file of the open project (never its database), every other path a
 * file of the built renderer. Traversal, absolute paths and NUL bytes are refused by
 * resolveInsideProject; the URL parser already folds `..` segments, and encoded ones are decoded
 * before that check.
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
    const rel = pathname.slice(PROJECT_FILES_PREFIX.length);
    let file: string;
    try {
      file = resolveInsideProject(roots.projectDir, rel);
    } catch (err) {
      return deny(403, err instanceof EngineError ? err.message : 'Forbidden.');
    }
    // The database (and its -wal/-shm companions) is state, not content: never served.
    if (basename(file).toLowerCase().startsWith(DB_FILE)) {
      return deny(403, 'The project database is not served.');
    }
    return {
      kind: 'file',
      file,
      root: roots.projectDir,
      headers: { 'content-type': contentType(file), 'cache-control': 'no-cache' },
    };
  }

  // Only the URL's own leading slash is dropped: an encoded second one (%2F) makes an absolute path.
  const rel = pathname === '/' || pathname === '' ? 'index.html' : pathname.slice(1);
  let file: string;
  try {
    file = resolveInsideProject(roots.rendererDir, rel);
  } catch {
    return deny(403, 'Forbidden.');
  }
  const headers: Record<string, string> = { 'content-type': contentType(file) };
  if (file.endsWith('.html')) {
    headers['content-security-policy'] = appContentSecurityPolicy();
    headers['cache-control'] = 'no-store';
  }
  return { kind: 'file', file, root: roots.rendererDir, headers };
}

/** True when `file`, with every symlink resolved, still lies inside `root` (also resolved). */
function reallyInside(root: string, file: string): boolean {
  try {
    const r = relative(realpathSync(root), realpathSync(file));
    return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
  } catch {
    return false;
  }
}

function textResponse(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
  });
}

/**
 * The handler given to Electron's `protocol.handle('stsr', ...)`. Plain Node (fetch API Request /
 * Response), so it is tested without Electron. Files are streamed; a symlink inside the project
 * that points outside it is refused like a `..` path.
 */
export function createProtocolHandler(roots: {
  rendererDir: string;
  projectDir: () => string | null;
}): (request: Request) => Promise<Response> {
  return async (request) => {
    const target = mapAppRequest(request.url, request.method, {
      rendererDir: roots.rendererDir,
      projectDir: roots.projectDir(),
    });
    if (target.kind === 'error') return textResponse(target.status, target.message);
    let size: number;
    try {
      const st = statSync(target.file);
      if (!st.isFile()) return textResponse(404, 'Not found.');
      size = st.size;
    } catch {
      return textResponse(404, 'Not found.');
    }
    if (!reallyInside(target.root, target.file)) return textResponse(403, 'Forbidden.');
    const headers = {
      ...target.headers,
      'content-length': String(size),
      'x-content-type-options': 'nosniff',
    };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    const body = Readable.toWeb(createReadStream(target.file)) as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers });
  };
}

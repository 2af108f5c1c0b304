/**
 * Where the app lives inside Electron: the renderer is served from a privileged custom scheme
 * (never file://), so it has a real origin that CSP 'self', the IPC sender check and the
 * navigation guards can all test against.
 */
export const APP_SCHEME = 'stsr';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
/** The pages a window may navigate to (the single-page app's entry, with any query or hash). */
export const APP_PAGES: readonly string[] = ['/', '/index.html'];
/** Project files (tiles, exports) are served below this path, as in browser mode. */
export const PROJECT_FILES_PREFIX = '/files/';

/**
 * Privileges for `protocol.registerSchemesAsPrivileged`: standard (real origin, relative URLs),
 * secure (like https), fetch and streaming for tiles. No CSP bypass, no service workers.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  stream: true,
  codeCache: true,
  bypassCSP: false,
  allowServiceWorkers: false,
  corsEnabled: false,
} as const;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True only for URLs on the app's own origin (stsr://app/...), with no credentials or port. */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return (
    u !== null &&
    u.protocol === `${APP_SCHEME}:` &&
    u.hostname.toLowerCase() === APP_HOST &&
    u.port === '' &&
    u.username === '' &&
    u.password === ''
  );
}

/**
 * The renderer's Content-Security-Policy, the same in Electron and browser mode: scripts only from
 * the app itself, no eval, no remote anything. Inline styles are allowed because plotly and
 * OpenSeadragon set element styles at run time; `connectSrc` adds the loopback WebSocket in
 * browser mode and `imgScheme` the custom protocol serving tiles in Electron.
 */
export function contentSecurityPolicy(
  options: { connectSrc?: string[]; imgSchemes?: string[] } = {},
): string {
  const connect = ["'self'", ...(options.connectSrc ?? [])].join(' ');
  const img = ["'self'", 'data:', 'blob:', ...(options.imgSchemes ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src ${img}`,
    `connect-src ${connect}`,
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

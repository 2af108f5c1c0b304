import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { contentSecurityPolicy } from '../engine/service/csp';

/**
 * The window's security settings in one pure place (unit-tested without Electron): the renderer
 * is an isolated, sandboxed web page that reaches the engine only through the preload's bridge.
 * Only `import type` from electron here: main.ts is the one module that loads it at run time.
 */
export function secureWebPreferences(
  preloadPath: string,
  options: { devTools?: boolean } = {},
): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    enableWebSQL: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools ?? true,
  };
}

export function mainWindowOptions(options: {
  preloadPath: string;
  devTools?: boolean;
}): BrowserWindowConstructorOptions {
  return {
    title: 'STSR Studio',
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    // Shown on 'ready-to-show' so the user never sees an unstyled flash.
    show: false,
    backgroundColor: '#1e1f22',
    webPreferences: secureWebPreferences(options.preloadPath, {
      ...(options.devTools !== undefined ? { devTools: options.devTools } : {}),
    }),
  };
}

/**
 * The CSP sent with every page of the app (response header of the custom protocol and, as a
 * second layer, the session's onHeadersReceived). Same policy as browser mode; 'self' is the
 * stsr://app origin, which also serves project files under /files/.
 */
export function appContentSecurityPolicy(): string {
  return contentSecurityPolicy();
}

/**
 * Adds the CSP to a response-header map (as Electron's onHeadersReceived hands it over), replacing
 * any policy a response brought with it, whatever its letter case. DevTools pages (not packaged
 * builds) keep their own policy.
 */
export function withContentSecurityPolicy(
  headers: Record<string, string[]> | undefined,
  url = '',
): Record<string, string[]> {
  if (url.startsWith('devtools:')) return { ...(headers ?? {}) };
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() !== 'content-security-policy') out[k] = v;
  }
  out['Content-Security-Policy'] = [appContentSecurityPolicy()];
  return out;
}

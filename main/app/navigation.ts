import { APP_PAGES, isAppUrl } from './origin';

/**
 * Pure decisions for the window's navigation guards (wired up in main.ts for every webContents):
 * the renderer never leaves the app, never opens windows, and gets no browser permissions.
 */

/**
 * will-navigate / will-redirect / will-frame-navigate: only to the app's own pages on stsr://app.
 * Project files (`/files/…`) and the renderer's other assets are loaded by the page, never
 * navigated to: a tile or an export opened as a document would run outside the app's UI.
 */
export function navigationAllowed(url: string): boolean {
  if (!isAppUrl(url)) return false;
  return APP_PAGES.includes(new URL(url).pathname);
}

/** setWindowOpenHandler's answer: always deny; a wanted external link goes through the OS browser. */
export function windowOpenResponse(): { action: 'deny' } {
  return { action: 'deny' };
}

/**
 * A link the user may open in their own browser (after confirming): plain https only, no
 * credentials, no other scheme (file:, javascript:, smb:, custom handlers...). Null otherwise.
 */
export function externalLinkTarget(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.hostname === '') return null;
  return u.href;
}

/** Browser permissions (camera, notifications, geolocation, ...): the app needs none. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/** Text of the confirmation shown before an external link is opened. */
export function externalLinkPrompt(url: string): { message: string; detail: string; buttons: string[] } {
  return {
    message: 'Open this link in your web browser?',
    detail: url,
    buttons: ['Cancel', 'Open in browser'],
  };
}

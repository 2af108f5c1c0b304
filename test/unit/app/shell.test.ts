import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMenuTemplate, projectFolderDialog, runProjectFolderCommand } from '../../../main/app/menu';
import {
  externalLinkTarget,
  navigationAllowed,
  permissionAllowed,
  windowOpenResponse,
} from '../../../main/app/navigation';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, isAppUrl } from '../../../main/app/origin';
import {
  appContentSecurityPolicy,
  mainWindowOptions,
  secureWebPreferences,
  withContentSecurityPolicy,
} from '../../../main/app/window-options';
import { AppService } from '../../../main/engine/service/app-service';
import { repoRoot } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

describe('window options', () => {
  it('isolates and sandboxes the renderer', () => {
    const w = mainWindowOptions({ preloadPath: '/app/dist-electron/preload.cjs', devTools: false });
    const p = w.webPreferences!;
    expect(p).toMatchObject({
      preload: '/app/dist-electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
    expect(w.show).toBe(false);
    expect(secureWebPreferences('/p').devTools).toBe(true);
  });

  it('has a strict CSP: no remote code, no eval, no framing', () => {
    const csp = appContentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('puts the CSP on every response, replacing any other policy', () => {
    const h = withContentSecurityPolicy({
      'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
      'Content-Type': ['text/html'],
    });
    expect(h['Content-Security-Policy']).toEqual([appContentSecurityPolicy()]);
    expect(h['content-security-policy']).toBeUndefined();
    expect(h['Content-Type']).toEqual(['text/html']);
    expect(withContentSecurityPolicy(undefined)['Content-Security-Policy']).toHaveLength(1);
    const devtools = { 'Content-Security-Policy': ['devtools own'] };
    expect(withContentSecurityPolicy(devtools, 'devtools://devtools/bundled/inspector.html')).toEqual(
      devtools,
    );
    expect(withContentSecurityPolicy(devtools, 'stsr://app/index.html')['Content-Security-Policy']).toEqual([
      appContentSecurityPolicy(),
    ]);
  });

  it('serves the app from a secure standard scheme that cannot bypass the CSP', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false });
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
  });
});

describe('navigation guards', () => {
  it('keeps the window on the app', () => {
    expect(navigationAllowed('stsr://app/index.html#/samples')).toBe(true);
    expect(navigationAllowed('stsr://app/')).toBe(true);
    expect(navigationAllowed('stsr://app/?project=1')).toBe(true);
    for (const url of [
      // the app's own origin, but not one of its pages (#16 finding 11)
      'stsr://app/files/exports/c2.svg',
      'stsr://app/files/pyramids/job-1/slide.dzi',
      'stsr://app/assets/index.js',
      'stsr://app/other.html',
      'stsr://user@app/index.html',
      'https://example.org/',
      'http://127.0.0.1:3000/',
      'file:///etc/passwd',
      'stsr://evil/index.html',
      'stsr://app.evil/',
      'javascript:alert(1)',
      'data:text/html,<script>1</script>',
      'about:blank',
      '',
    ]) {
      expect(navigationAllowed(url), url).toBe(false);
    }
  });

  it('denies every new window and offers only plain https links to the OS browser', () => {
    expect(windowOpenResponse()).toEqual({ action: 'deny' });
    expect(externalLinkTarget('https://www.10xgenomics.com/support')).toBe(
      'https://www.10xgenomics.com/support',
    );
    for (const url of [
      'http://example.org/',
      'https://user:pw@example.org/',
      'file:///C:/Windows/System32/calc.exe',
      'javascript:alert(1)',
      'smb://host/share',
      'stsr://app/index.html',
      'ms-settings:',
      'not a url',
    ]) {
      expect(externalLinkTarget(url), url).toBeNull();
    }
  });

  it('grants no browser permissions', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen'])
      expect(permissionAllowed(p)).toBe(false);
  });
});

describe('menus and project folder commands', () => {
  const tmp = makeTempDir();
  let service: AppService;
  beforeAll(() => {
    process.env.STSR_HOME = join(tmp.dir, 'home');
    service = new AppService({ transport: 'electron' });
  });
  afterAll(async () => {
    await service.closeProject();
    tmp.cleanup();
  });

  it('has File > New/Open Project with shortcuts that call the actions', () => {
    const calls: string[] = [];
    const actions = {
      newProject: () => calls.push('new'),
      openProject: () => calls.push('open'),
      about: () => calls.push('about'),
    };
    const linux = appMenuTemplate({ platform: 'linux', devTools: false, actions });
    const file = linux.find((m) => m.label === '&File');
    const items = (file?.submenu ?? []) as { label?: string; accelerator?: string; click?: () => void }[];
    const byLabel = (l: string) => items.find((i) => i.label === l);
    expect(byLabel('New Project…')?.accelerator).toBe('CmdOrCtrl+N');
    expect(byLabel('Open Project…')?.accelerator).toBe('CmdOrCtrl+O');
    byLabel('New Project…')?.click?.();
    byLabel('Open Project…')?.click?.();
    expect(calls).toEqual(['new', 'open']);
    expect(JSON.stringify(linux)).not.toContain('toggleDevTools');
    const mac = appMenuTemplate({ platform: 'darwin', devTools: true, actions });
    expect(mac[0]).toEqual({ role: 'appMenu' });
    expect(JSON.stringify(mac)).toContain('toggleDevTools');
    expect(projectFolderDialog('create').properties).toContain('createDirectory');
    expect(projectFolderDialog('open').properties).toEqual(['openDirectory']);
  });

  it('creates and opens the chosen folder through the validated API, with typed errors', async () => {
    expect(await runProjectFolderCommand(service, 'open', { canceled: true, filePaths: [] })).toBeNull();
    expect(service.currentProject()).toBeNull();
    const dir = join(tmp.dir, 'menu-project');
    expect(
      await runProjectFolderCommand(service, 'create', { canceled: false, filePaths: [dir] }),
    ).toBeNull();
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
    expect(service.currentProject()?.dir).toBe(dir);
    const missing = await runProjectFolderCommand(service, 'open', {
      canceled: false,
      filePaths: [join(tmp.dir, 'no-such-project')],
    });
    expect(missing?.code).toMatch(/^[A-Z_]+$/);
    expect(missing?.message.length).toBeGreaterThan(5);
    const blank = await runProjectFolderCommand(service, 'open', { canceled: false, filePaths: ['  '] });
    expect(blank?.code).toBe('BAD_INPUT');
  });
});

describe('shell boundaries', () => {
  it('loads electron at run time only in main/app/main.ts and the preload', () => {
    const dir = join(repoRoot, 'main', 'app');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'main.ts')) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+['"]electron['"]/m);
      expect(src, f).not.toMatch(/require\(\s*['"]electron['"]\s*\)/);
    }
  });

  it('keeps zod out of the sandboxed preload: it imports only electron and the method names', () => {
    const src = readFileSync(join(repoRoot, 'preload', 'index.ts'), 'utf8');
    const imports = [...src.matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['./contract/methods', 'electron']);
  });
});

describe('packaging fuses', () => {
  it('pairs the asar fuses with the asar setting and keeps the Node escape hatches off', () => {
    const yml = readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8');
    const flag = (name: string) => new RegExp(`^\\s*${name}:\\s*(true|false)\\s*$`, 'm').exec(yml)?.[1];
    for (const off of ['runAsNode', 'enableNodeOptionsEnvironmentVariable', 'enableNodeCliInspectArguments'])
      expect(flag(off), off).toBe('false');
    expect(flag('enableCookieEncryption')).toBe('true');
    // Integrity validation only means something for an asar archive; the decision is documented.
    const asar = flag('asar');
    expect(flag('enableEmbeddedAsarIntegrityValidation')).toBe(asar);
    expect(flag('onlyLoadAppFromAsar')).toBe(asar);
    const doc = readFileSync(join(repoRoot, 'docs', 'electron.md'), 'utf8');
    expect(doc).toMatch(/No asar, so no asar integrity/);
  });
});

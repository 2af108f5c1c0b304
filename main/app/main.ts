/**
 * The Electron shell, and the only module that loads 'electron' at run time. Everything it
 * decides is in pure, unit-tested modules beside it: window-options (security flags, CSP),
 * ipc-table (sender check + dispatch), navigation (guards), protocol (stsr:// files), menu.
 * Bundled by scripts/build-electron.mjs into dist-electron/main.cjs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  Menu,
  app,
  dialog,
  ipcMain,
  protocol,
  session,
  shell,
  type WebContents,
} from 'electron';
import type { ApiErrorBody } from '../../preload/contract';
import { AppService } from '../engine/service/app-service';
import { forwardEvents, registerIpcHandlers } from './ipc-table';
import { appMenuTemplate, projectFolderDialog, runProjectFolderCommand } from './menu';
import {
  externalLinkPrompt,
  externalLinkTarget,
  navigationAllowed,
  permissionAllowed,
  windowOpenResponse,
} from './navigation';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './origin';
import { createProtocolHandler } from './protocol';
import { mainWindowOptions, withContentSecurityPolicy } from './window-options';

// dist-electron/ when bundled: main.cjs, preload.cjs, the job worker and task modules.
const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer', 'dist');
const preloadPath = join(here, 'preload.cjs');

// better-sqlite3 is not N-API: the packaged app carries its Electron build in resources/native
// (see electron-builder.yml); `npm start` sets STSR_SQLITE_BINDING itself.
if (!process.env.STSR_SQLITE_BINDING && app.isPackaged) {
  const packaged = join(process.resourcesPath, 'native', 'better_sqlite3.node');
  if (existsSync(packaged)) process.env.STSR_SQLITE_BINDING = packaged;
}

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  start();
}

function start(): void {
  const service = new AppService({ transport: 'electron' });
  const devTools = !app.isPackaged;
  let mainWindow: BrowserWindow | null = null;

  const createWindow = (): void => {
    const win = new BrowserWindow(mainWindowOptions({ preloadPath, devTools }));
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = null;
    });
    void win.loadURL(APP_ENTRY_URL);
    mainWindow = win;
  };

  const showError = async (title: string, error: ApiErrorBody): Promise<void> => {
    const options = {
      type: 'error' as const,
      title,
      message: error.message,
      detail: error.hint ?? '',
    };
    await (mainWindow ? dialog.showMessageBox(mainWindow, options) : dialog.showMessageBox(options));
  };

  const chooseProjectFolder = async (kind: 'open' | 'create'): Promise<void> => {
    const options = projectFolderDialog(kind);
    const choice = mainWindow
      ? await dialog.showOpenDialog(mainWindow, options)
      : await dialog.showOpenDialog(options);
    const error = await runProjectFolderCommand(service, kind, choice);
    if (error) await showError(kind === 'open' ? 'Cannot open project' : 'Cannot create project', error);
  };

  const openExternal = async (url: string): Promise<void> => {
    const prompt = externalLinkPrompt(url);
    const options = { type: 'question' as const, ...prompt, defaultId: 0, cancelId: 0 };
    const { response } = mainWindow
      ? await dialog.showMessageBox(mainWindow, options)
      : await dialog.showMessageBox(options);
    if (response === 1) await shell.openExternal(url);
  };

  // Every webContents (window, devtools, anything a page might spawn) gets the same guards.
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      const link = externalLinkTarget(url);
      if (link) void openExternal(link);
      return windowOpenResponse();
    });
    contents.on('will-frame-navigate', (details) => {
      if (!navigationAllowed(details.url)) details.preventDefault();
    });
    contents.on('will-redirect', (details) => {
      if (!navigationAllowed(details.url)) details.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });

  // Let running jobs be marked and the database closed cleanly before the process exits.
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    service
      .closeProject()
      .catch((err: unknown) => console.error('Closing the project failed:', err))
      .finally(() => app.quit());
  });

  void app.whenReady().then(() => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
    ses.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));
    ses.webRequest.onHeadersReceived((details, callback) =>
      callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, details.url) }),
    );
    protocol.handle(
      APP_SCHEME,
      createProtocolHandler({ rendererDir, projectDir: () => service.currentProject()?.dir ?? null }),
    );
    registerIpcHandlers(ipcMain, service);
    forwardEvents(service, () => BrowserWindow.getAllWindows().map((w) => w.webContents));

    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        appMenuTemplate({
          platform: process.platform,
          devTools,
          actions: {
            newProject: () => void chooseProjectFolder('create'),
            openProject: () => void chooseProjectFolder('open'),
            about: () =>
              void dialog.showMessageBox({
                type: 'info',
                title: 'About STSR Studio',
                message: `STSR Studio ${app.getVersion()}`,
                detail: `Electron ${process.versions.electron} · Node ${process.versions.node}`,
              }),
          },
        }),
      ),
    );

    if (!existsSync(join(rendererDir, 'index.html'))) {
      dialog.showErrorBox(
        'STSR Studio is not built',
        `${rendererDir}/index.html is missing: run \`npm run build\` (or \`npm start\`, which builds first).`,
      );
      app.exit(1);
      return;
    }
    createWindow();
  });
}

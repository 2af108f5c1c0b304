import type { MenuItemConstructorOptions } from 'electron';
import type { ApiErrorBody } from '../../preload/contract';
import type { AppService } from '../engine/service/app-service';

export interface MenuActions {
  newProject(): void;
  openProject(): void;
  about(): void;
}

/**
 * The application menu as a plain template (Menu.buildFromTemplate in main.ts), with the usual
 * keyboard shortcuts. Edit roles keep copy/paste working in text fields; View keeps zoom.
 */
export function appMenuTemplate(options: {
  platform: NodeJS.Platform;
  devTools: boolean;
  actions: MenuActions;
}): MenuItemConstructorOptions[] {
  const { actions } = options;
  const mac = options.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => actions.newProject() },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.openProject() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', accelerator: 'CmdOrCtrl+Q' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { role: 'reload' },
      ...(options.devTools ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    label: '&Help',
    submenu: [{ label: 'About STSR Studio', click: () => actions.about() }],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    file,
    { role: 'editMenu', label: '&Edit' },
    view,
    { role: 'windowMenu' },
    help,
  ];
}

/** Options for dialog.showOpenDialog when choosing a project folder. */
export function projectFolderDialog(kind: 'open' | 'create'): {
  title: string;
  buttonLabel: string;
  properties: ('openDirectory' | 'createDirectory' | 'promptToCreate')[];
} {
  return kind === 'open'
    ? { title: 'Open STSR project', buttonLabel: 'Open project', properties: ['openDirectory'] }
    : {
        title: 'Choose a folder for the new project',
        buttonLabel: 'Create project',
        properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
      };
}

/**
 * Runs File > New/Open Project with the folder the user chose, through the same validated
 * `dispatch` the renderer uses. Returns null when done or cancelled, else the typed error to show.
 * The service emits a 'project' event, so the window updates itself.
 */
export async function runProjectFolderCommand(
  service: Pick<AppService, 'dispatch'>,
  kind: 'open' | 'create',
  choice: { canceled: boolean; filePaths: string[] },
): Promise<ApiErrorBody | null> {
  const dir = choice.filePaths[0];
  if (choice.canceled || dir === undefined) return null;
  const r = await service.dispatch(kind === 'open' ? 'project.open' : 'project.create', { dir });
  return r.ok ? null : r.error;
}

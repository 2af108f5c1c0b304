/**
 * The sandboxed preload: exposes the contract to the page as `window.stsr` and nothing else.
 * It imports only the dependency-free names from ./contract/methods (no zod), and is bundled
 * to CommonJS (dist-electron/preload.cjs) because sandboxed preloads cannot load ES modules or
 * anything but 'electron'. Validation and the sender check happen in main (main/app/ipc-table).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, METHOD_NAMES } from './contract/methods';

const invoke = (method: string, input: unknown): Promise<unknown> =>
  ipcRenderer.invoke(IPC_INVOKE, method, input ?? {});

contextBridge.exposeInMainWorld('stsr', {
  invoke,
  onEvent(listener: (event: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
    const forward = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(IPC_EVENT, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, forward);
    };
  },
  // One function per contract method (window.stsr.methods['samples.list'](input)), from the list.
  methods: Object.fromEntries(METHOD_NAMES.map((m) => [m, (input: unknown) => invoke(m, input)])),
});

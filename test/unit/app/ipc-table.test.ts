import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IPC_EVENT,
  IPC_INVOKE,
  Outputs,
  type ApiEvent,
  type ApiResult,
  type MethodName,
} from '../../../preload/contract';
import { AppService } from '../../../main/engine/service/app-service';
import {
  forwardEvents,
  registerIpcHandlers,
  senderAllowed,
  type IpcMainLike,
  type InvokeEventLike,
} from '../../../main/app/ipc-table';
import { ALL_METHODS, BAD_INPUTS, ESCAPING_PATHS } from '../../helpers/bad-inputs';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

type Listener = (event: InvokeEventLike, ...args: unknown[]) => unknown;

/**
 * Electron cannot run here, so ipcMain is replaced by a plain object that records what is
 * registered (and, like Electron, refuses a second handler on one channel). The handler it
 * records runs against the real AppService and a real project on disk.
 */
function recordingIpcMain(): IpcMainLike & { handlers: Map<string, Listener> } {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler(channel) {
      handlers.delete(channel);
    },
  };
}

const APP_FRAME: InvokeEventLike = { senderFrame: { url: 'stsr://app/index.html', parent: null } };

const tmp = makeTempDir();
let service: AppService;
let ipc: ReturnType<typeof recordingIpcMain>;
let dispose: () => void;

function call(
  method: unknown,
  input?: unknown,
  event: InvokeEventLike = APP_FRAME,
): Promise<ApiResult<unknown>> {
  const handler = ipc.handlers.get(IPC_INVOKE);
  if (!handler) throw new Error('no invoke handler registered');
  return Promise.resolve(handler(event, method, input)) as Promise<ApiResult<unknown>>;
}

function expectError(r: ApiResult<unknown>, code: string, label = ''): void {
  expect(r.ok, label).toBe(false);
  if (!r.ok) {
    expect(r.error.code, label).toBe(code);
    expect(r.error.message.length, label).toBeGreaterThan(5);
  }
}

function expectOutput(method: MethodName, r: ApiResult<unknown>): void {
  expect(r.ok, `${method}: ${JSON.stringify(r)}`).toBe(true);
  if (r.ok) expect(Outputs[method].safeParse(r.value).success, method).toBe(true);
}

beforeAll(() => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  service = new AppService({ transport: 'electron' });
  ipc = recordingIpcMain();
  dispose = registerIpcHandlers(ipc, service);
});
afterAll(async () => {
  dispose();
  await service.closeProject();
  tmp.cleanup();
});

describe('IPC handler table', () => {
  it('registers exactly one invoke handler and can remove it', () => {
    expect([...ipc.handlers.keys()]).toEqual([IPC_INVOKE]);
    const other = recordingIpcMain();
    const off = registerIpcHandlers(other, service);
    expect(() => registerIpcHandlers(other, service)).toThrow(/second handler/);
    off();
    expect(other.handlers.size).toBe(0);
  });

  it('answers valid calls with outputs that match the contract', async () => {
    const info = await call('app.info', {});
    expectOutput('app.info', info);
    expect(info.ok && (info.value as { transport: string }).transport).toBe('electron');
    expectError(await call('samples.list', {}), 'NO_PROJECT');

    const dir = join(tmp.dir, 'proj');
    expectOutput('project.create', await call('project.create', { dir, name: 'Electron test' }));
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
    for (const m of ['app.info', 'project.info', 'project.recent', 'samples.list', 'jobs.list'] as const) {
      expectOutput(m, await call(m, {}));
    }
    // An omitted input is treated as {} (the preload sends {} too).
    expectOutput('project.info', await call('project.info'));
    expectOutput('project.open', await call('project.open', { dir }));
  });

  it('refuses bad input to every method with a typed BAD_INPUT, never a throw', async () => {
    for (const method of ALL_METHODS) {
      for (const input of BAD_INPUTS[method]) {
        const label = `${method} ${JSON.stringify(input)}`;
        const r = await call(method, input);
        expectError(r, 'BAD_INPUT', label);
        if (!r.ok) expect(r.error.issues?.length, label).toBeGreaterThan(0);
      }
    }
  });

  it('refuses unknown methods and non-string method names', async () => {
    for (const m of [
      'nope',
      '__proto__',
      'constructor',
      'toString',
      'app.info.x',
      '',
      42,
      null,
      undefined,
      {},
      ['app.info'],
    ]) {
      expectError(await call(m, {}), 'UNKNOWN_METHOD', String(m));
    }
  });

  it('reads project files but nothing outside the project', async () => {
    expectError(await call('project.readText', { path: 'exports/missing.txt' }), 'NOT_FOUND');
    for (const p of ESCAPING_PATHS) expectError(await call('project.readText', { path: p }), 'FORBIDDEN', p);
  });

  it('refuses every sender that is not the app page itself, before touching the engine', async () => {
    const foreign: InvokeEventLike[] = [
      {},
      { senderFrame: null },
      { senderFrame: { url: 'https://evil.example/index.html', parent: null } },
      { senderFrame: { url: 'file:///etc/passwd', parent: null } },
      { senderFrame: { url: 'http://127.0.0.1:5173/', parent: null } },
      { senderFrame: { url: 'stsr://app.evil/index.html', parent: null } },
      { senderFrame: { url: 'stsr://app:8080/index.html', parent: null } },
      { senderFrame: { url: 'stsr://user@app/index.html', parent: null } },
      { senderFrame: { url: 'devtools://devtools/bundled/inspector.html', parent: null } },
      { senderFrame: { url: 'about:blank', parent: null } },
      // an iframe inside the app page is not the app page
      { senderFrame: { url: 'stsr://app/index.html', parent: { url: 'stsr://app/index.html' } } },
    ];
    const dir = join(tmp.dir, 'never-created');
    for (const event of foreign) {
      expect(senderAllowed(event)).toBe(false);
      const r = await call('project.create', { dir }, event);
      expectError(r, 'FORBIDDEN', JSON.stringify(event));
    }
    expect(existsSync(dir)).toBe(false);
    expect(senderAllowed(APP_FRAME)).toBe(true);
  });

  it('forwards engine events to live windows only, until stopped', async () => {
    const live: unknown[][] = [];
    const dead: unknown[][] = [];
    const sinks = [
      { send: (...a: unknown[]) => live.push(a), isDestroyed: () => false },
      { send: (...a: unknown[]) => dead.push(a), isDestroyed: () => true },
    ];
    const stop = forwardEvents(service, () => sinks);
    const dir = join(tmp.dir, 'proj2');
    expectOutput('project.create', await call('project.create', { dir }));
    expect(dead).toEqual([]);
    const projectEvent = live.find(([, e]) => (e as ApiEvent).type === 'project');
    expect(projectEvent?.[0]).toBe(IPC_EVENT);
    expect((projectEvent?.[1] as { project: { dir: string } }).project.dir).toBe(dir);
    stop();
    const before = live.length;
    expectOutput('project.open', await call('project.open', { dir: join(tmp.dir, 'proj') }));
    expect(live.length).toBe(before);
  });

  it('runs a real import job through IPC and pushes its progress as events', async () => {
    const events: ApiEvent[] = [];
    const stop = forwardEvents(service, () => [
      { send: (_c: string, e: unknown) => events.push(e as ApiEvent), isDestroyed: () => false },
    ]);
    const submitted = await call('samples.import', {
      path: sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'),
      name: 'anterior',
    });
    expectOutput('samples.import', submitted);
    const jobId = submitted.ok ? (submitted.value as { jobId: number }).jobId : -1;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const last = events.filter((e) => e.type === 'job' && e.job.id === jobId).at(-1);
      if (last?.type === 'job' && ['done', 'failed', 'cancelled'].includes(last.job.state)) {
        expect(last.job.state, JSON.stringify(last.job.error)).toBe('done');
        break;
      }
      if (Date.now() > deadline) throw new Error('import job did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    stop();
    const list = await call('samples.list', {});
    expectOutput('samples.list', list);
    expect(list.ok && (list.value as { name: string }[]).map((s) => s.name)).toContain('anterior');
    expect(events.some((e) => e.type === 'samples-changed')).toBe(true);
  });
});

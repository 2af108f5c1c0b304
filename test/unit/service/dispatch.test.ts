import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outputs, type ApiResult } from '../../../preload/contract';
import { AppService } from '../../../main/engine/service/app-service';
import { ALL_METHODS, BAD_INPUTS, ESCAPING_PATHS } from '../../helpers/bad-inputs';
import { plantEscapes, SECRET } from '../../helpers/escape-fixture';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
let service: AppService;

beforeAll(() => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  service = new AppService({ transport: 'http' });
});
afterAll(async () => {
  await service.closeProject();
  tmp.cleanup();
});

function expectError(r: ApiResult<unknown>, code: string): void {
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(5);
  }
}

describe('AppService.dispatch', () => {
  it('needs a project for project-bound methods and says so', async () => {
    expectError(await service.dispatch('samples.list', {}), 'NO_PROJECT');
    const r = await service.dispatch('jobs.list', {});
    expect(!r.ok && r.error.hint).toMatch(/Create or open a project/);
  });

  it('creates a project, answers with outputs that match the contract, and remembers it', async () => {
    const dir = join(tmp.dir, 'proj');
    const created = await service.dispatch('project.create', { dir, name: 'Breast' });
    expect(created.ok).toBe(true);
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true);
    for (const m of ['app.info', 'project.info', 'project.recent', 'samples.list', 'jobs.list'] as const) {
      const r = await service.dispatch(m, {});
      expect(r.ok, m).toBe(true);
      if (r.ok) expect(Outputs[m].safeParse(r.value).success, m).toBe(true);
    }
    const recent = await service.dispatch('project.recent', {});
    expect(recent.ok && (recent.value as { dir: string }[])[0]!.dir).toBe(dir);
  });

  it('offers the weights-free extractors and refuses any other, naming the ones it knows', async () => {
    const list = await service.dispatch('features.extractors', {});
    expect(list.ok && (list.value as { id: string }[]).map((e) => e.id)).toEqual([
      'builtin',
      'nuclei',
      'slide-encoder',
    ]);
    const r = await service.dispatch('features.run', { sampleId: 1, extractor: 'uni' });
    expectError(r, 'BAD_INPUT');
    expect(!r.ok && r.error.message).toMatch(/"uni".*builtin, nuclei, slide-encoder.*--extractor FILE\.onnx/);
  });

  it('refuses bad input to every method with BAD_INPUT and field-level issues', async () => {
    for (const method of ALL_METHODS) {
      for (const input of BAD_INPUTS[method]) {
        const r = await service.dispatch(method, input);
        expect(r.ok, `${method} ${JSON.stringify(input)}`).toBe(false);
        if (!r.ok) {
          expect(r.error.code, `${method} ${JSON.stringify(input)}`).toBe('BAD_INPUT');
          expect(r.error.issues?.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('refuses unknown methods, prototype names included', async () => {
    for (const m of ['nope', '__proto__', 'constructor', 'toString', 'project.create.extra']) {
      expectError(await service.dispatch(m, {}), 'UNKNOWN_METHOD');
    }
  });

  it('reads project files but nothing outside the project', async () => {
    const dir = join(tmp.dir, 'proj');
    writeFileSync(join(dir, 'exports', 'note.txt'), 'hello');
    const ok = await service.dispatch('project.readText', { path: 'exports/note.txt' });
    expect(ok).toEqual({ ok: true, value: { text: 'hello' } });
    for (const p of ESCAPING_PATHS)
      expectError(await service.dispatch('project.readText', { path: p }), 'FORBIDDEN');
    expectError(await service.dispatch('project.readText', { path: 'exports/missing.txt' }), 'NOT_FOUND');
  });

  it('project.readText follows no link out of the project and no alias of the database (#16)', async () => {
    const dir = join(tmp.dir, 'proj');
    const { ok, refused } = plantEscapes(dir, join(tmp.dir, 'outside'));
    for (const rel of ok)
      expect((await service.dispatch('project.readText', { path: rel })).ok, rel).toBe(true);
    for (const c of refused) {
      const r = await service.dispatch('project.readText', { path: c.rel });
      expectError(r, c.code);
      // the refusal never echoes what the link points at
      expect(JSON.stringify(r), c.rel).not.toContain(SECRET);
      expect(JSON.stringify(r), c.rel).not.toContain('SQLite format');
    }
  });

  it('gives typed errors for missing jobs and projects rather than crashing', async () => {
    expectError(await service.dispatch('jobs.cancel', { jobId: 999 }), 'NOT_FOUND');
    expectError(await service.dispatch('project.open', { dir: join(tmp.dir, 'none') }), 'NOT_FOUND');
    expectError(await service.dispatch('project.create', { dir: join(tmp.dir, 'proj') }), 'CONFLICT');
  });
});

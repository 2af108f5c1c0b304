import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProtocolHandler, mapAppRequest, type ProtocolRoots } from '../../../main/app/protocol';
import { plantEscapes, SECRET, SERVED_ONLY } from '../../helpers/escape-fixture';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const rendererDir = join(tmp.dir, 'renderer');
const projectDir = join(tmp.dir, 'project');
const outsideDir = join(tmp.dir, 'outside');
for (const d of [
  join(rendererDir, 'assets'),
  join(projectDir, 'exports'),
  join(projectDir, 'arrays'),
  outsideDir,
])
  mkdirSync(d, { recursive: true });
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>STSR</title>');
writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(projectDir, 'project.sqlite'), 'SQLite format 3\0');
writeFileSync(join(projectDir, 'project.sqlite-wal'), 'wal');
writeFileSync(join(projectDir, 'exports', 'note.csv'), 'hello');
writeFileSync(join(outsideDir, 'secret.txt'), 'TOP-SECRET-CONTENT');
symlinkSync(join(outsideDir, 'secret.txt'), join(projectDir, 'exports', 'link.csv'));
symlinkSync(outsideDir, join(projectDir, 'arrays', 'linkdir'));

const escapes = plantEscapes(projectDir, join(tmp.dir, 'outside2'));
const roots: ProtocolRoots = { rendererDir, projectDir };
const real = (p: string) => realpathSync(p);

function status(url: string, method = 'GET', r = roots): number {
  const t = mapAppRequest(url, method, r);
  return t.kind === 'error' ? t.status : 200;
}

describe('stsr:// request mapping', () => {
  it('serves the built renderer, with the CSP on HTML', () => {
    for (const url of ['stsr://app/', 'stsr://app/index.html', 'stsr://APP/index.html']) {
      const t = mapAppRequest(url, 'GET', roots);
      expect(t.kind === 'file' && t.file.path).toBe(real(join(rendererDir, 'index.html')));
    }
    const js = mapAppRequest('stsr://app/assets/app.js', 'HEAD', roots);
    expect(js.kind).toBe('file');
  });

  it('serves files of the open project under /files/', () => {
    const t = mapAppRequest('stsr://app/files/exports/note.csv', 'GET', roots);
    expect(t.kind === 'file' && t.file.path).toBe(real(join(projectDir, 'exports', 'note.csv')));
    expect(status('stsr://app/files/exports/note.csv', 'GET', { rendererDir, projectDir: null })).toBe(404);
  });

  it('refuses traversal, absolute paths and NUL bytes, encoded or not', () => {
    const refused = [
      'stsr://app/files/..%2f..%2fsecret.txt',
      'stsr://app/files/%2e%2e%2foutside%2fsecret.txt',
      'stsr://app/files/exports%2f..%2f..%2foutside%2fsecret.txt',
      'stsr://app/files/%2Fetc%2Fpasswd',
      'stsr://app/files/C:%5CWindows%5Cwin.ini',
      'stsr://app/files/exports/note.csv%00.png',
      'stsr://app/..%2f..%2fproject%2fexports%2fnote.csv',
      'stsr://app/%2Fetc%2Fpasswd',
    ];
    for (const url of refused) expect(status(url), url).toBe(403);
    // The URL parser folds literal `..` segments before we see them: these stay inside the renderer.
    expect(status('stsr://app/files/../../etc/passwd')).toBe(404);
    expect(status('stsr://app/files/%E0%A4%A')).toBe(400);
  });

  it('never serves the project database or its WAL files', () => {
    for (const rel of [
      'project.sqlite',
      'project.sqlite-wal',
      'project.sqlite-shm',
      'PROJECT.SQLITE',
      'arrays/..%2fproject.sqlite',
    ]) {
      expect(status(`stsr://app/files/${rel}`), rel).toBe(403);
    }
  });

  it('answers only GET/HEAD on the app host', () => {
    expect(status('stsr://app/index.html', 'POST')).toBe(405);
    expect(status('stsr://evil/index.html')).toBe(404);
    expect(status('stsr://app:99/index.html')).toBe(404);
    expect(status('https://app/index.html')).toBe(404);
    expect(status('not a url')).toBe(400);
  });
});

describe('stsr:// protocol handler', () => {
  const handler = createProtocolHandler({ rendererDir, projectDir: () => projectDir });
  const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

  it('streams renderer and project files with safe headers', async () => {
    const index = await get('stsr://app/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>STSR</title>');
    const note = await get('stsr://app/files/exports/note.csv');
    expect(note.status).toBe(200);
    expect(await note.text()).toBe('hello');
    const head = await get('stsr://app/files/exports/note.csv', 'HEAD');
    expect(head.headers.get('content-length')).toBe('5');
  });

  it('refuses the database, missing files, folders and symlinks out of the project', async () => {
    expect((await get('stsr://app/files/project.sqlite')).status).toBe(403);
    expect((await get('stsr://app/files/exports/missing.csv')).status).toBe(404);
    expect((await get('stsr://app/files/exports')).status).toBe(403);
    expect((await get('stsr://app/files/exports/link.csv')).status).toBe(403);
    expect((await get('stsr://app/files/arrays/linkdir/secret.txt')).status).toBe(403);
    const refused = await get('stsr://app/files/..%2foutside%2fsecret.txt');
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('TOP-SECRET-CONTENT');
  });

  it('serves nothing from the project when none is open', async () => {
    const closed = createProtocolHandler({ rendererDir, projectDir: () => null });
    expect((await closed(new Request('stsr://app/files/exports/note.csv'))).status).toBe(404);
    expect((await closed(new Request('stsr://app/index.html'))).status).toBe(200);
  });

  it('refuses every link out of the project, every alias of the database and temp files (#16)', async () => {
    for (const c of [...escapes.refused, ...SERVED_ONLY.refused]) {
      const r = await get(`stsr://app/files/${c.rel.split('/').map(encodeURIComponent).join('/')}`);
      expect(r.status, `${c.rel}: ${c.why}`).toBe(c.code === 'NOT_FOUND' ? 404 : 403);
      const text = await r.text();
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('SQLite format');
      expect(text).not.toContain('root:');
    }
    for (const rel of [...escapes.ok, ...SERVED_ONLY.ok])
      expect((await get(`stsr://app/files/${rel}`)).status, rel).toBe(200);
  });

  it('sends the CSP on every answer, errors and non-HTML files included', async () => {
    for (const url of [
      'stsr://app/',
      'stsr://app/assets/app.js',
      'stsr://app/files/exports/note.csv',
      'stsr://app/files/project.sqlite',
      'stsr://app/nope.html',
      'stsr://evil/',
    ]) {
      const r = await get(url);
      expect(r.headers.get('content-security-policy'), url).toMatch(/default-src 'none'/);
      expect(r.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
  });
});

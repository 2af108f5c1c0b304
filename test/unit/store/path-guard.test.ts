import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../../main/engine/errors';
import {
  guardOutputPath,
  guardProjectFile,
  guardTreeFile,
  openGuarded,
} from '../../../main/engine/store/path-guard';
import { plantEscapes, SERVED_ONLY, type EscapeCase } from '../../helpers/escape-fixture';
import { ESCAPING_PATHS } from '../../helpers/bad-inputs';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-guard-');
afterAll(tmp.cleanup);
const projectDir = join(tmp.dir, 'project');
const outsideDir = join(tmp.dir, 'outside');
mkdirSync(projectDir);
writeFileSync(join(projectDir, 'project.sqlite'), 'SQLite format 3\0');
writeFileSync(join(projectDir, 'project.sqlite-wal'), 'wal');
const cases = plantEscapes(projectDir, outsideDir);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return err instanceof EngineError ? err.code : `untyped: ${String(err)}`;
  }
  return 'ok';
}

describe('the path guard', () => {
  it('passes project files of the kinds each route serves, by their real path', () => {
    for (const rel of [...cases.ok, ...SERVED_ONLY.ok]) {
      const g = guardProjectFile(projectDir, rel, 'served');
      expect(readFileSync(openGuarded(g), 'utf8').length).toBe(g.size);
    }
    expect(codeOf(() => guardProjectFile(projectDir, 'exports/spots.csv', 'text'))).toBe('ok');
  });

  it.each([...cases.refused, ...SERVED_ONLY.refused].map((c) => [c.why, c] as [string, EscapeCase]))(
    'refuses %s',
    (_why, c) => {
      expect(codeOf(() => guardProjectFile(projectDir, c.rel, 'served'))).toBe(c.code);
    },
  );

  it('refuses on the text route the same links, and every lexical escape', () => {
    for (const c of cases.refused)
      expect(
        codeOf(() => guardProjectFile(projectDir, c.rel, 'text')),
        c.rel,
      ).toBe(c.code);
    for (const p of ESCAPING_PATHS)
      expect(
        codeOf(() => guardProjectFile(projectDir, p, 'text')),
        p,
      ).toBe('FORBIDDEN');
  });

  it('serves only the kinds a route is for', () => {
    writeFileSync(join(projectDir, 'exports', 'notes.txt'), 'hi');
    expect(codeOf(() => guardProjectFile(projectDir, 'exports/notes.txt', 'served'))).toBe('FORBIDDEN');
    expect(codeOf(() => guardProjectFile(projectDir, 'exports/notes.txt', 'text'))).toBe('ok');
    expect(codeOf(() => guardProjectFile(projectDir, 'pyramids/job-1/slide.dzi', 'text'))).toBe('FORBIDDEN');
    expect(codeOf(() => guardProjectFile(projectDir, 'bench/x.json', 'served'))).toBe('FORBIDDEN');
    const err = (() => {
      try {
        guardProjectFile(projectDir, 'arrays/x.arr', 'served');
      } catch (e) {
        return e as EngineError;
      }
    })();
    expect(err?.message).toMatch(/arrays\/x\.arr.*pyramids\/.*exports\//);
  });

  it('accepts a project reached through a symlinked folder', () => {
    const alias = join(tmp.dir, 'alias');
    symlinkSync(projectDir, alias);
    expect(codeOf(() => guardProjectFile(alias, 'exports/spots.csv', 'served'))).toBe('ok');
    expect(codeOf(() => guardProjectFile(alias, 'exports/db.csv', 'served'))).toBe('FORBIDDEN');
  });

  it('keeps renderer files inside the renderer folder after realpath', () => {
    const r = join(tmp.dir, 'renderer');
    mkdirSync(r);
    writeFileSync(join(r, 'index.html'), 'x');
    symlinkSync(join(outsideDir, 'secret.csv'), join(r, 'leak.js'));
    expect(codeOf(() => guardTreeFile(r, 'index.html'))).toBe('ok');
    expect(codeOf(() => guardTreeFile(r, 'leak.js'))).toBe('FORBIDDEN');
    expect(codeOf(() => guardTreeFile(r, 'nope.js'))).toBe('NOT_FOUND');
  });

  it('lets CLI outputs go anywhere outside the project but never over its state', () => {
    expect(guardOutputPath(projectDir, join(outsideDir, 'c2.h5ad'))).toBe(join(outsideDir, 'c2.h5ad'));
    expect(codeOf(() => guardOutputPath(projectDir, join(projectDir, 'exports', 'c2.h5ad')))).toBe('ok');
    for (const bad of [
      'project.sqlite',
      'project.sqlite-wal',
      'arrays/x.arr',
      'pyramids/job-1/slide.dzi',
      'exports/db.csv',
      'exports/db-hard.csv',
      'exports/up/project.sqlite',
      'c2.h5ad',
    ]) {
      expect(
        codeOf(() => guardOutputPath(projectDir, join(projectDir, bad))),
        bad,
      ).toBe('FORBIDDEN');
    }
    // an existing symlink out of the project is written through to its real target, named in the result
    symlinkSync(join(outsideDir, 'target.csv'), join(tmp.dir, 'out-link.csv'));
    expect(codeOf(() => guardOutputPath(projectDir, join(tmp.dir, 'out-link.csv')))).toBe('ok');
    expect(codeOf(() => guardOutputPath(projectDir, join(projectDir, 'exports', 'fifo.csv')))).toBe(
      'BAD_INPUT',
    );
    expect(codeOf(() => guardOutputPath(projectDir, join(tmp.dir, 'no', 'such', 'dir.csv')))).toBe(
      'NOT_FOUND',
    );
  });
});

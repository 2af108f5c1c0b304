import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Text that must never come back from any front door. */
export const SECRET = 'TOP-SECRET-OUTSIDE-THE-PROJECT';

/** A project file a front door may serve, or one it must refuse with this error code. */
export interface EscapeCase {
  rel: string;
  why: string;
  code: 'FORBIDDEN' | 'NOT_FOUND';
}

/**
 * Plants the links and odd files of issue #16 findings 1–2 in a project folder (which must hold
 * project.sqlite already): symlinks out of the project, in-project aliases of the database by
 * symlink and hard link, links to arrays/, a job's hidden .work/ folder, a symlink loop, a FIFO.
 * Shared by the guard's unit test, the Electron protocol test, the IPC/dispatch tests and the
 * HTTP test, so every front door is held to the same list.
 */
export function plantEscapes(
  projectDir: string,
  outsideDir: string,
): { ok: string[]; refused: EscapeCase[] } {
  mkdirSync(outsideDir, { recursive: true });
  writeFileSync(join(outsideDir, 'secret.csv'), SECRET);
  writeFileSync(join(outsideDir, 'secret.png'), SECRET);
  for (const d of ['exports', 'layers', 'arrays', 'pyramids/job-1/slide_files/0', 'pyramids/job-2/.work'])
    mkdirSync(join(projectDir, d), { recursive: true });
  writeFileSync(join(projectDir, 'exports', 'spots.csv'), 'id,x\n1,2\n');
  writeFileSync(join(projectDir, 'pyramids', 'job-1', 'slide.dzi'), '<Image/>');
  writeFileSync(join(projectDir, 'pyramids', 'job-1', 'slide_files', '0', '0_0.jpeg'), 'jpeg');
  writeFileSync(join(projectDir, 'pyramids', 'job-2', '.work', 'slide.png'), 'half-built');
  writeFileSync(join(projectDir, 'arrays', 'x.arr'), 'array');
  symlinkSync(join(outsideDir, 'secret.csv'), join(projectDir, 'exports', 'passwd.csv'));
  symlinkSync('/etc/passwd', join(projectDir, 'pyramids', 'etc.jpeg'));
  symlinkSync(outsideDir, join(projectDir, 'layers', 'outdir'));
  symlinkSync(outsideDir, join(projectDir, 'exports', 'outdir'));
  symlinkSync('../project.sqlite', join(projectDir, 'exports', 'db.csv'));
  symlinkSync('../project.sqlite', join(projectDir, 'exports', 'x.bin'));
  symlinkSync('../../project.sqlite', join(projectDir, 'pyramids', 'job-1', 'db.png'));
  linkSync(join(projectDir, 'project.sqlite'), join(projectDir, 'exports', 'db-hard.csv'));
  symlinkSync('../arrays/x.arr', join(projectDir, 'exports', 'arr.csv'));
  symlinkSync('loop.csv', join(projectDir, 'exports', 'loop.csv'));
  symlinkSync('..', join(projectDir, 'exports', 'up'));
  execFileSync('mkfifo', [join(projectDir, 'exports', 'fifo.csv')]);
  return {
    ok: ['exports/spots.csv'],
    refused: [
      { rel: 'exports/passwd.csv', why: 'symlink to a file outside', code: 'FORBIDDEN' },
      { rel: 'exports/outdir/secret.csv', why: 'symlinked folder outside', code: 'FORBIDDEN' },
      { rel: 'exports/db.csv', why: 'symlink alias of project.sqlite', code: 'FORBIDDEN' },
      { rel: 'exports/x.bin', why: 'alias of project.sqlite with another ending', code: 'FORBIDDEN' },
      { rel: 'exports/db-hard.csv', why: 'hard link to project.sqlite', code: 'FORBIDDEN' },
      { rel: 'exports/up/project.sqlite', why: 'database through a link to ..', code: 'FORBIDDEN' },
      { rel: 'exports/up/arrays/x.arr', why: 'arrays through a link to ..', code: 'FORBIDDEN' },
      { rel: 'exports/arr.csv', why: 'symlink into arrays/', code: 'FORBIDDEN' },
      { rel: 'exports/loop.csv', why: 'symlink loop', code: 'FORBIDDEN' },
      { rel: 'exports/fifo.csv', why: 'a FIFO (would block a reader)', code: 'NOT_FOUND' },
      { rel: 'arrays/x.arr', why: 'arrays are state, not content', code: 'FORBIDDEN' },
      { rel: 'project.sqlite', why: 'the database by name', code: 'FORBIDDEN' },
      { rel: 'exports/missing.csv', why: 'absent', code: 'NOT_FOUND' },
    ],
  };
}

/** Cases only the `served` route (tiles) knows: pyramids/ and layers/. */
export const SERVED_ONLY = {
  ok: ['pyramids/job-1/slide.dzi', 'pyramids/job-1/slide_files/0/0_0.jpeg'],
  refused: [
    { rel: 'pyramids/etc.jpeg', why: 'tile name linked to /etc/passwd', code: 'FORBIDDEN' },
    { rel: 'pyramids/job-1/db.png', why: 'tile name linked to the database', code: 'FORBIDDEN' },
    { rel: 'pyramids/job-2/.work/slide.png', why: "a killed job's temp files", code: 'FORBIDDEN' },
    { rel: 'layers/outdir/secret.png', why: 'layer folder linked outside', code: 'FORBIDDEN' },
    { rel: 'pyramids/job-1/slide_files/0/0_0.jpeg/..', why: 'a folder', code: 'FORBIDDEN' },
  ] as EscapeCase[],
};

import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { TEMP_PREFIX } from './atomic-file';
import { openDatabase, type Db } from './database';
import { migrate } from './migrations';
import { sweepJobWork } from './job-temp';
import { ARRAYS_DIR, DB_FILE, EXPORTS_DIR, PYRAMIDS_DIR } from './project-paths';
import { getMeta, setMeta } from './repos/meta';
import { hasRunningJobs, interruptOrphanedJobs } from './repos/jobs';

/** An open project: a folder with project.sqlite and arrays/ (docs/architecture.md, "store/"). */
export interface Project {
  dir: string;
  db: Db;
  schemaVersion: number;
  arraysDir: string;
  name(): string;
  close(): void;
}

function isProjectDir(dir: string): boolean {
  return existsSync(join(dir, DB_FILE));
}

/** Creates a project folder (or adopts an empty/nonexistent one). An existing project is refused. */
export function createProject(dir: string, name?: string): Project {
  const root = resolve(dir);
  if (isProjectDir(root)) {
    throw new EngineError('CONFLICT', `${root} already holds a project.`, {
      file: join(root, DB_FILE),
      hint: 'Open it instead, or choose an empty folder.',
    });
  }
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new EngineError('BAD_INPUT', `${root} is a file, not a folder.`, { file: root });
  }
  mkdirSync(root, { recursive: true });
  const project = openProjectAt(root, { create: true });
  setMeta(project.db, 'name', name ?? basename(root));
  setMeta(project.db, 'created_at', new Date().toISOString());
  return project;
}

/** Opens an existing project, migrating it forward; interrupted jobs and stray temp files are dealt with here. */
export function openProject(dir: string): Project {
  const root = resolve(dir);
  if (!isProjectDir(root)) {
    throw new EngineError('NOT_FOUND', `${root} is not an STSR Studio project (no ${DB_FILE}).`, {
      file: root,
      hint: 'Choose the project folder, or create a new project.',
    });
  }
  return openProjectAt(root, { create: false });
}

/** Opens the project at dir if there is one, else creates it (the CLI's `--project DIR`). */
export function openOrCreateProject(dir: string): Project {
  return isProjectDir(resolve(dir)) ? openProject(dir) : createProject(dir);
}

function openProjectAt(root: string, { create }: { create: boolean }): Project {
  const file = join(root, DB_FILE);
  let db: Db;
  try {
    db = openDatabase(file, { fileMustExist: !create });
  } catch (cause) {
    throw new EngineError('CORRUPT', `Cannot open ${file}: ${(cause as Error).message}`, {
      file,
      hint: 'The file may be damaged or not an SQLite database.',
      cause,
    });
  }
  let version: number;
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new EngineError('CORRUPT', `${file} failed SQLite's integrity check: ${String(check)}`, { file });
    }
    version = migrate(db, file);
    interruptOrphanedJobs(db);
  } catch (err) {
    db.close();
    if (err instanceof EngineError) throw err;
    throw new EngineError('CORRUPT', `Cannot read ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  const arraysDir = join(root, ARRAYS_DIR);
  for (const sub of [ARRAYS_DIR, PYRAMIDS_DIR, EXPORTS_DIR]) mkdirSync(join(root, sub), { recursive: true });
  // A running job (another process, or this one's worker) may be writing a temp file right now.
  if (!hasRunningJobs(db)) {
    for (const sub of [ARRAYS_DIR, PYRAMIDS_DIR, EXPORTS_DIR]) sweepTempFiles(join(root, sub), 1);
    sweepJobWork(root, db);
  }
  return {
    dir: root,
    db,
    schemaVersion: version,
    arraysDir,
    name: () => getMeta(db, 'name') ?? basename(root),
    close: () => db.close(),
  };
}

/**
 * Temp files are half-written arrays from a crash: never visible, removed on open — also inside
 * the folders of arrays/ (feature sets write their chunks there), `depth` levels down.
 */
function sweepTempFiles(dir: string, depth: number): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.name.startsWith(TEMP_PREFIX)) rmSync(path, { force: true, recursive: true });
    else if (depth > 0 && e.isDirectory()) sweepTempFiles(path, depth - 1);
  }
}

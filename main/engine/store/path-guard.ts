import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';
import { DB_FILE, EXPORTS_DIR, LAYERS_DIR, PYRAMIDS_DIR, resolveInsideProject } from './project-paths';

/**
 * The one guard every front door puts a project path through (browser mode's /files/, Electron's
 * stsr://app/files/, IPC/HTTP project.readText, CLI --out): the lexical check of
 * resolveInsideProject, then the same check again on the path with every symlink resolved, the
 * database refused under any alias (name, symlink or hard link), hidden and temporary files
 * refused, and only the kinds of file the route exists for.
 *
 * Inputs (`samples.import`, `stsr import PATH`) are NOT guarded: reading a slide or a matrix from
 * anywhere the user points at is the point of an import (docs/electron.md, docs/reliability.md).
 */

/** What a route is for: which top-level folders of the project and which file endings it serves. */
export interface RoutePolicy {
  readonly name: string;
  readonly folders: Readonly<Record<string, readonly string[]>>;
}

const EXPORT_KINDS = ['.h5ad', '.csv', '.geojson', '.png', '.svg'] as const;

/** Registry of the routes: adding a file kind to a front door is one line here. */
export const ROUTES = {
  /** /files/ and stsr://app/files/: slide tiles, layer images, finished exports. */
  served: {
    name: 'project files (tiles, layers, exports)',
    folders: {
      [PYRAMIDS_DIR]: ['.dzi', '.jpeg', '.jpg', '.png', '.webp'],
      [LAYERS_DIR]: ['.png', '.f32'], // .f32: raw SR values the viewer colours itself
      [EXPORTS_DIR]: EXPORT_KINDS,
    },
  },
  /** project.readText: text the app wrote for the user to read. */
  text: {
    name: 'text files of the project (exports, layers, bench reports)',
    folders: {
      [EXPORTS_DIR]: ['.csv', '.geojson', '.svg', '.txt', '.json', '.tsv', '.md'],
      [LAYERS_DIR]: ['.json'],
      bench: ['.json', '.md', '.txt', '.csv'],
    },
  },
  /** cohort.figure: a sample's domain figure under a cohort's results folder (the root here). */
  cohortFigures: {
    name: 'cohort figures',
    folders: { samples: ['.png'] },
  },
  /** Where a CLI --out may land when it is inside the project at all (outside: anywhere). */
  output: {
    name: 'outputs inside the project (exports/ or bench/)',
    folders: { [EXPORTS_DIR]: ['*'], bench: ['*'] },
  },
} as const satisfies Record<string, RoutePolicy>;

export type RouteName = keyof typeof ROUTES;

/** A file that passed the guard: its real path and identity, to be opened with openGuarded. */
export interface GuardedFile {
  /** the path with every symlink resolved */
  path: string;
  size: number;
  dev: number;
  ino: number;
}

const forbidden = (message: string, file?: string): EngineError =>
  new EngineError('FORBIDDEN', message, file === undefined ? {} : { file });

function isDbName(name: string): boolean {
  return name.toLowerCase().startsWith(DB_FILE);
}

/** Checks a project-relative path (forward or back slashes) against a route's folders and kinds. */
function checkRoute(rel: string, route: RoutePolicy, shown: string): void {
  const parts = rel.split(/[\\/]+/).filter((p) => p !== '');
  if (parts.some(isDbName)) throw forbidden(`"${shown}" is the project database, which is never served.`);
  // .work/ folders and .tmp- files are half-built state of a job: never visible to readers.
  if (parts.some((p) => p.startsWith('.'))) {
    throw forbidden(`"${shown}" is a hidden or temporary file of a job; it is not served.`);
  }
  const kinds = parts.length > 1 ? route.folders[parts[0]!] : undefined;
  const ext = extname(parts[parts.length - 1] ?? '').toLowerCase();
  if (!kinds || !(kinds.includes('*') || kinds.includes(ext))) {
    const allowed = Object.entries(route.folders)
      .map(([f, k]) => `${f}/ (${k.join(' ')})`)
      .join(', ');
    throw forbidden(`"${shown}" is not one of the ${route.name}; this route serves only ${allowed}.`);
  }
}

function isInside(root: string, full: string): boolean {
  const r = relative(root, full);
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}

function realRoot(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    throw new EngineError('NOT_FOUND', `The project folder ${dir} is gone.`, { file: dir });
  }
}

/** (dev, ino) of the database and its companions that exist: an alias by hard link is caught too. */
function dbIdentities(root: string): Stats[] {
  const out: Stats[] = [];
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    try {
      out.push(statSync(join(root, DB_FILE + suffix)));
    } catch {
      /* absent */
    }
  }
  return out;
}

function sameFile(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Resolves `rel` inside the project for `route`, or throws FORBIDDEN (outside, link out of the
 * project, the database, a hidden file, a kind the route does not serve) or NOT_FOUND.
 */
export function guardProjectFile(projectDir: string, rel: string, routeName: RouteName): GuardedFile {
  const route: RoutePolicy = ROUTES[routeName];
  const lexical = resolveInsideProject(projectDir, rel);
  const root = resolve(projectDir);
  checkRoute(relative(root, lexical), route, rel);
  const realRootDir = realRoot(root);
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw forbidden(`"${rel}" is a symlink loop.`);
    throw new EngineError('NOT_FOUND', `${rel} does not exist in the project.`);
  }
  if (!isInside(realRootDir, real)) {
    throw forbidden(
      `"${rel}" is a link to a file outside the project folder; only project files are served.`,
    );
  }
  // The link's target must itself be a file this route serves (exports/x.png → ../arrays/… is not).
  checkRoute(relative(realRootDir, real), route, rel);
  const st = statSync(real);
  if (!st.isFile()) throw new EngineError('NOT_FOUND', `${rel} is not a regular file.`);
  if (dbIdentities(realRootDir).some((db) => sameFile(db, st))) {
    throw forbidden(`"${rel}" is a link to the project database, which is never served.`);
  }
  return { path: real, size: st.size, dev: st.dev, ino: st.ino };
}

/**
 * Resolves `rel` under a read-only tree the app ships (the built renderer): lexical check, then
 * realpath inside the real root, regular files only. Throws FORBIDDEN or NOT_FOUND.
 */
export function guardTreeFile(rootDir: string, rel: string): GuardedFile {
  const lexical = resolveInsideProject(rootDir, rel);
  const realRootDir = realRoot(rootDir);
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new EngineError('NOT_FOUND', `${rel} not found.`);
  }
  if (!isInside(realRootDir, real)) throw forbidden(`"${rel}" links outside the folder it is served from.`);
  const st = statSync(real);
  if (!st.isFile()) throw new EngineError('NOT_FOUND', `${rel} is not a regular file.`);
  return { path: real, size: st.size, dev: st.dev, ino: st.ino };
}

/**
 * Opens a guarded file without following a link swapped in since the check (O_NOFOLLOW where the
 * platform has it) and makes sure it is still the same file. The caller closes the descriptor.
 */
export function openGuarded(g: GuardedFile): number {
  const fd = openSync(g.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  const st = fstatSync(fd);
  if (!sameFile(st, g) || !st.isFile()) {
    closeSync(fd);
    throw forbidden(`${basename(g.path)} changed while it was being opened.`);
  }
  return fd;
}

/**
 * Where a CLI output may be written. Outside the project: anywhere the user asks (an existing
 * target must be a regular file). Inside it: only exports/ or bench/, never the database, arrays,
 * pyramids, or a hidden file, whether named directly or reached through a symlink. Returns the
 * absolute path to write (the link's target when `out` is an existing symlink, so a writer that
 * opens the path itself cannot be steered through it).
 */
export function guardOutputPath(projectDir: string, out: string): string {
  const full = resolve(out);
  let real: string;
  let found: Stats | null = null;
  try {
    real = realpathSync(full);
    found = statSync(real);
  } catch {
    let parent: string;
    try {
      parent = realpathSync(dirname(full));
    } catch {
      throw new EngineError('NOT_FOUND', `The folder of ${out} does not exist.`, {
        file: out,
        hint: 'Create the folder first, or write somewhere else.',
      });
    }
    real = join(parent, basename(full));
  }
  const existing = found;
  if (existing && !existing.isFile()) {
    throw new EngineError('BAD_INPUT', `${out} exists and is not a regular file; not writing over it.`, {
      file: out,
    });
  }
  const realRootDir = realRoot(projectDir);
  if (isInside(realRootDir, real) || real === realRootDir) {
    const rel = relative(realRootDir, real);
    try {
      checkRoute(rel, ROUTES.output, out);
    } catch {
      throw new EngineError(
        'FORBIDDEN',
        `${out} would overwrite the project's own state (${rel}); write outputs to exports/ inside the project or anywhere outside it.`,
        { file: out },
      );
    }
  }
  if (existing && dbIdentities(realRootDir).some((db) => sameFile(db, existing))) {
    throw new EngineError('FORBIDDEN', `${out} is a link to the project database; not writing over it.`, {
      file: out,
    });
  }
  // The path as the user wrote it (results and messages show it), unless it is itself a link.
  let isLink = false;
  try {
    isLink = lstatSync(full).isSymbolicLink();
  } catch {
    /* does not exist yet */
  }
  return isLink ? real : full;
}

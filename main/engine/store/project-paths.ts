import { isAbsolute, relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';

export const DB_FILE = 'project.sqlite';
export const ARRAYS_DIR = 'arrays';
export const PYRAMIDS_DIR = 'pyramids';
export const EXPORTS_DIR = 'exports';
export const LAYERS_DIR = 'layers';

/**
 * Resolves a project-relative path, refusing anything that escapes the project folder
 * (`..`, absolute paths, NUL bytes). Everything served to the renderer goes through here.
 */
export function resolveInsideProject(projectDir: string, rel: string): string {
  if (rel.includes('\0')) throw new EngineError('FORBIDDEN', 'Path contains a NUL byte.');
  if (isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new EngineError('FORBIDDEN', `"${rel}" is absolute; only paths inside the project can be read.`);
  }
  const root = resolve(projectDir);
  const full = resolve(root, rel);
  const r = relative(root, full);
  if (r === '' || r.startsWith('..') || isAbsolute(r) || r.split(sep).includes('..')) {
    throw new EngineError('FORBIDDEN', `"${rel}" is outside the project folder.`);
  }
  return full;
}

/**
 * SR method plugins named in a project's settings (project_meta key `sr.plugins`, a JSON list of
 * module files, absolute or relative to the project folder). The service and the CLI load them
 * when a project opens; `sr` jobs carry the file of a plugin method so their worker loads it too.
 */
import { isAbsolute, resolve } from 'node:path';
import { EngineError } from '../errors';
import type { Project } from '../store/project';
import { getMeta, setMeta } from '../store/repos/meta';

const KEY = 'sr.plugins';

/** The plugin files of a project's settings, as absolute paths. */
export function projectPlugins(project: Project): string[] {
  const raw = getMeta(project.db, KEY);
  if (raw === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    list = null;
  }
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string'))
    throw new EngineError('CORRUPT', `The project setting ${KEY} is not a list of files: ${raw}`, {
      hint: `Set it again with a JSON list of module files.`,
    });
  return list.map((f: string) => (isAbsolute(f) ? f : resolve(project.dir, f)));
}

/** Replaces the project's plugin list (files as given: relative ones are read from the project folder). */
export function setProjectPlugins(project: Project, files: readonly string[]): void {
  setMeta(project.db, KEY, JSON.stringify(files));
}

import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

export type { Db };

/**
 * Opens project.sqlite with the settings every process relies on: WAL (readers never block the
 * writer, and a crash leaves the last committed state), foreign keys, and a busy timeout so a
 * worker and the main thread can both write.
 *
 * better-sqlite3 is not N-API: Electron needs its own build. The Electron launcher sets
 * STSR_SQLITE_BINDING to that build; Node (tests, CLI, browser mode) uses the default one.
 */
export function openDatabase(
  file: string,
  options: { readonly?: boolean; fileMustExist?: boolean } = {},
): Db {
  const nativeBinding = process.env.STSR_SQLITE_BINDING;
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.fileMustExist ?? false,
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  return db;
}

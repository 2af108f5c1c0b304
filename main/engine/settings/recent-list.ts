import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file';

/** Per-user settings folder; STSR_HOME overrides it (tests, portable installs). */
export function settingsDir(): string {
  if (process.env.STSR_HOME) return process.env.STSR_HOME;
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'STSR Studio');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'STSR Studio');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'stsr-studio');
}

const MAX_RECENT = 12;

/**
 * A "recently opened" list kept as JSON in the settings folder, newest first, at most 12 entries,
 * one per path; entries whose path has gone are dropped when read.
 */
export function recentList<K extends string>(fileName: string, key: K) {
  type Entry = Record<K, string> & { name: string; openedAt: string };
  const file = () => join(settingsDir(), fileName);
  const read = (): Entry[] => {
    const f = file();
    if (!existsSync(f)) return [];
    try {
      const parsed = JSON.parse(readFileSync(f, 'utf8')) as unknown;
      return Array.isArray(parsed)
        ? (parsed as Entry[]).filter((e) => typeof e?.[key] === 'string' && existsSync(e[key]))
        : [];
    } catch {
      // A damaged settings file must not stop the app: start the list afresh.
      return [];
    }
  };
  const remember = (path: string, name: string): void => {
    const entry = { [key]: path, name, openedAt: new Date().toISOString() } as Entry;
    const list = [entry, ...read().filter((e) => e[key] !== path)].slice(0, MAX_RECENT);
    mkdirSync(settingsDir(), { recursive: true });
    writeFileAtomic(file(), Buffer.from(JSON.stringify(list, null, 2)));
  };
  return { read, remember };
}

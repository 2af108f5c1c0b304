import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file';

export interface RecentProject {
  dir: string;
  name: string;
  openedAt: string;
}

const MAX_RECENT = 12;

/** Per-user settings folder; STSR_HOME overrides it (tests, portable installs). */
export function settingsDir(): string {
  if (process.env.STSR_HOME) return process.env.STSR_HOME;
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'STSR Studio');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'STSR Studio');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'stsr-studio');
}

function recentFile(): string {
  return join(settingsDir(), 'recent-projects.json');
}

export function readRecentProjects(): RecentProject[] {
  const f = recentFile();
  if (!existsSync(f)) return [];
  try {
    const parsed = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as RecentProject[]).filter((p) => existsSync(p.dir)) : [];
  } catch {
    // A damaged settings file must not stop the app: start the list afresh.
    return [];
  }
}

export function rememberProject(dir: string, name: string): void {
  const list = [
    { dir, name, openedAt: new Date().toISOString() },
    ...readRecentProjects().filter((p) => p.dir !== dir),
  ].slice(0, MAX_RECENT);
  mkdirSync(settingsDir(), { recursive: true });
  writeFileAtomic(recentFile(), Buffer.from(JSON.stringify(list, null, 2)));
}

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file';
import { settingsDir } from './recent-projects';

/** Cohort indexes opened lately (the project picker lists them), newest first. */
export interface RecentCohort {
  file: string;
  name: string;
  openedAt: string;
}

const MAX_RECENT = 12;

const recentFile = (): string => join(settingsDir(), 'recent-cohorts.json');

export function readRecentCohorts(): RecentCohort[] {
  const f = recentFile();
  if (!existsSync(f)) return [];
  try {
    const parsed = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    return Array.isArray(parsed)
      ? (parsed as RecentCohort[]).filter((c) => typeof c?.file === 'string' && existsSync(c.file))
      : [];
  } catch {
    // A damaged settings file must not stop the app: start the list afresh.
    return [];
  }
}

export function rememberCohort(file: string, name: string): void {
  const list = [
    { file, name, openedAt: new Date().toISOString() },
    ...readRecentCohorts().filter((c) => c.file !== file),
  ].slice(0, MAX_RECENT);
  mkdirSync(settingsDir(), { recursive: true });
  writeFileAtomic(recentFile(), Buffer.from(JSON.stringify(list, null, 2)));
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecentCohorts, rememberCohort } from '../../../main/engine/settings/recent-cohorts';
import { readRecentProjects, rememberProject } from '../../../main/engine/settings/recent-projects';

let home: string;
const saved = process.env.STSR_HOME;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'stsr-recent-'));
  process.env.STSR_HOME = join(home, 'settings');
});
afterEach(() => {
  if (saved === undefined) delete process.env.STSR_HOME;
  else process.env.STSR_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

const dir = (name: string) => {
  const d = join(home, name);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('recently opened projects and cohorts', () => {
  it('keeps the newest 12, once each, newest first, and drops folders that have gone', () => {
    const dirs = Array.from({ length: 13 }, (_, i) => dir(`p${i}`));
    for (const [i, d] of dirs.entries()) rememberProject(d, `P${i}`);
    rememberProject(dirs[5]!, 'P5 again');
    const list = readRecentProjects();
    expect(list.map((p) => p.name)).toEqual([
      'P5 again',
      'P12',
      'P11',
      'P10',
      'P9',
      'P8',
      'P7',
      'P6',
      'P4',
      'P3',
      'P2',
      'P1',
    ]);
    rmSync(dirs[12]!, { recursive: true });
    expect(readRecentProjects().map((p) => p.dir)).not.toContain(dirs[12]);
  });

  it('keeps cohorts in a file of their own and survives a damaged settings file', () => {
    const index = join(dir('c'), 'cohort.json');
    writeFileSync(index, '{}');
    rememberCohort(index, 'cohort A');
    rememberProject(dir('p'), 'P');
    expect(readRecentCohorts()).toEqual([expect.objectContaining({ file: index, name: 'cohort A' })]);
    expect(readRecentProjects()).toHaveLength(1);
    writeFileSync(join(home, 'settings', 'recent-cohorts.json'), '{ not json');
    expect(readRecentCohorts()).toEqual([]);
    rememberCohort(index, 'cohort A');
    expect(readRecentCohorts()).toHaveLength(1);
  });
});

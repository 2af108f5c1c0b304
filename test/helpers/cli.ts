import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths';

/** Runs `stsr … --json` as a user would and returns the exit code, the last stdout JSON and stderr. */
export function stsr(
  home: string,
  ...args: string[]
): { code: number | null; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'stsr.mjs'), ...args, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, STSR_HOME: home },
  });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { code: r.status, json: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
}

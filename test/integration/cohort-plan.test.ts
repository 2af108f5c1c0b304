/**
 * The cohort workflow's plans (dry runs: nothing is computed, a few seconds each):
 *  - out of the box, `cd workflow && snakemake -n --cores 2` plans the three shared samples, and
 *    `snakemake --profile workflow/profiles/slurm -n` from the checkout prints every job with its
 *    resources (the SLURM executor's sbatch options come from these);
 *  - the sheet's methods are checked against the engine's method registry before anything runs
 *    (no list of names in the workflow): a plugin's method is refused until the config loads the
 *    plugin, then planned with `--plugin` on its sr step; a preset the method lacks names the line.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('stsr-cohort-plan-');
afterAll(tmp.cleanup);
const PLUGIN = join(repoRoot, 'test', 'fixtures', 'plugins', 'coarse-times.ts');

function snakemake(cwd: string, ...args: string[]) {
  const r = spawnSync('snakemake', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, STSR_HOME: join(tmp.dir, 'home') },
    timeout: 300_000,
  });
  if (r.error) throw new Error(`snakemake could not start (apt install snakemake): ${r.error.message}`);
  return { code: r.status, log: `${r.stdout}\n${r.stderr}` };
}

/** "rule NAME:" blocks of a dry run: rule → its resources lines. */
function resourcesOf(log: string, rule: string): string[] {
  return log
    .split(/\n(?=\S)/)
    .filter((b) => b.startsWith(`rule ${rule}:`))
    .map((b) => /resources: (.*)/.exec(b)?.[1] ?? '');
}

describe('the cohort workflow plans', () => {
  it('out of the box, locally and for SLURM with the resources of each rule', () => {
    const local = snakemake(join(repoRoot, 'workflow'), '-n', '--cores', '2');
    expect(local.code, local.log).toBe(0);
    expect(local.log).toMatch(/^sr\s+3\s+2\s+2$/m); // three samples, threads capped at --cores
    expect(local.log).toMatch(/^total\s+17\s/m);

    const slurm = snakemake(repoRoot, '--profile', 'workflow/profiles/slurm', '-n');
    expect(slurm.code, slurm.log).toBe(0);
    const sr = resourcesOf(slurm.log, 'sr');
    expect(sr).toHaveLength(3);
    for (const r of sr) expect(r).toMatch(/mem_mb=8000.*runtime=240, gpu=0/);
    expect(slurm.log).toMatch(/^sr\s+3\s+4\s+4$/m); // the config's 4 threads → --cpus-per-task
    for (const r of resourcesOf(slurm.log, 'features')) expect(r).toMatch(/mem_mb=4000.*runtime=60/);
  }, 600_000); // each dry run starts the CLI once (~5 s alone; 30-60 s on the loaded shared machine)

  it("checks the sheet's methods against the registry, plugins included", () => {
    writeFileSync(
      join(tmp.dir, 'samples.csv'),
      `name,path,image,method,k\nC2,${sharedData('her2st', 'C2')},,coarse-times,5\n`,
    );
    const config = (extra: string) => {
      writeFileSync(join(tmp.dir, 'config.yaml'), `samples: samples.csv\nout: results\n${extra}`);
      return ['-s', join(repoRoot, 'workflow', 'Snakefile'), '--configfile', 'config.yaml', '-n', '-p'];
    };
    const refused = snakemake(tmp.dir, ...config(''));
    expect(refused.code).not.toBe(0);
    expect(refused.log).toMatch(/samples\.csv line 2: method 'coarse-times' is not a registered SR method/);

    const planned = snakemake(
      tmp.dir,
      ...config(
        `plugins: [${PLUGIN}]\nsr: { presets: { coarse-times: triple }, options: { coarse-times: { genes: 5 } } }\n`,
      ),
    );
    expect(planned.code, planned.log).toBe(0);
    expect(planned.log).toContain(`sr C2 --method coarse-times --preset triple --plugin ${PLUGIN} --genes 5`);

    const badPreset = snakemake(tmp.dir, ...config(`plugins: [${PLUGIN}]\nsr: { preset: paper }\n`));
    expect(badPreset.code).not.toBe(0);
    expect(badPreset.log).toMatch(
      /line 2: Coarse × constant \(test plugin\) has no preset 'paper' \(presets: default, triple\)/,
    );
  }, 600_000);
});

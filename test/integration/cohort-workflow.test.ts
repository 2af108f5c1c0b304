/**
 * The cohort workflow (workflow/Snakefile, docs/cohort.md) run by Debian's Snakemake on three
 * shared samples with `--cores 2` and tiny SR settings: HISTEX (20 genes, 1 epoch) on the two MOB
 * sections, and the sheet's own method for C2 — interpolation, a spot-set method that reads no
 * feature set, so the workflow's sr step is shown to take what the method registry says:
 *  1. one sample's counts are corrupt: the other two run to the end, the corrupt one fails at
 *     import with the CLI's reason (code, message naming the file and line, exit code) in its
 *     failure record, and the cohort report lists it;
 *  2. the input is repaired: the re-run computes that sample only and the cohort completes; every
 *     output exists and parses (JSON, PNG, both h5ad in the real anndata);
 *  3. a third run recomputes nothing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { cohortFigure, readCohortIndex } from '../../main/engine/cohort/cohort-index';
import { repoRoot, sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('stsr-cohort-');
afterAll(tmp.cleanup);

const SAMPLES = [
  { name: 'MOB1', src: sharedData('mob', 'MOB1'), k: 4 },
  { name: 'MOB2', src: sharedData('mob', 'MOB2'), k: 4 },
  { name: 'C2', src: sharedData('her2st', 'C2'), k: 5, method: 'interp' },
];
/** MOB2's counts get a non-number in line 4: the importer must refuse it, naming file and line. */
const CORRUPT = { sample: 'MOB2', file: 'MOB2.tsv' };
const STEPS_JSON = ['import', 'features', 'sr', 'cluster', 'export-spots', 'export-sr', 'export'];
const PY = '/usr/bin/python3';

const data = join(tmp.dir, 'data');
const out = join(tmp.dir, 'results');
const sampleDir = (name: string) => join(out, 'samples', name);

function snakemake(...args: string[]) {
  const r = spawnSync(
    'snakemake',
    ['-s', join(repoRoot, 'workflow', 'Snakefile'), '--configfile', join(tmp.dir, 'config.yaml'), ...args],
    { cwd: tmp.dir, encoding: 'utf8', env: { ...process.env, STSR_HOME: join(tmp.dir, 'home') } },
  );
  if (r.error) throw new Error(`snakemake could not start (apt install snakemake): ${r.error.message}`);
  return { code: r.status, log: `${r.stdout}\n${r.stderr}` };
}

/** Snakemake's "Job stats" table: jobs per rule that this run executed. */
function jobCounts(log: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const table = log.split('Job stats:')[1] ?? '';
  for (const line of table.split('\n')) {
    const m = /^(\w+)\s+(\d+)\s+\d+\s+\d+$/.exec(line.trim());
    if (m && m[1] !== 'total') counts[m[1] as string] = Number(m[2]);
  }
  return counts;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function anndata(file: string): {
  nObs: number;
  nVars: number;
  obs: string[];
  obsm: string[];
  domains: number;
} {
  const script = `
import json, sys, anndata
a = anndata.read_h5ad(sys.argv[1])
print(json.dumps({'nObs': a.n_obs, 'nVars': a.n_vars, 'obs': list(a.obs.columns), 'obsm': list(a.obsm.keys()),
  'domains': int(a.obs['domain'].nunique()) if 'domain' in a.obs else 0}))`;
  const r = spawnSync(PY, ['-W', 'ignore', '-c', script, file], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`anndata could not read ${file} (apt install python3-anndata):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

function outputsOf(name: string): string[] {
  const d = sampleDir(name);
  return [
    ...STEPS_JSON.map((s) => join(d, `${s}.json`)),
    join(d, 'spots.h5ad'),
    join(d, 'sr.h5ad'),
    join(d, 'domains.png'),
  ];
}

describe('the cohort workflow on three shared samples', () => {
  it(
    'finishes the good samples past a corrupt one with its reason, completes once repaired, then recomputes nothing',
    async () => {
      for (const s of SAMPLES) cpSync(s.src, join(data, s.name), { recursive: true, mode: 0 });
      const corruptPath = join(data, CORRUPT.sample, CORRUPT.file);
      chmodSync(corruptPath, 0o644); // the shared data is read-only, so are the copies
      const good = readFileSync(corruptPath, 'utf8');
      const lines = good.split('\n');
      lines[3] = lines[3]!.replace(/\t0(?=\t|$)/, '\tzero');
      expect(lines[3]).toContain('\tzero');
      writeFileSync(corruptPath, lines.join('\n'));
      writeFileSync(
        join(tmp.dir, 'samples.csv'),
        [
          'name,path,image,method,k',
          ...SAMPLES.map((s) => `${s.name},data/${s.name},,${s.method ?? ''},${s.k}`),
        ].join('\n') + '\n',
      );
      // Tiny settings: 20 genes, HISTEX for 1 epoch; one thread per step so the two cores run
      // two samples at once.
      const one = '{ threads: 1, mem_mb: 2000, runtime: 30 }';
      writeFileSync(
        join(tmp.dir, 'config.yaml'),
        [
          'samples: samples.csv',
          `out: ${out}`,
          'provider: cpu',
          'sr: { method: histex, preset: default, options: { histex: { genes: 20, epochs: 1 }, interp: { genes: 20 } } }',
          'resources:',
          ...['import_sample', 'features', 'sr', 'cluster', 'export'].map((r) => `  ${r}: ${one}`),
        ].join('\n') + '\n',
      );

      // 1. A corrupt sample: the others finish; its failure and reason are recorded and reported.
      const first = snakemake('--cores', '2', '--keep-going');
      expect(first.code, first.log).not.toBe(0);
      for (const s of SAMPLES.filter((x) => x.name !== CORRUPT.sample))
        for (const f of outputsOf(s.name)) expect(existsSync(f), `${f}\n${first.log}`).toBe(true);
      expect(existsSync(join(sampleDir(CORRUPT.sample), 'import.json'))).toBe(false);
      const failure = readJson(join(sampleDir(CORRUPT.sample), 'failed', 'import.json'));
      expect(failure).toMatchObject({ sample: CORRUPT.sample, step: 'import' });
      expect(failure.error).toMatchObject({ code: 'BAD_INPUT', exitCode: 2 });
      expect(failure.error.message).toMatch(/MOB2\.tsv line 4.*"zero" is not a finite number/);
      // The partial report has its own names: the report rule's outputs must stay missing so the
      // next run finishes the cohort.
      expect(existsSync(join(out, 'cohort', 'index.json'))).toBe(false);
      const partial = readJson(join(out, 'cohort', 'index.incomplete.json'));
      expect(partial.complete).toBe(false);
      expect(partial.counts).toEqual({ samples: 3, ok: 2, failed: 1 });
      const failedEntry = partial.samples.find((e: { name: string }) => e.name === CORRUPT.sample);
      expect(failedEntry).toMatchObject({
        status: 'failed',
        failures: [{ step: 'import', code: 'BAD_INPUT' }],
      });
      // The app opens the partial cohort too, with the failure's reason.
      const partialView = readCohortIndex(out);
      expect(partialView.complete).toBe(false);
      expect(partialView.samples.find((x) => x.name === CORRUPT.sample)).toMatchObject({
        status: 'failed',
        failures: [{ step: 'import', code: 'BAD_INPUT', exitCode: 2 }],
      });
      const partialMd = readFileSync(join(out, 'cohort', 'report.incomplete.md'), 'utf8');
      expect(partialMd).toMatch(/2 of 3 samples finished — INCOMPLETE/);
      expect(partialMd).toMatch(/\| MOB2 \| import \| BAD_INPUT \| 2 \| MOB2\.tsv line 4/);

      // 2. Repaired: only the repaired sample (and the report) run; the cohort completes.
      const finished = new Map(
        SAMPLES.filter((x) => x.name !== CORRUPT.sample).flatMap((s) =>
          outputsOf(s.name).map((f) => [f, statSync(f).mtimeMs] as const),
        ),
      );
      copyFileSync(join(SAMPLES[1]!.src, CORRUPT.file), corruptPath);
      const second = snakemake('--cores', '2', '--keep-going');
      expect(second.code, second.log).toBe(0);
      expect(jobCounts(second.log)).toEqual({
        all: 1,
        import_sample: 1,
        features: 1,
        sr: 1,
        cluster: 1,
        export: 1,
        report: 1,
      });
      for (const [f, mtime] of finished) expect(statSync(f).mtimeMs, f).toBe(mtime);
      expect(existsSync(join(sampleDir(CORRUPT.sample), 'failed', 'import.json'))).toBe(false);
      expect(existsSync(join(out, 'cohort', 'index.incomplete.json'))).toBe(false);

      // Every output exists and parses.
      for (const s of SAMPLES) {
        for (const f of outputsOf(s.name)) expect(existsSync(f), f).toBe(true);
        const d = sampleDir(s.name);
        const imp = readJson(join(d, 'import.json')).result;
        const feat = readJson(join(d, 'features.json')).result;
        const sr = readJson(join(d, 'sr.json')).result;
        const cl = readJson(join(d, 'cluster.json')).result;
        expect(feat.tissueSuperpixels).toBeGreaterThan(0);
        const srA = anndata(join(d, 'sr.h5ad'));
        expect(srA.nVars).toBe(20);
        if (s.method === 'interp') {
          // A spot set: the measured spots and the generated ones; no feature set was passed.
          expect(sr).toMatchObject({ method: 'interp', genes: 20, measured: imp.spots });
          expect(sr.featureSetId).toBeUndefined();
          expect(sr.generated).toBeGreaterThan(imp.spots);
          expect(srA.nObs).toBe(sr.measured + sr.generated);
          expect(srA.obs).toContain('generated');
        } else {
          expect(sr).toMatchObject({ method: 'histex', genes: 20, featureSetId: feat.featureSetId });
          expect(sr.superpixels).toBe(feat.tissueSuperpixels);
          expect(srA.nObs).toBe(sr.superpixels);
        }
        expect(cl.k).toBe(s.k);
        expect((cl.sizes as number[]).reduce((a, b) => a + b, 0)).toBe(imp.spots);
        const spots = anndata(join(d, 'spots.h5ad'));
        expect(spots).toMatchObject({ nObs: imp.spots, nVars: imp.genes, domains: s.k });
        expect(spots.obsm).toContain('spatial');
        const png = await sharp(join(d, 'domains.png')).metadata();
        expect(png.format).toBe('png');
        expect(png.width).toBeGreaterThan(100);
      }
      const index = readJson(join(out, 'cohort', 'index.json'));
      expect(index).toMatchObject({
        kind: 'stsr-cohort',
        complete: true,
        counts: { samples: 3, ok: 3, failed: 0 },
      });
      for (const e of index.samples) {
        expect(e.status).toBe('ok');
        // The project each entry points at is a real project the CLI opens.
        const info = spawnSync(
          process.execPath,
          [
            join(repoRoot, 'bin', 'stsr.mjs'),
            'project',
            'info',
            '--project',
            join(out, 'cohort', e.project),
            '--json',
          ],
          { encoding: 'utf8', env: { ...process.env, STSR_HOME: join(tmp.dir, 'home') } },
        );
        expect(info.status, info.stderr).toBe(0);
        expect(JSON.parse(info.stdout.trim().split('\n').at(-1)!).counts).toMatchObject({
          samples: 1,
          runs: 1,
        });
        for (const step of ['import', 'features', 'sr', 'cluster', 'export'])
          expect(e.steps[step].seconds, `${e.name} ${step}`).toBeGreaterThan(0);
      }
      // The app reads the same index (the read-only cohort view): every sample, its project, its
      // SR method by the registry's label, its figure through the path guard.
      const view = readCohortIndex(out);
      expect(view).toMatchObject({ complete: true, counts: { samples: 3, ok: 3, failed: 0 } });
      for (const s of SAMPLES) {
        const v = view.samples.find((x) => x.name === s.name)!;
        expect(v).toMatchObject({
          status: 'ok',
          projectDir: join(sampleDir(s.name), 'project'),
          projectExists: true,
          spots: readJson(join(sampleDir(s.name), 'import.json')).result.spots,
          sr: { method: s.method ?? 'histex', sizeUnit: s.method === 'interp' ? 'spots' : 'superpixels' },
          domains: { k: s.k },
          hasFigure: true,
          failures: [],
        });
        expect(
          v.steps.every((x) => (x.seconds ?? 0) > 0),
          s.name,
        ).toBe(true);
        const fig = await sharp(Buffer.from(cohortFigure(view.file, s.name).base64, 'base64')).metadata();
        expect(fig.format).toBe('png');
      }
      const md = readFileSync(join(out, 'cohort', 'report.md'), 'utf8');
      expect(md).toMatch(/3 of 3 samples finished\./);
      for (const s of SAMPLES) expect(md).toMatch(new RegExp(`^\\| ${s.name} \\| ok \\|`, 'm'));
      const html = readFileSync(join(out, 'cohort', 'report.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html.match(/<img src="[^"]+domains\.png"/g)).toHaveLength(3);

      // 3. Nothing left to do: a re-run changes no file.
      const before = new Map(SAMPLES.flatMap((s) => outputsOf(s.name)).map((f) => [f, statSync(f).mtimeMs]));
      const third = snakemake('--cores', '2', '--keep-going');
      expect(third.code, third.log).toBe(0);
      expect(third.log).toMatch(/Nothing to be done/);
      for (const [f, mtime] of before) expect(statSync(f).mtimeMs, f).toBe(mtime);
    },
    // ~150 s of CPU in all (docs/cohort.md). On the shared development machine (load 25-50 on
    // 2 cores) the steps ran 10-20x slower than their CPU time; the budget allows for that.
    45 * 60_000,
  );
});

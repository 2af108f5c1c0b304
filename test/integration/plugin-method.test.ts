/**
 * "Done when" of the registry: a throw-away method from a plugin file in test/ (coarse value times
 * a constant, test/fixtures/plugins/coarse-times.ts) is listed by methods.list, runs with
 * `stsr sr --method NAME`, is stored and read back, shows its layer through the API and is scored
 * by `stsr bench --methods NAME` — without touching any other file; `stsr figure --side-by-side`
 * draws its map beside the observed spots.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { csrToDense } from '../../main/engine/analysis';
import { openSuperpixels } from '../../main/engine/methods/registry';
import { parseRun } from '../../main/engine/methods/runs';
import { AppService } from '../../main/engine/service/app-service';
import { openProject } from '../../main/engine/store/project';
import { getRun } from '../../main/engine/store/repos/runs';
import { loadSample } from '../../main/engine/store/sample-store';
import { stsr as runStsr } from '../helpers/cli';
import { repoRoot, sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);
const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);
const PLUGIN = join(repoRoot, 'test', 'fixtures', 'plugins', 'coarse-times.ts');

describe('an SR method from a plugin file', () => {
  it('runs, is stored and read back, is listed and drawn by the API, and is scored by the benchmark', async () => {
    const project = join(tmp.dir, 'p');
    expect(stsr('import', sharedData('her2st', 'C2'), '--project', project).code).toBe(0);

    // Not registered without its plugin: a usage error that says how to load it.
    const missing = stsr('sr', 'C2', '--method', 'coarse-times', '--project', project);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--plugin FILE/);

    const r = stsr(
      'sr',
      'C2',
      '--method',
      'coarse-times',
      '--plugin',
      PLUGIN,
      '--genes',
      '10',
      '--factor',
      '3',
      '--project',
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      method: 'coarse-times',
      label: 'Coarse × constant (test plugin)',
      genes: 10,
    });
    expect(r.json.superpixels as number).toBeGreaterThan(1000);
    // an option outside its bounds is refused before any job runs
    const bad = stsr(
      'sr',
      'C2',
      '--method',
      'coarse-times',
      '--plugin',
      PLUGIN,
      '--factor',
      '-1',
      '--project',
      project,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/factor/);

    // Stored and read back: the superpixel under each spot's centre is 3 × the spot's count.
    const runId = r.json.runId as number;
    let sampleGene0: string | undefined;
    let maxCount0 = 0;
    const p = openProject(project);
    try {
      const run = parseRun(getRun(p.db, runId)!);
      expect(run).toMatchObject({
        kind: 'superpixels',
        method: 'coarse-times',
        label: 'Coarse × constant (test plugin)',
      });
      if (run.kind !== 'superpixels') return;
      const sample = loadSample(p, run.sampleId);
      const reader = openSuperpixels(run, p.arraysDir, sample);
      const counts = csrToDense(sample.counts, { columns: run.genes });
      const g = 0;
      sampleGene0 = sample.genes[run.genes[g]!]!.symbol;
      for (let s = 0; s < sample.spots.length; s++)
        maxCount0 = Math.max(maxCount0, counts.data[s * run.genes.length + g]!);
      const map = reader.geneMap(run.genes[g]!);
      for (let s = 0; s < sample.spots.length; s += 23) {
        const { x, y } = sample.spots[s]!;
        const q = Math.floor(y / run.grid.sizePx) * run.grid.width + Math.floor(x / run.grid.sizePx);
        expect(map.present[q]).toBe(1);
        expect(map.values[q]).toBeCloseTo(3 * counts.data[s * run.genes.length + g]!, 4);
      }
    } finally {
      p.close();
    }

    // Named in the project's settings, the app lists it, its run and draws its layer.
    const set = stsr('project', 'plugins', PLUGIN, '--project', project);
    expect(set.code, set.stderr).toBe(0);

    // `stsr figure --side-by-side`: observed spots | the run's SR map of the same gene, one region,
    // each panel titled and with its own colour bar spanning its own values.
    const symbol = sampleGene0!;
    const fig = join(tmp.dir, 'c2-side-by-side.png');
    const sbs = stsr(
      'figure',
      'C2',
      '--gene',
      symbol,
      '--run',
      String(runId),
      '--side-by-side',
      '--out',
      fig,
      '--project',
      project,
    );
    expect(sbs.code, sbs.stderr).toBe(0);
    const figure = sbs.json.figure as {
      keys: { label: string; panel: number; range: [number, number] }[];
      panels: { title: string; plot: { x: number; y: number; w: number; h: number } }[];
    };
    expect(figure.panels.map((q) => q.title)).toEqual([
      `${symbol} observed`,
      `${symbol} Coarse × constant (test plugin) SR (run #${runId})`,
    ]);
    expect(figure.keys.map((k) => [k.panel, k.label])).toEqual([
      [0, `${symbol} log1p CP10k`],
      [1, `${symbol} (Coarse × constant (test plugin) SR, counts per 8 µm)`],
    ]);
    // the SR panel's bar spans the map's values: 3 × the spots' counts of that gene
    expect(figure.keys[1]!.range[1]).toBeCloseTo(3 * maxCount0, 4);
    expect(figure.panels[0]!.plot.w).toBe(figure.panels[1]!.plot.w);
    expect(figure.panels[0]!.plot.y).toBe(figure.panels[1]!.plot.y);
    expect(await sharp(fig).metadata()).toMatchObject({ width: 2400, height: 1200 });
    const noRun = stsr(
      'figure',
      'C2',
      '--gene',
      symbol,
      '--side-by-side',
      '--out',
      fig,
      '--project',
      project,
    );
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/--gene G and --run ID/);
    expect(set.json.methods).toEqual(['coarse-times']);
    const service = new AppService({ transport: 'http' });
    try {
      await service.openProjectDir(project);
      const list = await service.dispatch('methods.list', {});
      if (!list.ok) throw new Error(list.error.message);
      const info = (list.value as { id: string; plugin: string | null; presets: object }[]).find(
        (m) => m.id === 'coarse-times',
      );
      expect(info).toMatchObject({ plugin: PLUGIN, presets: { default: {}, triple: { factor: 3 } } });
      const runs = await service.dispatch('runs.list', { sampleId: 1 });
      expect(
        runs.ok && (runs.value as { id: number; label: string }[]).find((x) => x.id === runId),
      ).toMatchObject({
        label: 'Coarse × constant (test plugin)',
        output: 'superpixels',
      });
      const genes = runs.ok
        ? (runs.value as { id: number; genes: { index: number; symbol: string }[] }[])[0]!.genes
        : [];
      const layer = await service.dispatch('layers.srValues', {
        runId,
        gene: genes[0]!.index,
        symbol: genes[0]!.symbol,
      });
      expect(layer.ok, JSON.stringify(layer)).toBe(true);
      if (layer.ok) expect((layer.value as { label: string }).label).toMatch(/Coarse × constant/);
    } finally {
      await service.closeProject();
    }

    // Scored by the benchmark under the coarsen protocol, beside the reference baselines.
    const b = stsr(
      'bench',
      '--data',
      sharedData('her2st', 'C2'),
      '--protocol',
      'coarsen',
      '--methods',
      'coarse-times',
      '--plugin',
      PLUGIN,
      '--genes',
      '10',
      '--out',
      join(tmp.dir, 'bench'),
    );
    expect(b.code, b.stderr).toBe(0);
    const scores = b.json.methods as Record<string, { pcc: number }>;
    expect(Object.keys(scores)).toEqual(expect.arrayContaining(['coarse', 'interp', 'coarse-times']));
    expect(Number.isFinite(scores['coarse-times']!.pcc)).toBe(true);
  }, 600_000);
});

import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../main/engine/jobs/runner';
import { AppService } from '../../main/engine/service/app-service';
import { createProject } from '../../main/engine/store/project';
import { listLayers } from '../../main/engine/store/repos/layers';
import { TASKS } from '../../main/engine/tasks';
import type { SampleDetail } from '../../preload/contract';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
let service: AppService;
beforeAll(() => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  service = new AppService({ transport: 'http' });
});
afterAll(async () => {
  await service.closeProject();
  tmp.cleanup();
});

function projectFiles(dir: string): string[] {
  return ['arrays', 'pyramids', 'images'].flatMap((d) => {
    try {
      return readdirSync(join(dir, d)).map((f) => `${d}/${f}`);
    } catch {
      return [];
    }
  });
}

describe('the import job', () => {
  it('stores a Visium sample with its pyramid and mask, and serves spots, genes and expression', async () => {
    const dir = join(tmp.dir, 'visium');
    await service.openProjectDir(dir, true);
    const r = await service.dispatch('samples.import', {
      path: sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'),
    });
    expect(r.ok).toBe(true);
    const jobId = (r as { ok: true; value: { jobId: number } }).value.jobId;
    const done = await new Promise<unknown>((resolve) => {
      service.on('event', (e) => {
        if (e.type === 'job' && e.job.id === jobId && ['done', 'failed'].includes(e.job.state))
          resolve(e.job);
      });
    });
    expect(done).toMatchObject({ state: 'done', result: { spots: 2695, genes: 100, reader: 'spaceranger' } });
    const detail = (await service.dispatch('samples.get', { sampleId: 1 })) as {
      ok: true;
      value: SampleDetail;
    };
    expect(detail.ok).toBe(true);
    expect(detail.value.x).toHaveLength(2695);
    expect(detail.value.slide?.dzi).toMatch(/^pyramids\/job-\d+\/slide\.dzi$/);
    const layers = listLayers(service.currentProject()!.db, 1);
    expect(layers.map((l) => l.kind).sort()).toEqual(['slide', 'tissue-mask']);

    const genes = (await service.dispatch('samples.genes', { sampleId: 1, query: '', limit: 5 })) as {
      ok: true;
      value: { index: number; symbol: string }[];
    };
    const g = genes.value[0]!;
    const expr = (await service.dispatch('samples.expression', {
      sampleId: 1,
      gene: g.index,
      scale: 'counts',
    })) as {
      ok: true;
      value: { values: number[]; max: number };
    };
    expect(expr.value.values).toHaveLength(2695);
    expect(expr.value.values.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    const search = (await service.dispatch('samples.genes', {
      sampleId: 1,
      query: g.symbol.slice(0, 3),
    })) as {
      ok: true;
      value: { symbol: string }[];
    };
    expect(
      search.value.every((h) => h.symbol.toLowerCase().includes(g.symbol.slice(0, 3).toLowerCase())),
    ).toBe(true);
    const bad = await service.dispatch('samples.expression', { sampleId: 1, gene: 100 });
    expect(!bad.ok && bad.error.message).toMatch(/out of range/);
    // The viewer's gene list is every gene in column order; a name that disagrees is refused.
    const names = (await service.dispatch('samples.geneNames', { sampleId: 1 })) as {
      ok: true;
      value: { ids: string[]; symbols: string[] };
    };
    expect(names.value.symbols).toHaveLength(100);
    expect(names.value.symbols[g.index]).toBe(g.symbol);
    const other = names.value.symbols.find((s) => s !== g.symbol)!;
    const wrong = await service.dispatch('samples.expression', { sampleId: 1, gene: g.index, symbol: other });
    expect(!wrong.ok && wrong.error.code).toBe('BAD_INPUT');
    const right = await service.dispatch('samples.expression', {
      sampleId: 1,
      gene: g.index,
      symbol: g.symbol,
    });
    expect(right.ok).toBe(true);
  });

  it('a failed import names the file and leaves the project unchanged', async () => {
    const src = join(tmp.dir, 'broken-c2');
    cpSync(sharedData('her2st', 'C2'), src, { recursive: true });
    // Spot ids in the selection file no longer match the counts: a mismatch the reader must name.
    const sel = join(src, 'C2_selection.tsv');
    writeFileSync(sel, 'x\ty\tnew_x\tnew_y\tpixel_x\tpixel_y\tselected\n99\t99\t99\t99\t10\t10\t1\n');
    const project = createProject(join(tmp.dir, 'failing'));
    const before = projectFiles(project.dir);
    const runner = new JobRunner(project, TASKS);
    const job = runner.submit('sample.import', { path: src });
    await runner.whenIdle();
    const row = runner.get(job.id);
    expect(row.state).toBe('failed');
    expect(row.error!.message).toMatch(/C2/);
    expect(projectFiles(project.dir)).toEqual(before);
    expect((project.db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n).toBe(0);
    expect((project.db.prepare('SELECT COUNT(*) AS n FROM layers').get() as { n: number }).n).toBe(0);
    await runner.close();
    project.close();
  });
});

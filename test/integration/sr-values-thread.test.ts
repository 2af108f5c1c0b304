import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cropValues } from '../../main/engine/layers';
import { getMethodEntry, openSuperpixels } from '../../main/engine/methods/registry';
import { parseRun, type SuperpixelRun } from '../../main/engine/methods/runs';
import { AppService } from '../../main/engine/service/app-service';
import { openProject } from '../../main/engine/store/project';
import { getRun } from '../../main/engine/store/repos/runs';
import { loadSample } from '../../main/engine/store/sample-store';
import { stsr as runStsr } from '../helpers/cli';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const stsr = (...args: string[]) => runStsr(join(tmp.dir, 'home'), ...args);

/**
 * `layers.srValues` makes a gene's map in the service thread (tasks/sr-values-layer.ts) instead of
 * the server's: the values must be the very bytes the reader gives on the calling thread.
 */
describe('SR values made in the service thread', () => {
  it('are bit-identical to the gene map computed directly, and errors keep their code', async () => {
    const project = join(tmp.dir, 'p');
    expect(stsr('import', sharedData('her2st', 'C2'), '--project', project).code).toBe(0);
    const sr = stsr(
      'sr',
      'C2',
      '--method',
      'histex',
      '--genes',
      '6',
      '--epochs',
      '1',
      '--ensemble',
      '2',
      '--project',
      project,
    );
    expect(sr.code, sr.stderr).toBe(0);

    // the direct path: the stored run's reader on this thread, as the service used to do it
    const p = openProject(project);
    const run = parseRun(getRun(p.db, 1)!, (m) => getMethodEntry(m)?.label) as SuperpixelRun;
    const sample = loadSample(p, run.sampleId);
    const reader = openSuperpixels(run, p.arraysDir, sample);
    const direct = run.genes.slice(0, 3).map((g) => {
      const map = reader.geneMap(g);
      return { gene: g, cut: cropValues(map.values, map.present, map.grid) };
    });
    const unmodelled = sample.genes.findIndex((_, g) => !run.genes.includes(g));
    p.close();

    const service = new AppService({ transport: 'http' });
    await service.openProjectDir(project);
    try {
      for (const { gene, cut } of direct) {
        const r = await service.dispatch('layers.srValues', { runId: 1, gene });
        expect(r.ok, JSON.stringify(r)).toBe(true);
        if (!r.ok) continue;
        const v = r.value as {
          path: string;
          rows: number;
          cols: number;
          x: number;
          y: number;
          range: number[];
        };
        expect({ rows: v.rows, cols: v.cols, x: v.x, y: v.y, range: v.range }).toEqual({
          rows: cut.rows,
          cols: cut.cols,
          x: cut.x,
          y: cut.y,
          range: cut.range,
        });
        const bytes = readFileSync(join(project, v.path));
        expect(bytes.equals(Buffer.from(cut.data.buffer, cut.data.byteOffset, cut.data.byteLength))).toBe(
          true,
        );
        // asked again: the stored layer, the same answer
        expect(await service.dispatch('layers.srValues', { runId: 1, gene })).toEqual({ ok: true, value: v });
      }
      const missing = await service.dispatch('layers.srValues', { runId: 1, gene: unmodelled });
      expect(missing.ok).toBe(false);
      if (!missing.ok) {
        expect(missing.error.code).toBe('NOT_FOUND');
        expect(missing.error.message).toMatch(/was not modelled in run 1/);
      }
      const sd = await service.dispatch('layers.srValues', {
        runId: 1,
        gene: direct[0]!.gene,
        layer: 'uncertainty',
      });
      expect(sd.ok).toBe(false);
      if (!sd.ok) expect(sd.error.code).toBe('NOT_FOUND');
    } finally {
      await service.closeProject();
    }
  }, 600_000);
});

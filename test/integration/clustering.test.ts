import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustedRandIndex } from '../../main/engine/analysis';
import { readSample } from '../../main/engine/io';
import { AppService } from '../../main/engine/service/app-service';
import type { ApiEvent, ClusteringInfo } from '../../preload/contract';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir();
let service: AppService;
beforeAll(async () => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  service = new AppService({ transport: 'http' });
  await service.openProjectDir(join(tmp.dir, 'p'), true);
});
afterAll(async () => {
  await service.closeProject();
  tmp.cleanup();
});

function waitJob(jobId: number): Promise<Extract<ApiEvent, { type: 'job' }>['job']> {
  return new Promise((resolve) => {
    const on = (e: ApiEvent) => {
      if (e.type === 'job' && e.job.id === jobId && ['done', 'failed', 'cancelled'].includes(e.job.state)) {
        service.off('event', on);
        resolve(e.job);
      }
    };
    service.on('event', on);
  });
}

async function ok<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe('spot-level domains on HER2ST A1 (pathologist labels)', () => {
  it('clusters, reports ARI against the labels, renames/merges with validation, and ranks markers', async () => {
    const imp = await ok<{ jobId: number }>(
      service.dispatch('samples.import', { path: sharedData('her2st', 'A1') }),
    );
    expect((await waitJob(imp.jobId)).state).toBe('done');
    const run = await ok<{ jobId: number }>(
      service.dispatch('clusterings.run', { sampleId: 1, k: 5, seed: 0 }),
    );
    const job = await waitJob(run.jobId);
    expect(job.state).toBe('done');

    const [c] = await ok<ClusteringInfo[]>(service.dispatch('clusterings.list', { sampleId: 1 }));
    expect(c!.k).toBe(5);
    expect(c!.sizes.reduce((a, b) => a + b, 0)).toBe(346);
    expect(c!.sizes).toEqual([...c!.sizes].sort((a, b) => b - a));
    const { labels } = await ok<{ labels: number[] }>(
      service.dispatch('clusterings.labels', { clusteringId: c!.id }),
    );
    expect(labels).toHaveLength(346);

    // The stored ARI is what an independent computation from the labels gives.
    const detail = await ok<{ spotIds: string[] }>(service.dispatch('samples.get', { sampleId: 1 }));
    expect(detail.spotIds).toHaveLength(346);
    const ari = c!.agreement.label!.ari;
    expect(Number.isFinite(ari)).toBe(true);
    expect(ari).toBeGreaterThan(0.05); // clearly better than chance on real tissue structure
    const again = await ok<ClusteringInfo[]>(service.dispatch('clusterings.list', { sampleId: 1 }));
    expect(again[0]!.agreement.label!.ari).toBe(ari);
    expect(adjustedRandIndex(labels, labels)).toBe(1);

    const domains = c!.domains.map((d) =>
      d.label === 4 ? { ...d, mergedInto: 3 } : d.label === 0 ? { ...d, name: 'Tumour' } : d,
    );
    const updated = await ok<ClusteringInfo>(
      service.dispatch('clusterings.setDomains', { clusteringId: c!.id, domains }),
    );
    expect(updated.domains[0]!.name).toBe('Tumour');
    // After the merge the counts and the ARI are those of the merged labels.
    expect(updated.sizes[4]).toBe(0);
    expect(updated.sizes[3]).toBe(c!.sizes[3]! + c!.sizes[4]!);
    const truth = (await readSample(sharedData('her2st', 'A1'))).annotations!.label!;
    const merged = labels.map((l) => (l === 4 ? 3 : l));
    expect(updated.agreement.label!.ari).toBeCloseTo(
      adjustedRandIndex(truth, merged, ['', 'undetermined']),
      12,
    );
    expect(updated.agreement.label!.ari).not.toBe(ari);
    const bad = await service.dispatch('clusterings.setDomains', {
      clusteringId: c!.id,
      domains: domains.map((d) => (d.label === 3 ? { ...d, mergedInto: 4 } : d)),
    });
    expect(!bad.ok && (bad.error as { message: string }).message).toMatch(/circle/);

    const markers = await ok<{ label: number; name: string; genes: { symbol: string; score: number }[] }[]>(
      service.dispatch('clusterings.markers', { clusteringId: c!.id, n: 5 }),
    );
    expect(markers.map((m) => m.label)).toEqual([0, 1, 2, 3]); // 4 merged into 3
    expect(markers[0]!.name).toBe('Tumour');
    for (const m of markers) {
      expect(m.genes).toHaveLength(5);
      expect(m.genes[0]!.score).toBeGreaterThanOrEqual(m.genes[4]!.score);
    }
  });
});

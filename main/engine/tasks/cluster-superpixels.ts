import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { clusterSrDomains, defaultDomains, type SrDomainSpace } from '../analysis';
import { badInput, throwIfAborted } from '../errors';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import { methodLabel, openSuperpixels } from '../methods/registry';
import { parseRun } from '../methods/runs';
import { writeArrayFile } from '../store/array-file';
import { loadSample } from '../store/sample-store';
import { openProject } from '../store/project';
import { insertClustering } from '../store/repos/clusterings';
import { getRun } from '../store/repos/runs';
import { srDomainInputOfRun } from './sr-domain-input';

export interface ClusterSuperpixelsParams {
  runId: number;
  /** the run's sample (for events) */
  sampleId?: number;
  k: number;
  seed?: number;
  /** connected pieces smaller than this many superpixels join their commonest neighbour (0 = off) */
  minComponent?: number;
  /**
   * what is clustered (analysis/sr-domains.ts): 'tissue' (default when the run stored its
   * histology input) = latent smoothed along the image + histology; 'latent' = HISTEX's raw latent
   */
  space?: SrDomainSpace;
}

export interface ClusterSuperpixelsResult {
  clusteringId: number;
  k: number;
  sizes: number[];
  superpixels: number;
}

/**
 * SR domains of a run: k-means over every tissue superpixel in the chosen space (HISTEX's raw
 * latent, or latent smoothed along the image + histology: analysis/sr-domains.ts,
 * docs/domains.md), then iStar's small-component clean-up on the superpixel grid (methods.md
 * §9.4). Labels are sorted by size, 0 = largest.
 */
export async function run(p: ClusterSuperpixelsParams, ctx: TaskContext): Promise<ClusterSuperpixelsResult> {
  const project = openProject(ctx.projectDir);
  try {
    const row = getRun(project.db, p.runId);
    const r = row ? parseRun(row, methodLabel) : undefined;
    if (!r || r.kind !== 'superpixels')
      throw badInput(`Run ${p.runId} is not a superpixel SR run of this project.`);
    ctx.progress({ fraction: 0.02, message: 'Reading the latent' });
    const reader = openSuperpixels(r, project.arraysDir, loadSample(project, r.sampleId));
    const inp = srDomainInputOfRun(project.arraysDir, r, reader);
    const n = inp.index.length;
    const space: SrDomainSpace = p.space ?? (inp.histology ? 'tissue' : 'latent');
    const labels = clusterSrDomains(inp, {
      k: p.k,
      space,
      seed: p.seed ?? 0,
      minComponent: p.minComponent ?? 20,
      signal: ctx.signal,
      progress: subProgress(ctx.progress, 0.05, 0.95),
    });
    throwIfAborted(ctx.signal);
    const sizes = Array.from({ length: p.k }, () => 0);
    for (const l of labels) if (l >= 0) sizes[l]!++;
    const labelsArray = `clustering-${randomUUID()}.arr`;
    writeArrayFile(join(project.arraysDir, labelsArray), { dtype: 'int32', shape: [n], data: labels });
    const clusteringId = project.db.transaction(() =>
      insertClustering(project.db, {
        sampleId: r.sampleId,
        runId: r.id,
        k: p.k,
        params: {
          level: 'superpixel',
          seed: p.seed ?? 0,
          space,
          sizes,
          minComponent: p.minComponent ?? 20,
          agreement: {},
        },
        labelsArray,
        domains: defaultDomains(p.k),
      }),
    )();
    ctx.progress({ fraction: 1, message: `k = ${p.k} over ${n} superpixels` });
    return { clusteringId, k: p.k, sizes, superpixels: n };
  } finally {
    project.close();
  }
}

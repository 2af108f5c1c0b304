import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { adjustedRandIndex, clusterSpots, defaultDomains, normalizedMutualInfo } from '../analysis';
import { DEFAULT_SPOT_CLUSTERING, type SpotClusteringMethod } from '../analysis/spot-clustering';
import { throwIfAborted } from '../errors';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import { writeArrayFile } from '../store/array-file';
import { openProject } from '../store/project';
import { insertClustering } from '../store/repos/clusterings';
import { loadSample } from '../store/sample-store';

export interface ClusterSpotsParams {
  sampleId: number;
  k: number;
  seed?: number;
  nHvg?: number;
  nPcs?: number;
  /** spot embedding (analysis/spot-clustering.ts); default DEFAULT_SPOT_CLUSTERING */
  method?: SpotClusteringMethod;
}

export interface ClusterSpotsResult {
  clusteringId: number;
  k: number;
  sizes: number[];
  /** agreement with each of the sample's annotations (unlabelled spots excluded) */
  agreement: Record<string, { ari: number; nmi: number }>;
}

/** Spots that carry no real label: '' and the HER2ST "undetermined" class. */
const UNLABELLED = ['', 'undetermined'];

/** Spot-level domains: the benchmark's clustering protocol, stored as a clustering of the sample. */
export async function run(p: ClusterSpotsParams, ctx: TaskContext): Promise<ClusterSpotsResult> {
  const project = openProject(ctx.projectDir);
  try {
    ctx.progress({ fraction: 0.02, message: 'Loading the sample' });
    const sample = loadSample(project, p.sampleId);
    const seed = p.seed ?? 0;
    const c = clusterSpots(
      sample.counts,
      {
        k: p.k,
        seed,
        nHvg: p.nHvg ?? 2000,
        nPcs: p.nPcs ?? 50,
        method: p.method ?? DEFAULT_SPOT_CLUSTERING,
        positions: sample.spots,
      },
      subProgress(ctx.progress, 0.05, 0.9),
      ctx.signal,
    );
    throwIfAborted(ctx.signal);
    const agreement: ClusterSpotsResult['agreement'] = {};
    const pred = Array.from(c.labels);
    for (const [name, truth] of Object.entries(sample.annotations ?? {})) {
      agreement[name] = {
        ari: adjustedRandIndex(truth, pred, UNLABELLED),
        nmi: normalizedMutualInfo(truth, pred, UNLABELLED),
      };
    }
    const labelsArray = `clustering-${randomUUID()}.arr`;
    writeArrayFile(join(project.arraysDir, labelsArray), {
      dtype: 'int32',
      shape: [c.labels.length],
      data: c.labels,
    });
    const clusteringId = project.db.transaction(() =>
      insertClustering(project.db, {
        sampleId: p.sampleId,
        runId: null,
        k: p.k,
        params: {
          level: 'spot',
          method: p.method ?? DEFAULT_SPOT_CLUSTERING,
          seed,
          nHvg: c.hvg.length,
          nPcs: c.nPcs,
          sizes: c.sizes,
          agreement,
        },
        labelsArray,
        domains: defaultDomains(p.k),
      }),
    )();
    ctx.progress({ fraction: 1, message: `k = ${p.k}: ${c.sizes.join(', ')} spots` });
    return { clusteringId, k: p.k, sizes: c.sizes, agreement };
  } finally {
    project.close();
  }
}

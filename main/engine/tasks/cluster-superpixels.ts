import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { defaultDomains, kmeans, relabelSmallComponents } from '../analysis';
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

export interface ClusterSuperpixelsParams {
  runId: number;
  /** the run's sample (for events) */
  sampleId?: number;
  k: number;
  seed?: number;
  /** connected pieces smaller than this many superpixels join their commonest neighbour (0 = off) */
  minComponent?: number;
}

export interface ClusterSuperpixelsResult {
  clusteringId: number;
  k: number;
  sizes: number[];
  superpixels: number;
}

/**
 * HISTEX's "SR annotation": k-means on the 128-d latent of every tissue superpixel of an SR run
 * (mini-batch from 100k points), then iStar's small-component clean-up on the superpixel grid
 * (methods.md §9.4). Labels are sorted by size, 0 = largest.
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
    const z = reader.latent?.();
    if (!z) throw badInput(`Run ${p.runId} (${r.label}) has no superpixel latent to cluster.`);
    const index = reader.index;
    const d = z.dim;
    const n = index.length;
    const km = kmeans(
      { nRows: n, nCols: d, data: Float64Array.from(z.data) },
      {
        k: p.k,
        seed: p.seed ?? 0,
        nInit: n >= 100_000 ? 3 : 10,
        signal: ctx.signal,
        progress: subProgress(ctx.progress, 0.05, 0.85),
      },
    );
    throwIfAborted(ctx.signal);
    ctx.progress({ fraction: 0.88, message: 'Cleaning up small pieces' });
    const grid = { rows: r.grid.height, cols: r.grid.width };
    let labels = km.labels;
    if ((p.minComponent ?? 20) > 0) {
      const img = new Int32Array(grid.rows * grid.cols).fill(-1);
      index.forEach((sp, i) => (img[sp] = labels[i]!));
      const cleaned = relabelSmallComponents(img, grid.rows, grid.cols, p.minComponent ?? 20);
      labels = Int32Array.from(index, (sp) => cleaned[sp]!);
    }
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

import { SPOT_CLUSTERING_METHODS, type SpotClusteringMethod } from '../../engine/analysis/spot-clustering';
import { openProject } from '../../engine/store/project';
import type { ClusterSpotsParams, ClusterSpotsResult } from '../../engine/tasks/cluster-spots';
import type { ClusterSuperpixelsResult } from '../../engine/tasks/cluster-superpixels';
import { UsageError, type Output } from '../output';
import { resolveSample } from '../resolve-sample';
import { runJob } from '../run-job';

function positiveInt(name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required.`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${v}".`);
  return n;
}

export async function clusterCommand(
  projectDir: string,
  ref: string | undefined,
  opts: { k?: string; seed?: string; run?: string; space?: string; method?: string },
  out: Output,
): Promise<void> {
  const k = positiveInt('k', opts.k);
  if (k < 2 || k > 30) throw new UsageError(`--k must be between 2 and 30, got ${k}.`);
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    if (opts.run !== undefined) {
      const runId = positiveInt('run', opts.run);
      if (opts.space !== undefined && opts.space !== 'tissue' && opts.space !== 'latent')
        throw new UsageError(`--space must be tissue or latent, got "${opts.space}".`);
      const r = (await runJob(
        project,
        'cluster.superpixels',
        {
          runId,
          sampleId: sample.id,
          k,
          seed: positiveInt('seed', opts.seed, 0),
          ...(opts.space ? { space: opts.space } : {}),
        },
        out,
      )) as ClusterSuperpixelsResult;
      out.result(
        {
          clusteringId: r.clusteringId,
          k: r.k,
          sizes: r.sizes,
          superpixels: r.superpixels,
          level: 'superpixel',
        },
        `Clustering ${r.clusteringId} of run ${runId}: k = ${r.k} over ${r.superpixels} superpixels, sizes ${r.sizes.join(', ')}`,
      );
      return;
    }
    const method = opts.method as SpotClusteringMethod | undefined;
    if (method !== undefined && !SPOT_CLUSTERING_METHODS.includes(method))
      throw new UsageError(
        `--method must be one of ${SPOT_CLUSTERING_METHODS.join(', ')}, got "${opts.method}".`,
      );
    const params: ClusterSpotsParams = {
      sampleId: sample.id,
      k,
      seed: positiveInt('seed', opts.seed, 0),
      ...(method ? { method } : {}),
    };
    const r = (await runJob(project, 'cluster.spots', params, out)) as ClusterSpotsResult;
    const agree = Object.entries(r.agreement)
      .map(([name, a]) => `ARI vs ${name} ${a.ari.toFixed(3)} (NMI ${a.nmi.toFixed(3)})`)
      .join('; ');
    out.result(
      { clusteringId: r.clusteringId, k: r.k, sizes: r.sizes, agreement: r.agreement },
      `Clustering ${r.clusteringId} of ${sample.name}: k = ${r.k}, sizes ${r.sizes.join(', ')}${agree ? `; ${agree}` : ''}`,
    );
  } finally {
    project.close();
  }
}

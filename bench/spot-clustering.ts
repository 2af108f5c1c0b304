/**
 * `npm run bench -- spot-clustering [--sections A1,B1,C1] [--seeds 0,1,2]`: the spot-level
 * clustering methods (analysis/spot-clustering.ts) by ARI against the pathologists' labels of the
 * labelled HER2ST sections, k = number of labelled classes; per section, method and seed, and the
 * mean over sections and seeds. The default (DEFAULT_SPOT_CLUSTERING) is the best mean.
 */
import { SPOT_CLUSTERING_METHODS, clusterSpots } from '../main/engine/analysis/spot-clustering';
import { adjustedRandIndex } from '../main/engine/analysis';
import { readSample } from '../main/engine/io';
import { sharedData } from '../test/helpers/paths';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const UNLABELLED = ['', 'undetermined'];

export default async function spotClusteringBench(args: string[]) {
  const sections = (arg(args, 'sections') ?? 'A1,B1,C1').split(',');
  const seeds = (arg(args, 'seeds') ?? '0,1,2').split(',').map(Number);
  const perSection: Record<string, Record<string, number[]>> = {};
  const mean: Record<string, number> = {};
  for (const section of sections) {
    const sample = await readSample(sharedData('her2st', section));
    const [name, truth] = Object.entries(sample.annotations ?? {})[0] ?? [];
    if (!truth) throw new Error(`${section} has no annotation`);
    const k = new Set(truth.filter((t) => !UNLABELLED.includes(t))).size;
    const row: Record<string, number[]> = {};
    for (const method of SPOT_CLUSTERING_METHODS) {
      row[method] = seeds.map((seed) => {
        const c = clusterSpots(sample.counts, { k, seed, method, positions: sample.spots });
        return adjustedRandIndex(truth, Array.from(c.labels), UNLABELLED);
      });
      mean[method] =
        (mean[method] ?? 0) + row[method]!.reduce((a, b) => a + b, 0) / seeds.length / sections.length;
      process.stderr.write(
        `${section} (${name}, k=${k}) ${method}: ${row[method]!.map((v) => v.toFixed(3)).join(' ')}\n`,
      );
    }
    perSection[section] = row;
  }
  return { sections: perSection, meanAri: mean, seeds };
}

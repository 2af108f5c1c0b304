import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TaskDefinition } from '../jobs/task';
import type { ClusterSpotsParams } from './cluster-spots';
import type { ClusterSuperpixelsParams } from './cluster-superpixels';
import type { ExportSampleParams } from './export-sample';
import type { ExtractFeaturesParams } from './extract-features';
import type { ImportParams } from './import-sample';
import { LEGACY_SR_JOB_KINDS, methodLabel } from '../methods/registry';
import type { SrJobParams } from './sr';
import type { ApiEvent } from '../../../preload/contract';

/** The sample a job's parameters name (every sample-level task has one). */
const sampleOf = (p: unknown): number => (p as { sampleId: number }).sampleId;
const changed =
  (type: 'runs-changed' | 'layers-changed' | 'clusterings-changed') =>
  (p: unknown): ApiEvent[] => [{ type, sampleId: sampleOf(p) }];

/** Task modules (and the service thread's, sr-values-layer) are .ts in development and tests, bundled .js in the packaged app. */
export function taskModule(base: string): string {
  const ts = fileURLToPath(new URL(`./${base}.ts`, import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL(`./${base}.js`, import.meta.url));
}

/** Every job kind the app can run, keyed by kind; modules are loaded inside worker threads. */
export const TASKS: ReadonlyMap<string, TaskDefinition> = new Map<string, TaskDefinition>([
  [
    'sample.import',
    {
      kind: 'sample.import',
      module: taskModule('import-sample'),
      heavy: true,
      announces: () => [{ type: 'samples-changed' }],
      title: (p) => `Import ${(p as ImportParams).name ?? (p as ImportParams).path.split(/[\\/]/).pop()}`,
    } satisfies TaskDefinition,
  ],
  [
    'cluster.spots',
    {
      kind: 'cluster.spots',
      module: taskModule('cluster-spots'),
      heavy: true,
      announces: changed('clusterings-changed'),
      title: (p) => `Domains (k = ${(p as ClusterSpotsParams).k})`,
    } satisfies TaskDefinition,
  ],
  [
    'export.sample',
    {
      kind: 'export.sample',
      module: taskModule('export-sample'),
      heavy: false,
      title: (p) => `Export ${(p as ExportSampleParams).format.toUpperCase()}`,
    } satisfies TaskDefinition,
  ],
  [
    'features.extract',
    {
      kind: 'features.extract',
      module: taskModule('extract-features'),
      heavy: true,
      announces: changed('layers-changed'),
      title: (p) => {
        const e = (p as ExtractFeaturesParams).extractor ?? 'builtin';
        return `Features (${e === 'builtin' ? 'built-in' : e.split(/[\\/]/).pop()})`;
      },
    } satisfies TaskDefinition,
  ],
  [
    'sr',
    {
      kind: 'sr',
      module: taskModule('sr'),
      heavy: true,
      announces: changed('runs-changed'),
      title: (p) => `${methodLabel((p as SrJobParams).method)} super-resolution`,
    } satisfies TaskDefinition,
  ],
  // job rows of the per-method kinds written before `sr` resume through the same task
  ...Object.entries(LEGACY_SR_JOB_KINDS).map(([kind, method]): [string, TaskDefinition] => [
    kind,
    { kind, module: taskModule('sr'), heavy: true, title: () => `${methodLabel(method)} super-resolution` },
  ]),
  [
    'cluster.superpixels',
    {
      kind: 'cluster.superpixels',
      module: taskModule('cluster-superpixels'),
      heavy: true,
      announces: changed('clusterings-changed'),
      title: (p) => `SR domains (k = ${(p as ClusterSuperpixelsParams).k})`,
    } satisfies TaskDefinition,
  ],
]);

/**
 * Method and channel names with no runtime dependency, so the sandboxed preload can import them
 * without pulling zod into the renderer process. index.ts checks this list against the schemas.
 */
export const METHOD_NAMES = [
  'app.info',
  'project.create',
  'project.open',
  'project.info',
  'project.recent',
  'samples.list',
  'samples.import',
  'samples.get',
  'samples.genes',
  'samples.geneNames',
  'samples.expression',
  'clusterings.run',
  'clusterings.list',
  'clusterings.labels',
  'clusterings.setDomains',
  'clusterings.markers',
  'layers.domains',
  'exports.run',
  'features.run',
  'features.list',
  'features.extractors',
  'layers.featuresPca',
  'methods.list',
  'runs.start',
  'runs.list',
  'layers.spotSet',
  'layers.srValues',
  'samples.spotInfo',
  'jobs.list',
  'jobs.cancel',
  'jobs.resume',
  'project.readText',
  'cohort.open',
  'cohort.recent',
  'cohort.figure',
  'annotations.list',
  'annotations.save',
  'annotations.delete',
  'annotations.importGeojson',
  'annotations.exportGeojson',
  'regions.stats',
] as const;

export type MethodNameList = (typeof METHOD_NAMES)[number];

/** IPC channel names, shared by preload and main. */
export const IPC_INVOKE = 'stsr:invoke';
export const IPC_EVENT = 'stsr:event';

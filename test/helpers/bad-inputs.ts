import { METHOD_NAMES, type MethodName } from '../../preload/contract';

/**
 * Inputs every handler must refuse with a typed error. Shared by the IPC-table and HTTP tests so
 * both transports are held to the same contract.
 */
export const BAD_INPUTS: Record<MethodName, unknown[]> = {
  'app.info': [42, 'x', [], { extra: 1 }],
  'project.create': [
    {},
    { dir: 5 },
    { dir: '' },
    { dir: '   ' },
    { dir: '/tmp/x', name: 7 },
    { dir: '/tmp/x', bogus: true },
    null,
    'str',
  ],
  'project.open': [{}, { dir: null }, { dir: ['a'] }, { path: '/tmp' }],
  'project.info': [{ dir: '/tmp' }, 3],
  'project.recent': [{ limit: 'x' }, true],
  'samples.list': [{ x: 1 }, 'a'],
  'samples.import': [
    {},
    { path: 3 },
    { path: '' },
    { path: '/tmp/x', umPerPx: -1 },
    { path: '/tmp/x', umPerPx: 'big' },
    { path: '/tmp/x', umPerPx: Infinity },
  ],
  'samples.get': [{}, { sampleId: 'a' }, { sampleId: 0 }],
  'samples.genes': [{ sampleId: 1 }, { sampleId: 1, query: 5 }, { sampleId: 1, query: 'x', limit: 1000 }],
  'layers.srValues': [{ runId: 1 }, { runId: 1, gene: -1 }, { runId: 1, gene: 0, symbol: '' }],
  'samples.spotInfo': [{}, { sampleId: 'x' }],
  'samples.geneNames': [{}, { sampleId: 0 }, { sampleId: 1, query: 'x' }],
  'samples.expression': [
    { sampleId: 1 },
    { sampleId: 1, gene: 0, symbol: '' },
    { sampleId: 1, gene: -1 },
    { sampleId: 1, gene: 0, scale: 'log2' },
  ],
  'clusterings.run': [
    { sampleId: 1 },
    { sampleId: 1, k: 1 },
    { sampleId: 1, k: 31 },
    { sampleId: 1, k: 2.5 },
  ],
  'layers.domains': [{}, { clusteringId: 0 }],
  'clusterings.list': [{}, { sampleId: '1' }],
  'clusterings.labels': [{}, { clusteringId: -2 }],
  'clusterings.setDomains': [
    { clusteringId: 1 },
    { clusteringId: 1, domains: [] },
    { clusteringId: 1, domains: [{ label: 0, name: 'A', color: 'red', mergedInto: null }] },
    { clusteringId: 1, domains: [{ label: 0, name: '', color: '#112233', mergedInto: null }] },
  ],
  'clusterings.markers': [{}, { clusteringId: 1, n: 0 }],
  'exports.run': [
    { sampleId: 1 },
    { sampleId: 1, format: 'xlsx' },
    { sampleId: 1, format: 'h5ad', out: '/etc/x' },
  ],
  'features.run': [{}, { sampleId: 'x' }, { sampleId: 1, extractor: '../uni.onnx' }],
  'features.extractors': [{ extra: 1 }],
  'features.list': [{}, { sampleId: -1 }],
  'layers.featuresPca': [{}, { sampleId: 1, extra: 1 }],
  'methods.list': [{ extra: 1 }, 'x'],
  'runs.start': [
    { sampleId: 1, method: 'histex', options: { epoch: 3 } },
    { sampleId: 1, method: 'interp', preset: 'paper' },
    { sampleId: 1, method: 'Bad Name' },
    { sampleId: 1 },
    { sampleId: 1, method: 'diffusion' },
    { sampleId: 1, method: 'histex', epochs: 0 },
    { sampleId: 1, method: 'histex', featureSetId: 'uni' },
    { sampleId: 1, method: 'histosge', fold: 3 },
  ],
  'runs.list': [{}],
  'layers.spotSet': [{ runId: 1 }, { runId: 'a', gene: 1 }],
  'jobs.list': [{ all: true }, 0],
  'jobs.cancel': [{}, { jobId: 'x' }, { jobId: -1 }, { jobId: 1.5 }],
  'jobs.resume': [{}, { jobId: null }, { jobId: 0 }],
  'project.readText': [{}, { path: 1 }, { path: '' }],
  'cohort.open': [{}, { path: 3 }, { path: '  ' }, { dir: '/tmp' }],
  'cohort.recent': [{ limit: 1 }, 'x'],
  'cohort.figure': [{ file: '/tmp/i.json' }, { file: '', sample: 'a' }, { file: '/tmp/i.json', sample: '' }],
  'annotations.list': [{}, { sampleId: 0 }],
  'annotations.save': [
    {
      sampleId: 1,
      name: 'x',
      color: '#ff0000',
      kind: 'polygon',
      geometry: { type: 'Polygon', coordinates: [[[0, 0]]] },
    },
    {
      sampleId: 1,
      name: '',
      color: '#ff0000',
      kind: 'polygon',
      geometry: { type: 'Point', coordinates: [0, 0] },
    },
    { sampleId: 1, name: 'x', color: 'red', kind: 'lasso', geometry: null },
  ],
  'annotations.delete': [{}, { id: 'a' }],
  'annotations.importGeojson': [{ sampleId: 1 }, { sampleId: 1, text: 5 }],
  'annotations.exportGeojson': [{}, { sampleId: -1 }],
  'regions.stats': [
    { annotationId: 1 },
    { annotationId: 1, genes: 'ERBB2' },
    { annotationId: 1, genes: [], nTop: 0 },
  ],
};

/** Paths that must never be read through project.readText (need an open project). */
export const ESCAPING_PATHS = [
  'project.sqlite',
  'project.sqlite-wal',
  '../outside.txt',
  '/etc/passwd',
  'arrays/../../x',
  '..',
  'a/../../b',
  'C:\\Windows\\win.ini',
  'x\0y',
];

export const ALL_METHODS: readonly MethodName[] = METHOD_NAMES;

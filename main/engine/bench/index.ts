/**
 * Public surface of the benchmark harness (benchmark.md): run a protocol on a sample, the method
 * registry other methods join with registerMethod, and the report writers.
 */
export {
  runBench,
  selectGenes,
  GENE_SELECTIONS,
  parseMethodList,
  hdBlock,
  DEFAULT_HD_PSEUDO_SPOT_UM,
  ALL_METHODS,
  expandAll,
  type BenchOptions,
  type HdTruth,
  type BenchResult,
  type GeneSelection,
  type MethodScores,
  type Protocol,
} from './harness';
export { registerMethod, getMethod, listMethods, methodsFor, CONTROL_NAMES } from './registry';
export { benchMarkdown, benchChartSvg, writeBenchReport, type WrittenReport } from './report';

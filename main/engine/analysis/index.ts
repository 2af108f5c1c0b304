/**
 * analysis/: the pure scientific core shared by SR methods, the benchmark harness and clustering
 * (docs/architecture.md "analysis/"). No I/O, no Electron; every function is deterministic given
 * its seed.
 */
export { Rng } from './random';
export type { DenseMatrix, SymmetricEigen, Svd } from './matrix';
export {
  denseFrom,
  csrToDense,
  selectRows,
  symmetricEigen,
  svdJacobi,
  orthonormalizeColumns,
} from './matrix';
export type { ColumnStats, ScaleResult } from './normalise';
export {
  rowSums,
  normalizeTotal,
  normalizeTotalDense,
  log1pCsr,
  log1pDense,
  logNormalize,
  csrColumnStats,
  denseColumnStats,
  scale,
  scaleCsr,
} from './normalise';
export type { LoessOptions } from './loess';
export { loessFit, loessFitAt, loessVertices } from './loess';
export type { SeuratV3Options, HvgResult } from './hvg';
export { seuratV3Hvg, topVarianceGenes } from './hvg';
export type { PcaOptions, PcaResult } from './pca';
export { pca, project } from './pca';
export type { KMeansOptions, KMeansResult } from './kmeans';
export { kmeans, kmeansPlusPlus, lloyd, sortLabelsBySize, MINIBATCH_THRESHOLD } from './kmeans';
export { smoothChannels, connectedComponents, relabelSmallComponents } from './spatial';
export type { Label, BenchScores, LatticeImageLayout, SsimOptions } from './metrics';
export {
  isLabelled,
  adjustedRandIndex,
  normalizedMutualInfo,
  minMaxPerGene,
  rmsePerGene,
  msePerGene,
  maePerGene,
  pccPerGene,
  finiteMean,
  ssim,
  latticeImageLayout,
  ssimPerGene,
  scoreCoarsen,
  scoreHoldout,
  MINMAX_EPS,
} from './metrics';
export type { SpotPosition, PseudoSpot, Coarsening } from './protocols';
export {
  coarsenSpots,
  holdoutSplit,
  coarseBaseline,
  permutedPrediction,
  noisePrediction,
  averageOverDraws,
} from './protocols';
export type { SpotClustering, SpotClusteringOptions } from './spot-clustering';
export { clusterSpots } from './spot-clustering';
export type { RankedGene } from './rank-genes';
export { rankGenesGroups } from './rank-genes';
export type { Domain } from './domains';
export { defaultDomains, effectiveLabels, resolveLabel, validateDomains } from './domains';
export type { BoundaryMeasure, BoundaryInputs } from './domain-boundaries';
export { measureBoundaries, latticeCells, blockCells, greyFromRgb } from './domain-boundaries';
export type {
  SrDomainSpace,
  SrDomainInput,
  SrDomainOptions,
  SrDomainEmbedding,
  SrDomainClusterOptions,
} from './sr-domains';
export { srDomainEmbedding, jointBilateral, clusterSrDomains } from './sr-domains';

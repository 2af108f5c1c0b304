/**
 * Training-free baselines: `coarse` (benchmark.md step 5), `interp` (HISTEX expression enhancement,
 * methods.md §3.1) and `tesla` (methods.md §7). iStar (§6) trains and lives with the ONNX methods.
 */
export { coarseMethod } from './coarse';
export {
  interpMethod,
  enhance,
  enhanceInput,
  readEnhanced,
  hrParents,
  type Enhanced,
  type HrNode,
  type InterpOptions,
  type MaskRule,
} from './interp';
export { teslaMethod, teslaImpute, convexHull, quantileLinear, type TeslaOptions } from './tesla';
export {
  latticeCoordsOf,
  hexAxialFromIndices,
  inferLatticeCoords,
  fitLatticeAffine,
  latticeToPx,
  pxToLattice,
  latticeDist2,
  type LatticeAffine,
  type PositionedSpot,
} from '../../analysis/lattice';

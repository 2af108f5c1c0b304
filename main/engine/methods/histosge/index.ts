/**
 * HisToSGE (methods.md §4), trained through the ONNX training engine.
 *
 *   const source = await openSpotSource({ image, umPerPx });          // features, RGB, tissue
 *   const fit = await fitHistosge({ source, spots, values, genes, lattice, spotDiameterPx }, PRESETS.default);
 *   const values = await predictAt(fit, points);                       // points × genes
 *   const dense = await generate(fit, 4);                              // measured + new spots
 */
export {
  inTissue,
  inputDim,
  openSpotSource,
  spotInputs,
  type SourceOptions,
  type SpotSource,
} from './inputs';
export {
  cellOffsets,
  chunks,
  generatePositions,
  parents,
  peFrame,
  peIndex,
  type ChunkOrder,
  type GeneratedSpot,
  type LatticePoint,
  type PeFrame,
} from './lattice';
export {
  PRESETS,
  fitHistosge,
  generate,
  heldOut,
  modelOptions,
  patchPxOf,
  predictAt,
  type GeneratedSpots,
  type HistosgeData,
  type HistosgeFit,
  type HistosgeOptions,
  type RunHooks,
} from './pipeline';
export { histosgeMethod, optionsFrom } from './sr-method';

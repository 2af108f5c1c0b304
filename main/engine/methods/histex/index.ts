/**
 * HISTEX (methods.md §3) and its ablations, trained through the ONNX training engine.
 *
 *   const f = await builtinFeatures(sample);                  // or main/engine/features' map
 *   const fit = await fitHistex(input, PRESETS.default, { onProgress, signal });
 *   const latent = await inferLatent(fit);                    // every tissue superpixel, in blocks
 *   const erbb2 = geneValues(fit, latent, [g]);               // counts per superpixel, lazily
 */
export {
  BUILTIN_FOR_HISTEX,
  builtinFeatures,
  fromFeatureMap,
  histexFeatures,
  principalHistology,
  selectChannels,
  type HistexFeatures,
} from './features';
export {
  enhance,
  footprint,
  kNearest,
  minMaxColumns,
  padBags,
  type Bags,
  type EnhancedSpots,
  type TrainingSpot,
} from './geometry';
export {
  PRESETS,
  fitHistex,
  foldHead,
  geneValues,
  inferLatent,
  initialParams,
  medianLatent,
  medianOf,
  prepare,
  tissueIndex,
  type FoldedHead,
  type HistexFit,
  type HistexInput,
  type HistexOptions,
  type LatentMap,
  type RunHooks,
} from './pipeline';
export { pseudoSpotInput, selectGenes } from './coarsen';
export { histexMethod, istarMethod } from './sr-method';
export { StoredRun } from './stored-run';

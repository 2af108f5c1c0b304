/**
 * Histology features for every 8-µm superpixel (the public surface of main/engine/features).
 *
 * Extract:  const ex = await createBuiltinExtractor()            // no weights, ONNX graph
 *           const ex = await loadOnnxExtractor('uni.onnx')        // user model, shapes checked
 *           await extractFeatures({ imagePath, imageUmPerPx, extractor: ex, outDir, signal, progress })
 * Read:     const { map } = openSampleFeatures(project, sampleId, { extractor: 'uni' })
 *           map.rows × map.cols superpixels, map.dim channels
 *           map.readRows(r0, r1) / map.readSuperpixels(idx) / map.readAll()   float32, (r, c, d) row-major
 *           map.mask()              uint8 tissue-superpixel mask
 *           map.rgb(), map.position()   HISTEX's rgb (3) and pos (2) channels
 *           map.superpixelToFullRes(r, c) / map.fullResToSuperpixel(x, y)   geometry in spot coordinates
 * Geometry: superpixel (r, c) = 16-px square at 0.5 µm/px = full-res px [c·k, (c+1)·k) × [r·k, (r+1)·k)
 *           with k = map.fullResPerSuperpixel; the grid is ceil(W·s/224)·14 × … (white padding, no crop).
 */
export {
  FEATURE_UM_PER_PX,
  SP_PER_TILE,
  SUPERPIXEL_PX,
  SUPERPIXEL_UM,
  TILE_PX,
  featureGrid,
  fullResPerSuperpixel,
  fullResToSuperpixel,
  fullResToSuperpixelRound,
  gridMasks,
  roundHalfEven,
  superpixelToFullRes,
  type FeatureGrid,
  type ImageMask,
} from './geometry';
export type { ExtractorManifest, FeatureExtractor, InputConvention, PostStage } from './extractor';
export {
  BUILTIN_BASE_CHANNELS,
  BUILTIN_CHANNELS,
  BUILTIN_CONTEXT,
  BUILTIN_HALO,
  BUILTIN_VERSION,
  buildBuiltinGraph,
  createBuiltinExtractor,
  stainMatrices,
  type BuiltinOptions,
} from './builtin';
export {
  IMAGENET_MEAN,
  IMAGENET_STD,
  loadOnnxExtractor,
  sha256File,
  type OnnxExtractorOptions,
} from './foundation';
export { extractFeatures, type ExtractOptions, type ExtractResult } from './extract';
export { readScaledWindow, readSuperpixelRgb } from './resample';
export { positionChannels } from './position-channels';
export { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from './float16';
export {
  chunkFile,
  openFeatureMap,
  readComplete,
  readPlan,
  type FeatureComplete,
  type FeatureMap,
  type FeaturePlan,
} from './store';
export {
  getFeatureSet,
  insertFeatureSet,
  listFeatureSets,
  openSampleFeatures,
  sampleImageInputs,
  type FeatureSetRow,
  type SampleImageInputs,
} from './project';
export { buildVit, type VitOptions } from './vit';
export { cachedBuiltinFeatureMap } from './cached';

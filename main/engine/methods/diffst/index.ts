/**
 * Diff-ST (methods.md §5): a cross-modal conditional diffusion model trained on the sample's own
 * coarsening through the shared ONNX trainer, with K samples → mean map and per-superpixel SD.
 *
 *   const out = await diffstMethod.predict(input, { seed: 0, preset: 'default' }, progress, signal);
 *   out.values (mean), out.uncertainty (SD over out.samples samples), out.grid
 */
export * from './schedule';
export * from './raster';
export * from './presets';
export * from './uncertainty';
export {
  fitDiffst,
  sampleDiffst,
  imagePixelSizes,
  trainingItems,
  diffusionDataset,
  modelConfig,
  windowOrigins,
  type DiffstFit,
  type SampledMap,
  type SampleOptions,
  type RunHooks,
} from './pipeline';
export {
  diffstMethod,
  presetFrom,
  inputRaster,
  toOutput,
  UNCERTAINTY_LABEL,
  type DiffstOutput,
} from './sr-method';
export * from './gene-basis';
export {
  readSlideRaster,
  featureRaster,
  imageInputShape,
  slideReader,
  type SlideRaster,
} from './image-input';
export { diffstEntry } from './entry';

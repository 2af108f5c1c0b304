/**
 * Public surface of the slide module: open any supported image, read regions at a chosen µm/px,
 * build a Deep Zoom pyramid (progress, cancel, resume) and compute a tissue mask.
 */
export {
  openSlide,
  readRegion,
  isSlidePath,
  SLIDE_EXTENSIONS,
  type Rect,
  type Slide,
  type SlideFormat,
  type SlideLevel,
} from './open';
export { resampleRgb, type RgbImage } from './resample';
export {
  buildDeepZoom,
  deepZoomLevels,
  isDeepZoomComplete,
  levelSize,
  tileSpan,
  type DeepZoomOptions,
  type DeepZoomResult,
} from './deepzoom';
export { tissueMask, otsu, type TissueMask, type TissueMaskOptions } from './tissue-mask';
export { probeImage, type ImageInfo } from './probe';

/** Raster layers drawn over the slide: feature PCA and SR gene maps, one pixel per superpixel. */
export { gridPlacement, gridPng, maskedQuantile, scalarColour, type GridPlacement } from './raster';
export { featuresPcaPng } from './features-pca';
export { cropValues, srValueLabel } from './sr-values';

/**
 * Public surface of the exports (issue 8): AnnData .h5ad (spot-level and SR-level), a reader for
 * our own .h5ad (tests, round trips), CSV, GeoJSON and figures. Everything writes atomically
 * (temp file beside the target, then rename).
 */
export { writeSpotH5ad, writeSrH5ad } from './h5ad-writer';
export type { H5adOptions, H5adResult, SpotH5adOptions, SrH5adOptions } from './h5ad-writer';
export { H5adFile } from './h5ad-reader';
export type { CsrRead, Dataframe, DatasetInfo, TypeInfo } from './h5ad-reader';
export { categoricalFromLabels } from './h5/dataframe';
export type { CategoricalColumn, Column } from './h5/dataframe';
export { gridOf, rowSourceFromArray, superpixelIds } from './sr-input';
export type { LabelGrid, RowSource, Superpixels, SrExportInput } from './sr-input';
export { scanpyImages, scalefactorsFor, HIRES_LONGEST, LOWRES_LONGEST } from './images';
export type { ScanpyImage, Scalefactors } from './images';
export { viridis, hex, parseHex, DEFAULT_PALETTE, VIRIDIS_STOPS } from './colormap';
export { writeSpaceRangerOuts } from './spaceranger';
export type { SpaceRangerResult } from './spaceranger';
export { writeSpotCsv, writeSrCsv, csvField, csvNumber, geneColumns } from './csv';
export type { SpotCsvOptions, SrCsvOptions } from './csv';
export { spotsGeoJson, domainsGeoJson, writeGeoJson, circle } from './geojson';
export type { Feature, FeatureCollection, Position, SpotsGeoJsonOptions } from './geojson';
export { traceLabelGrid, ringArea } from './label-polygons';
export type { GridPolygons, LabelGridInput } from './label-polygons';
export {
  figureLayout,
  niceLength,
  renderFigurePng,
  renderFigureSvg,
  spotFigure,
  srFigure,
  srGeneValues,
  wrapText,
  writeFigure,
} from './figure';
export type {
  Box,
  FigureColor,
  FigureKey,
  FigureLayer,
  FigureLayout,
  FigureSpec,
  RasterLayer,
  SpotsLayer,
} from './figure';
export { pdfOfPng, pdfOfRgb } from './pdf';
export {
  inFigure,
  renderSideBySidePng,
  renderSideBySideSvg,
  sideBySideLayout,
  writeSideBySide,
} from './side-by-side';
export type { FigurePanel, SideBySideLayout, SideBySideSpec } from './side-by-side';

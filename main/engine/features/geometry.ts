/**
 * Where every superpixel sits. Features are computed on the slide resampled to 0.5 µm/px
 * (methods.md §1.1), padded white at the bottom and right to a multiple of 224 px (never cropped),
 * cut into 224 × 224 tiles of 14 × 14 superpixels of 16 px = 8 µm. Everything here is pure
 * arithmetic so that readers (HISTEX, HisToSGE) and the extractor agree on it exactly.
 */
import { EngineError } from '../errors';

export const FEATURE_UM_PER_PX = 0.5;
export const TILE_PX = 224;
export const SUPERPIXEL_PX = 16;
export const SP_PER_TILE = TILE_PX / SUPERPIXEL_PX; // 14
export const SUPERPIXEL_UM = SUPERPIXEL_PX * FEATURE_UM_PER_PX; // 8

export interface FeatureGrid {
  /** size of the image file the features were computed from, in its own pixels */
  imageWidth: number;
  imageHeight: number;
  /** µm per pixel of that image file */
  imageUmPerPx: number;
  /** full-res px per image-file px (Sample.image.scaleToFullRes), so spot coordinates map too */
  scaleToFullRes: number;
  /** resampling factor: 0.5-µm px per image px (> 1 means the image is enlarged) */
  scale: number;
  /** resampled image size before padding: ceil(W·s) × ceil(H·s), so nothing is cropped */
  scaledWidth: number;
  scaledHeight: number;
  tilesX: number;
  tilesY: number;
  /** superpixel grid: tilesY·14 rows × tilesX·14 columns */
  rows: number;
  cols: number;
  /** 'area' when shrinking, 'bilinear' when enlarging (source coarser than 0.5 µm/px), 'none' at 0.5 */
  resampling: 'area' | 'bilinear' | 'none';
  /** set when the source is coarser than 0.5 µm/px: the features see interpolated detail */
  warning?: string;
}

/** Relative tolerance under which W·s is taken as an integer (float noise in µm/px products). */
const EPS = 1e-9;

export function featureGrid(
  imageWidth: number,
  imageHeight: number,
  imageUmPerPx: number,
  scaleToFullRes = 1,
): FeatureGrid {
  if (!(imageUmPerPx > 0) || !Number.isFinite(imageUmPerPx)) {
    throw new EngineError(
      'BAD_INPUT',
      `The image's pixel size must be a positive µm/px (got ${imageUmPerPx}).`,
      {
        hint: 'Set the sample µm/px before extracting features.',
      },
    );
  }
  if (!(imageWidth >= 1 && imageHeight >= 1)) {
    throw new EngineError('BAD_INPUT', `Image size ${imageWidth}×${imageHeight} is empty.`);
  }
  const scale = imageUmPerPx / FEATURE_UM_PER_PX;
  const scaledWidth = Math.ceil(imageWidth * scale - EPS * imageWidth * scale);
  const scaledHeight = Math.ceil(imageHeight * scale - EPS * imageHeight * scale);
  const tilesX = Math.ceil(scaledWidth / TILE_PX);
  const tilesY = Math.ceil(scaledHeight / TILE_PX);
  const resampling = Math.abs(scale - 1) < 1e-12 ? 'none' : scale < 1 ? 'area' : 'bilinear';
  const grid: FeatureGrid = {
    imageWidth,
    imageHeight,
    imageUmPerPx,
    scaleToFullRes,
    scale,
    scaledWidth,
    scaledHeight,
    tilesX,
    tilesY,
    rows: tilesY * SP_PER_TILE,
    cols: tilesX * SP_PER_TILE,
    resampling,
  };
  if (resampling === 'bilinear') {
    grid.warning =
      `The slide is ${imageUmPerPx.toFixed(3)} µm/px, coarser than the 0.5 µm/px features are defined at: ` +
      `it is enlarged ×${scale.toFixed(3)} with bilinear interpolation, so the finest texture channels ` +
      'see interpolated rather than scanned detail.';
  }
  return grid;
}

/** A superpixel's footprint in full-resolution pixels (the coordinates spots use). */
export function superpixelToFullRes(
  g: FeatureGrid,
  row: number,
  col: number,
): { x: number; y: number; w: number; h: number } {
  const k = (SUPERPIXEL_PX / g.scale) * g.scaleToFullRes;
  return { x: col * k, y: row * k, w: k, h: k };
}

/** Full-res px per superpixel side: superpixel (r, c) covers [c·k, (c+1)·k) × [r·k, (r+1)·k). */
export function fullResPerSuperpixel(g: FeatureGrid): number {
  return (SUPERPIXEL_PX / g.scale) * g.scaleToFullRes;
}

/**
 * The superpixel containing a full-res point (floor: superpixel (r, c) spans [r, r+1)). HISTEX
 * rounds pixel/16 half-to-even instead (methods.md §1.1), i.e. it addresses superpixel centres;
 * use `fullResToSuperpixelRound` to reproduce that.
 */
export function fullResToSuperpixel(g: FeatureGrid, x: number, y: number): { row: number; col: number } {
  const k = fullResPerSuperpixel(g);
  return { row: Math.floor(y / k), col: Math.floor(x / k) };
}

/** numpy's round-half-to-even of (0.5-µm px)/16, as HISTEX/iStar convert spot positions. */
export function fullResToSuperpixelRound(g: FeatureGrid, x: number, y: number): { row: number; col: number } {
  const k = fullResPerSuperpixel(g);
  return { row: roundHalfEven(y / k), col: roundHalfEven(x / k) };
}

export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** A binary mask over the image file (the slide module's tissue mask, or one read from a project). */
export interface ImageMask {
  width: number;
  height: number;
  /** 1 = tissue, row-major */
  data: Uint8Array;
  /** image-file px per mask px */
  scaleX: number;
  scaleY: number;
}

/**
 * Tiles that touch tissue (any mask pixel overlapping the tile's footprint is tissue) and the
 * superpixel tissue mask (the mask pixel under the superpixel's centre). Tiles are listed
 * row-major, `tiles[ty * tilesX + tx]`.
 */
export function gridMasks(g: FeatureGrid, mask: ImageMask): { tiles: Uint8Array; superpixels: Uint8Array } {
  const tiles = new Uint8Array(g.tilesX * g.tilesY);
  // mask px per 0.5-µm px along each axis
  const fx = 1 / (g.scale * mask.scaleX);
  const fy = 1 / (g.scale * mask.scaleY);
  // Column prefix counts per mask row make each tile's "any tissue" test O(rows of the tile).
  const pref = new Uint32Array((mask.width + 1) * mask.height);
  for (let y = 0; y < mask.height; y++) {
    let acc = 0;
    for (let x = 0; x < mask.width; x++) {
      acc += mask.data[y * mask.width + x]! ? 1 : 0;
      pref[y * (mask.width + 1) + x + 1] = acc;
    }
  }
  for (let ty = 0; ty < g.tilesY; ty++) {
    const y0 = Math.floor(ty * TILE_PX * fy);
    const y1 = Math.min(mask.height, Math.ceil((ty + 1) * TILE_PX * fy));
    for (let tx = 0; tx < g.tilesX; tx++) {
      const x0 = Math.floor(tx * TILE_PX * fx);
      const x1 = Math.min(mask.width, Math.ceil((tx + 1) * TILE_PX * fx));
      let any = false;
      for (let y = y0; y < y1 && !any; y++) {
        const base = y * (mask.width + 1);
        if (pref[base + x1]! - pref[base + x0]! > 0) any = true;
      }
      tiles[ty * g.tilesX + tx] = any ? 1 : 0;
    }
  }
  const superpixels = new Uint8Array(g.rows * g.cols);
  for (let r = 0; r < g.rows; r++) {
    const my = Math.floor((r + 0.5) * SUPERPIXEL_PX * fy);
    if (my >= mask.height) continue;
    for (let c = 0; c < g.cols; c++) {
      const mx = Math.floor((c + 0.5) * SUPERPIXEL_PX * fx);
      if (mx >= mask.width) continue;
      superpixels[r * g.cols + c] = mask.data[my * mask.width + mx]! ? 1 : 0;
    }
  }
  return { tiles, superpixels };
}

/**
 * The hires/lowres images and scalefactors of uns['spatial'][library_id], made the way Space Ranger
 * makes them (formats.md §3.3–3.4): longest side 2000 px (hires) and 600 px (lowres), aspect kept,
 * and tissue_<key>_scalef = image px per full-res px.
 */
import sharp from 'sharp';
import { decodeFailure } from '../io/problems';
import type { ImageRef } from '../io/sample';

export const HIRES_LONGEST = 2000;
export const LOWRES_LONGEST = 600;
/**
 * Fiducial/spot diameter ratio of Visium slides (10x's scalefactors examples: 144.50 / 89.45).
 * scanpy does not use it for plotting; we keep the key so files look like Space Ranger's.
 */
export const FIDUCIAL_TO_SPOT = 144.4950723 / 89.4535218;

export interface ScanpyImage {
  key: 'hires' | 'lowres';
  /** H × W × 3, row-major */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** image px per full-res px */
  scalef: number;
}

/**
 * Downscaled RGB copies of the sample image. Never upscales: when the source is smaller than a
 * target size the source size is used, and hires is only made when the source is larger than
 * lowres (e.g. a Space Ranger folder that only ships the lowres PNG yields just `lowres`, with the
 * same scale factor Space Ranger wrote).
 */
export async function scanpyImages(image: ImageRef): Promise<ScanpyImage[]> {
  const longest = Math.max(image.width, image.height);
  const out: ScanpyImage[] = [];
  const targets: ['hires' | 'lowres', number][] = [];
  if (longest > LOWRES_LONGEST) targets.push(['hires', Math.min(HIRES_LONGEST, longest)]);
  targets.push(['lowres', Math.min(LOWRES_LONGEST, longest)]);
  for (const [key, side] of targets) {
    const k = side / longest;
    const width = Math.max(1, Math.round(image.width * k));
    const height = Math.max(1, Math.round(image.height * k));
    const { data, info } = await sharp(image.path, { limitInputPixels: false })
      .removeAlpha()
      .toColourspace('srgb')
      // box-filter-like downsampling, as Space Ranger does; 'cubic' for the rare same-size case
      .resize(width, height, { fit: 'fill', kernel: k < 1 ? 'mitchell' : 'cubic' })
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((cause: unknown) => {
        throw decodeFailure(image.path, cause);
      });
    if (info.channels !== 3)
      throw new Error(`image ${image.path}: expected RGB, got ${info.channels} channels`);
    out.push({
      key,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      // use the realised size: rounding makes it differ from `k` by < 1 px
      scalef: info.width / image.width / image.scaleToFullRes,
    });
  }
  return out;
}

export interface Scalefactors {
  tissue_hires_scalef?: number;
  tissue_lowres_scalef?: number;
  spot_diameter_fullres: number;
  fiducial_diameter_fullres: number;
}

export function scalefactorsFor(spotDiameterFullres: number, images: ScanpyImage[]): Scalefactors {
  const sf: Scalefactors = {
    spot_diameter_fullres: spotDiameterFullres,
    fiducial_diameter_fullres: spotDiameterFullres * FIDUCIAL_TO_SPOT,
  };
  for (const im of images) sf[`tissue_${im.key}_scalef`] = im.scalef;
  return sf;
}

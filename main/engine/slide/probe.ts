import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { EngineError } from '../errors';

// One shared policy for every sharp call in the engine: no operation cache (a long-running app
// would otherwise keep decoded slides alive) and no pixel limit (whole-slide images are by design
// larger than sharp's 268 Mpx safety default; memory is bounded by streaming/tiling instead).
sharp.cache(false);

export const SHARP_INPUT = { limitInputPixels: false } as const;

export interface ImageInfo {
  width: number;
  height: number;
  format: string;
  channels: number;
  /** number of pages (TIFF pyramids / multi-image files) */
  pages: number;
}

/** Reads only the image header: cheap even for a 9k × 9k JPEG. */
export async function probeImage(path: string): Promise<ImageInfo> {
  if (!existsSync(path)) {
    throw new EngineError('NOT_FOUND', `Image ${path} not found.`, {
      file: path,
      hint: 'Check the path, or import without an image.',
    });
  }
  try {
    const m = await sharp(path, SHARP_INPUT).metadata();
    if (!m.width || !m.height) throw new Error('no dimensions in header');
    return {
      width: m.width,
      height: m.height,
      format: m.format,
      channels: m.channels ?? 3,
      pages: m.pages ?? 1,
    };
  } catch (cause) {
    throw new EngineError('BAD_INPUT', `${path} is not a readable image (${(cause as Error).message}).`, {
      file: path,
      hint: 'Use a JPEG, PNG or TIFF/SVS file; re-export the image if it is damaged.',
      cause,
    });
  }
}

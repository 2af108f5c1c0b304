import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { EngineError } from '../errors';
import { checkPixelBudget, requireRegularFile } from '../io/input-limits';
import { importError } from '../io/problems';

// One shared policy for every sharp call in the engine: no operation cache (a long-running app
// would otherwise keep decoded slides alive). sharp's own pixel limit is off because whole-slide
// images are by design larger than its 268 Mpx default: instead every image an import admits has
// passed probeImage's pixel budget (io/input-limits.ts, raised with --max-image-pixels), which
// reads only the header, so a decompression bomb is refused before a single pixel is decoded.
// Later decodes (pyramid, features) read images that were admitted that way.
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

/**
 * Reads only the image header: cheap even for a 9k × 9k JPEG. Refuses non-regular files (a FIFO
 * would block) and images over the pixel budget, naming the file, its size and the flag.
 */
export async function probeImage(path: string): Promise<ImageInfo> {
  if (!existsSync(path)) {
    throw new EngineError('NOT_FOUND', `Image ${path} not found.`, {
      file: path,
      hint: 'Check the path, or import without an image.',
    });
  }
  requireRegularFile(path);
  let info: ImageInfo;
  try {
    const m = await sharp(path, SHARP_INPUT).metadata();
    if (!m.width || !m.height) throw new Error('no dimensions in header');
    info = {
      width: m.width,
      height: m.height,
      format: m.format,
      channels: m.channels ?? 3,
      pages: m.pages ?? 1,
    };
  } catch (cause) {
    throw importError(
      'bad-image',
      path,
      `not a readable image (${(cause as Error).message.trim()})`,
      'Use a JPEG, PNG or TIFF/SVS file; re-export the image if it is damaged.',
      { cause },
    );
  }
  // TIFF/SVS pyramids are read tile by tile; JPEG/PNG/WebP are decoded as one image.
  checkPixelBudget(path, info.width, info.height, info.format === 'tiff' ? 'tiled' : 'whole');
  return info;
}

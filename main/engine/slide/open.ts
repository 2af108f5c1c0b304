import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import sharp from 'sharp';
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { EngineError, throwIfAborted } from '../errors';
import { requireRegularFile } from '../io/input-limits';
import { decodeFailure } from '../io/problems';
import { SHARP_INPUT } from './probe';
import { resampleRgb, type RgbImage } from './resample';

export interface SlideLevel {
  width: number;
  height: number;
  /** full-res px per px of this level */
  downsample: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type SlideFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'bigtiff' | 'ome-tiff' | 'svs' | 'other';

/**
 * An opened whole-slide (or ordinary) image. Everything is addressed in full-resolution pixels;
 * `read` returns RGB at whatever output size the caller asks, picking the pyramid level that
 * avoids decoding more than needed.
 */
export interface Slide {
  path: string;
  format: SlideFormat;
  backend: 'sharp' | 'geotiff';
  width: number;
  height: number;
  levels: SlideLevel[];
  /** µm per full-res pixel, when known (from the sample); readRegion needs it */
  umPerPx?: number;
  /** RGB of `rect` (full-res px, clipped to the image) resampled to outW × outH (area average when shrinking). */
  read(rect: Rect, outW: number, outH: number, signal?: AbortSignal): Promise<RgbImage>;
  close(): Promise<void>;
}

function sniff(path: string): 'tiff' | 'bigtiff' | 'other' {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    const le = b[0] === 0x49 && b[1] === 0x49;
    const be = b[0] === 0x4d && b[1] === 0x4d;
    if (!le && !be) return 'other';
    const magic = le ? b.readUInt16LE(2) : b.readUInt16BE(2);
    return magic === 43 ? 'bigtiff' : magic === 42 ? 'tiff' : 'other';
  } finally {
    closeSync(fd);
  }
}

function clipRect(r: Rect, w: number, h: number): Rect {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(w, Math.ceil(r.x + r.w));
  const y1 = Math.min(h, Math.ceil(r.y + r.h));
  if (x1 <= x0 || y1 <= y0) {
    throw new EngineError('BAD_INPUT', `Region ${JSON.stringify(r)} lies outside the ${w}×${h} image.`, {
      hint: 'Ask for a region inside the image.',
    });
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function checkOut(outW: number, outH: number): void {
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1 || outW * outH > 1 << 28) {
    throw new EngineError('BAD_INPUT', `Output size ${outW}×${outH} is not a valid raster size.`);
  }
}

/** Opens JPEG/PNG/WebP with sharp and TIFF-family files (TIFF, BigTIFF, OME-TIFF, SVS) with geotiff. */
export async function openSlide(path: string, opts: { umPerPx?: number } = {}): Promise<Slide> {
  if (!existsSync(path)) throw new EngineError('NOT_FOUND', `Image ${path} not found.`, { file: path });
  // The slide stays where the user keeps it: by the time features or a figure read it, it may have
  // become a FIFO or a device (opening one blocks forever).
  requireRegularFile(path);
  const kind = sniff(path);
  const slide = kind !== 'other' ? await openTiff(path, kind) : await openSharp(path);
  if (opts.umPerPx !== undefined) slide.umPerPx = opts.umPerPx;
  return slide;
}

async function openSharp(path: string): Promise<Slide> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(path, SHARP_INPUT).metadata();
  } catch (cause) {
    throw new EngineError('BAD_INPUT', `${path} is not a readable image (${(cause as Error).message}).`, {
      file: path,
      hint: 'Use JPEG, PNG, WebP or TIFF/SVS.',
      cause,
    });
  }
  const width = meta.width;
  const height = meta.height;
  const format: SlideFormat =
    meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' ? meta.format : 'other';
  return {
    path,
    format,
    backend: 'sharp',
    width,
    height,
    levels: [{ width, height, downsample: 1 }],
    async read(rect, outW, outH, signal) {
      checkOut(outW, outH);
      throwIfAborted(signal);
      const r = clipRect(rect, width, height);
      // Let libvips do the integer part of a large shrink (box filter, and JPEG shrink-on-load) so
      // the decoded buffer stays small; the exact area average of the remainder is ours.
      const k = Math.max(1, Math.floor(Math.min(r.w / outW, r.h / outH)));
      const midW = Math.max(outW, Math.round(r.w / k));
      const midH = Math.max(outH, Math.round(r.h / k));
      let pipe = sharp(path, SHARP_INPUT).extract({ left: r.x, top: r.y, width: r.w, height: r.h });
      if (midW !== r.w || midH !== r.h) pipe = pipe.resize(midW, midH, { fit: 'fill', kernel: 'linear' });
      let decoded;
      try {
        decoded = await pipe.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      } catch (cause) {
        // a file cut short or changed since it was opened: name it (libvips' message does not)
        throwIfAborted(signal);
        throw decodeFailure(path, cause);
      }
      const { data, info } = decoded;
      const src: RgbImage = { width: info.width, height: info.height, data: toRgb(data, info.channels) };
      return resampleRgb(src, outW, outH);
    },
    async close() {},
  };
}

function toRgb(data: Uint8Array, channels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const n = data.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + Math.min(c, channels - 1)]!;
  }
  return out;
}

interface TiffLevel extends SlideLevel {
  image: GeoTIFFImage;
}

async function openTiff(path: string, kind: 'tiff' | 'bigtiff'): Promise<Slide> {
  let tiff: GeoTIFF;
  let levels: TiffLevel[];
  let description: string;
  try {
    tiff = await fromFile(path);
    const n = await tiff.getImageCount();
    const base = await tiff.getImage(0);
    const W = base.getWidth();
    const H = base.getHeight();
    description = String((await base.fileDirectory.loadValue('ImageDescription')) ?? '');
    levels = [{ image: base, width: W, height: H, downsample: 1 }];
    for (let i = 1; i < n; i++) {
      const img = await tiff.getImage(i);
      const w = img.getWidth();
      const h = img.getHeight();
      // Pyramid levels keep the aspect ratio and are tiled; SVS thumbnails (stripped), label and
      // macro images do not, and are skipped.
      const aspectOk = Math.abs(w / h - W / H) < 0.02 * (W / H);
      if (!aspectOk || !img.isTiled || w >= levels[levels.length - 1]!.width) continue;
      levels.push({ image: img, width: w, height: h, downsample: W / w });
    }
  } catch (cause) {
    throw new EngineError('BAD_INPUT', `${path} is not a readable TIFF (${(cause as Error).message}).`, {
      file: path,
      hint: 'Re-export the slide as a standard (Big)TIFF or SVS.',
      cause,
    });
  }
  const format: SlideFormat = /Aperio/i.test(description)
    ? 'svs'
    : /<OME[\s>]/.test(description) || /\.ome\.tiff?$/i.test(path)
      ? 'ome-tiff'
      : kind;
  const W = levels[0]!.width;
  const H = levels[0]!.height;
  return {
    path,
    format,
    backend: 'geotiff',
    width: W,
    height: H,
    levels: levels.map(({ width, height, downsample }) => ({ width, height, downsample })),
    async read(rect, outW, outH, signal) {
      checkOut(outW, outH);
      throwIfAborted(signal);
      const r = clipRect(rect, W, H);
      const want = Math.min(r.w / outW, r.h / outH);
      // Finest level that is still at least as fine as the output (no upsampling from a coarse level).
      let lv = levels[0]!;
      for (const l of levels) if (l.downsample <= want * 1.0001 && l.downsample > lv.downsample) lv = l;
      const x0 = Math.floor(r.x / lv.downsample);
      const y0 = Math.floor(r.y / lv.downsample);
      const x1 = Math.min(lv.width, Math.max(x0 + 1, Math.ceil((r.x + r.w) / lv.downsample)));
      const y1 = Math.min(lv.height, Math.max(y0 + 1, Math.ceil((r.y + r.h) / lv.downsample)));
      let raster;
      try {
        raster = await lv.image.readRGB({
          window: [x0, y0, x1, y1],
          interleave: true,
          ...(signal ? { signal } : {}),
        });
      } catch (cause) {
        throwIfAborted(signal);
        const failure = decodeFailure(path, cause);
        if ((failure as { problem?: string }).problem === 'truncated') throw failure;
        throw new EngineError('UNSUPPORTED', `Cannot decode ${path} (${(cause as Error).message}).`, {
          file: path,
          hint: 'The TIFF compression is not supported (e.g. JPEG 2000 SVS): convert the slide to a JPEG-compressed tiled TIFF.',
          cause,
        });
      }
      const src: RgbImage = {
        width: x1 - x0,
        height: y1 - y0,
        data: raster instanceof Uint8Array ? raster : Uint8Array.from(raster as ArrayLike<number>),
      };
      return resampleRgb(src, outW, outH);
    },
    async close() {
      tiff.close();
    },
  };
}

/** Image file extensions the slide module opens. */
export const SLIDE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.btf', '.svs']);

export function isSlidePath(path: string): boolean {
  return SLIDE_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * RGB of a full-res rectangle at the requested µm/px (area average when shrinking). The slide
 * must know its own pixel size (openSlide(path, { umPerPx }) with the sample's µm/px).
 */
export async function readRegion(
  slide: Slide,
  rect: Rect,
  umPerPxOut: number,
  signal?: AbortSignal,
): Promise<RgbImage & { umPerPx: number }> {
  const umPerPx = slide.umPerPx;
  if (umPerPx === undefined) {
    throw new EngineError('BAD_INPUT', `The pixel size of ${slide.path} is unknown.`, {
      hint: "Open the slide with the sample's µm/px: openSlide(path, { umPerPx }).",
    });
  }
  if (!(umPerPxOut > 0) || !(umPerPx > 0)) {
    throw new EngineError(
      'BAD_INPUT',
      `µm/px must be positive (got ${umPerPxOut} requested, ${umPerPx} slide).`,
    );
  }
  const factor = umPerPxOut / umPerPx;
  const r = clipRect(rect, slide.width, slide.height);
  const outW = Math.max(1, Math.round(r.w / factor));
  const outH = Math.max(1, Math.round(r.h / factor));
  const img = await slide.read(r, outW, outH, signal);
  return { ...img, umPerPx: umPerPxOut };
}

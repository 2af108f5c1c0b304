import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { EngineError, throwIfAborted } from '../errors';
import { noProgress, type ProgressFn } from '../jobs/progress';
import { tempPathFor, writeFileAtomic } from '../store/atomic-file';
import { openSlide, type Slide } from './open';
import { SHARP_INPUT } from './probe';

export interface DeepZoomOptions {
  tileSize?: number;
  overlap?: number;
  format?: 'jpeg' | 'png';
  quality?: number;
  /** base name of `<name>.dzi` and `<name>_files/` (default "slide") */
  name?: string;
}

export interface DeepZoomResult {
  dziPath: string;
  filesDir: string;
  width: number;
  height: number;
  /** number of levels (0 … levels-1), Deep Zoom convention: level L is ceil(size / 2^(max-L)) */
  levels: number;
  tileSize: number;
  overlap: number;
  format: 'jpeg' | 'png';
  tilesWritten: number;
  tilesSkipped: number;
}

const COMPLETE = 'complete.json';

/**
 * A tile is written to a temp name and renamed into place: a cancel or crash never leaves half a
 * tile under the real name. Unlike writeFileAtomic there is no fsync per tile: on a shared disk it
 * cost ~10 ms each (2 000 tiles for one slide). A power loss can therefore leave an empty tile
 * file; resume treats empty files as missing, and the completion marker itself is fsynced.
 */
function writeTile(path: string, data: Buffer): void {
  const tmp = tempPathFor(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function tileExists(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
const PARAMS = 'build.json';

/** Deep Zoom level count: levels 0 … ceil(log2(max side)), level 0 being 1×1. */
export function deepZoomLevels(width: number, height: number): number {
  return Math.ceil(Math.log2(Math.max(width, height))) + 1;
}

export function levelSize(
  width: number,
  height: number,
  level: number,
  levels: number,
): { w: number; h: number } {
  const ds = 2 ** (levels - 1 - level);
  return { w: Math.max(1, Math.ceil(width / ds)), h: Math.max(1, Math.ceil(height / ds)) };
}

/** [start, end) of tile i along an axis of length n (standard DZI overlap on inner edges). */
export function tileSpan(i: number, n: number, tileSize: number, overlap: number): [number, number] {
  const start = i * tileSize - (i > 0 ? overlap : 0);
  const end = Math.min(n, (i + 1) * tileSize + overlap);
  return [start, end];
}

function dziXml(w: number, h: number, tileSize: number, overlap: number, format: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="${format}" Overlap="${overlap}" TileSize="${tileSize}">\n` +
    `  <Size Width="${w}" Height="${h}"/>\n` +
    '</Image>\n'
  );
}

/**
 * A source sharp decodes sequentially (JPEG/PNG) is converted once to an uncompressed tiled
 * pyramidal TIFF: libvips streams it (memory stays bounded for a 9k × 9k JPEG) and afterwards any
 * strip of any level is a cheap random read. Uncompressed because geotiff then needs no decoder;
 * the file lives in the output's .work/ folder and is deleted when the pyramid is complete.
 */
async function randomAccessSource(slide: Slide, workDir: string, signal?: AbortSignal): Promise<Slide> {
  if (slide.backend === 'geotiff') return slide;
  mkdirSync(workDir, { recursive: true });
  const base = join(workDir, 'base.tif');
  if (!existsSync(base)) {
    throwIfAborted(signal);
    const tmp = tempPathFor(base);
    try {
      await sharp(slide.path, SHARP_INPUT)
        .removeAlpha()
        .toColourspace('srgb')
        .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'none' })
        .toFile(tmp);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    renameSync(tmp, base);
  }
  const tiled = await openSlide(base);
  if (tiled.width !== slide.width || tiled.height !== slide.height) {
    throw new EngineError(
      'INTERNAL',
      `Tiled copy of ${slide.path} has a different size; delete ${workDir} and retry.`,
    );
  }
  return tiled;
}

/**
 * Builds a standard Deep Zoom pyramid (`<name>.dzi` + `<name>_files/<level>/<col>_<row>.<ext>`).
 * Each tile is written atomically, so a crash or cancel leaves only whole tiles; a rerun skips the
 * tiles that exist and the levels already marked done. `complete.json` is written last: its
 * presence means the pyramid is whole. Changing parameters or the source rebuilds from scratch.
 */
export async function buildDeepZoom(
  imagePath: string,
  outDir: string,
  options: DeepZoomOptions = {},
  progress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<DeepZoomResult> {
  const tileSize = options.tileSize ?? 254;
  const overlap = options.overlap ?? 1;
  const format = options.format ?? 'jpeg';
  const quality = options.quality ?? 85;
  const name = options.name ?? 'slide';
  if (
    !Number.isInteger(tileSize) ||
    tileSize < 16 ||
    !Number.isInteger(overlap) ||
    overlap < 0 ||
    overlap * 2 >= tileSize
  ) {
    throw new EngineError('BAD_INPUT', `Invalid tile size ${tileSize} / overlap ${overlap}.`);
  }
  const src = resolve(imagePath);
  const st = statSync(src);
  const params = {
    source: src,
    size: st.size,
    mtimeMs: st.mtimeMs,
    tileSize,
    overlap,
    format,
    quality,
    name,
  };
  mkdirSync(outDir, { recursive: true });
  const filesDir = join(outDir, `${name}_files`);
  const dziPath = join(outDir, `${name}.dzi`);
  const paramsPath = join(outDir, PARAMS);
  const completePath = join(outDir, COMPLETE);

  const same = existsSync(paramsPath) && readFileSync(paramsPath, 'utf8') === JSON.stringify(params);
  if (!same) {
    // Tiles from other parameters or another source would be silently wrong: start over.
    rmSync(completePath, { force: true });
    rmSync(filesDir, { recursive: true, force: true });
    rmSync(join(outDir, '.work'), { recursive: true, force: true });
    writeFileAtomic(paramsPath, Buffer.from(JSON.stringify(params)));
  }

  const original = await openSlide(src);
  const W = original.width;
  const H = original.height;
  const levels = deepZoomLevels(W, H);
  const result: DeepZoomResult = {
    dziPath,
    filesDir,
    width: W,
    height: H,
    levels,
    tileSize,
    overlap,
    format,
    tilesWritten: 0,
    tilesSkipped: 0,
  };
  if (same && existsSync(completePath)) {
    await original.close();
    progress({ fraction: 1, message: 'Pyramid already complete' });
    return result;
  }

  let total = 0;
  for (let L = 0; L < levels; L++) {
    const { w, h } = levelSize(W, H, L, levels);
    total += Math.ceil(w / tileSize) * Math.ceil(h / tileSize);
  }
  let done = 0;
  const ext = format === 'jpeg' ? 'jpeg' : 'png';
  let slide: Slide | undefined;
  try {
    for (let L = levels - 1; L >= 0; L--) {
      const { w: lw, h: lh } = levelSize(W, H, L, levels);
      const cols = Math.ceil(lw / tileSize);
      const rows = Math.ceil(lh / tileSize);
      const levelDir = join(filesDir, String(L));
      const levelDone = join(levelDir, '.done');
      if (existsSync(levelDone)) {
        done += cols * rows;
        result.tilesSkipped += cols * rows;
        continue;
      }
      mkdirSync(levelDir, { recursive: true });
      const ds = 2 ** (levels - 1 - L);
      for (let r = 0; r < rows; r++) {
        throwIfAborted(signal);
        const [y0, y1] = tileSpan(r, lh, tileSize, overlap);
        const todo: number[] = [];
        for (let c = 0; c < cols; c++) if (!tileExists(join(levelDir, `${c}_${r}.${ext}`))) todo.push(c);
        if (todo.length === 0) {
          done += cols;
          result.tilesSkipped += cols;
          continue;
        }
        slide ??= await randomAccessSource(original, join(outDir, '.work'), signal);
        // One strip of the level (all columns of this tile row) read once, cut into tiles.
        const fy0 = y0 * ds;
        const fy1 = Math.min(H, y1 * ds);
        const strip = await slide.read({ x: 0, y: fy0, w: W, h: fy1 - fy0 }, lw, y1 - y0, signal);
        const raw = { raw: { width: strip.width, height: strip.height, channels: 3 as const } };
        const encode = async (c: number) => {
          const [x0, x1] = tileSpan(c, lw, tileSize, overlap);
          let p = sharp(strip.data, raw).extract({ left: x0, top: 0, width: x1 - x0, height: y1 - y0 });
          p = format === 'jpeg' ? p.jpeg({ quality }) : p.png();
          writeTile(join(levelDir, `${c}_${r}.${ext}`), await p.toBuffer());
        };
        // A handful of encodes in flight keeps libvips' threads busy without piling up buffers.
        for (let i = 0; i < todo.length; i += 8) {
          throwIfAborted(signal);
          await Promise.all(todo.slice(i, i + 8).map(encode));
        }
        result.tilesWritten += todo.length;
        result.tilesSkipped += cols - todo.length;
        done += cols;
        progress({
          fraction: done / total,
          message: `Level ${L} of ${levels - 1}, row ${r + 1}/${rows}`,
          metrics: { tilesWritten: result.tilesWritten, level: L },
        });
      }
      writeFileAtomic(levelDone, Buffer.from(''));
    }
    writeFileAtomic(dziPath, Buffer.from(dziXml(W, H, tileSize, overlap, ext)));
    writeFileAtomic(completePath, Buffer.from(JSON.stringify({ ...params, width: W, height: H, levels })));
  } finally {
    if (slide && slide !== original) await slide.close();
    await original.close();
  }
  rmSync(join(outDir, '.work'), { recursive: true, force: true });
  progress({ fraction: 1, message: 'Pyramid complete' });
  return result;
}

/** True when `outDir` holds a finished pyramid (the completion marker is written last). */
export function isDeepZoomComplete(outDir: string): boolean {
  return existsSync(join(outDir, COMPLETE));
}

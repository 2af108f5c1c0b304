import { AsyncLocalStorage } from 'node:async_hooks';
import { statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { importError } from './problems';

/**
 * Limits on what an import will read, so a hostile or careless input fails fast with a clear
 * error instead of hanging the job or eating the machine (issue #16 findings 3–4):
 * - regular files only: a FIFO, a device (/dev/zero) or a socket never ends or never answers;
 * - a pixel budget for every decoded image (a 2 MB PNG may declare 40 000 × 40 000 px);
 * - a cap on what a gzip stream may inflate to.
 */

/** Whole-image decoders (JPEG, PNG, WebP, striped TIFF): about a 31 600 px square. */
export const DEFAULT_MAX_PIXELS_WHOLE = 1_000_000_000;
/** Tiled pyramidal TIFF/SVS are read tile by tile; 40× whole-slide images reach ~10 Gpx. */
export const DEFAULT_MAX_PIXELS_TILED = 20_000_000_000;
/** The flag and the variable that raise the budget; every refusal names them. */
export const PIXEL_FLAG = '--max-image-pixels';
export const PIXEL_ENV = 'STSR_MAX_IMAGE_PIXELS';

/** A budget set for one import (its job), seen by every decoder it reaches without threading it through the readers. */
const scopedBudget = new AsyncLocalStorage<number>();

/** Runs `fn` with an explicit pixel budget (the import job's --max-image-pixels). */
export function withPixelBudget<T>(maxPixels: number | undefined, fn: () => T): T {
  return maxPixels === undefined ? fn() : scopedBudget.run(maxPixels, fn);
}

/** The budget in force: the import's own, else $STSR_MAX_IMAGE_PIXELS, else the default for the layout. */
export function pixelBudget(layout: 'whole' | 'tiled'): number {
  const scoped = scopedBudget.getStore();
  if (scoped !== undefined) return scoped;
  const env = Number(process.env[PIXEL_ENV]);
  if (Number.isFinite(env) && env > 0) return env;
  return layout === 'tiled' ? DEFAULT_MAX_PIXELS_TILED : DEFAULT_MAX_PIXELS_WHOLE;
}

function megapixels(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} Gpx` : `${(n / 1e6).toFixed(1)} Mpx`;
}

/** Refuses an image whose header declares more pixels than the budget, before anything is decoded. */
export function checkPixelBudget(
  path: string,
  width: number,
  height: number,
  layout: 'whole' | 'tiled',
): void {
  const budget = pixelBudget(layout);
  const n = width * height;
  if (n <= budget) return;
  throw importError(
    'too-large',
    path,
    `the image is ${width}×${height} px (${megapixels(n)}), over the budget of ${megapixels(budget)} for a decoded image`,
    `If the image is genuine, raise the limit with ${PIXEL_FLAG} ${Math.ceil(n)} (or ${PIXEL_ENV} for the app); a small file that declares this size is a decompression bomb.`,
    { field: 'pixels' },
  );
}

/**
 * Stats `path` and refuses anything but a regular file (a symlink to one is fine: inputs may live
 * anywhere). FIFOs, devices and sockets would block a read forever or never end.
 */
export function requireRegularFile(path: string): Stats {
  const st = statSync(path);
  if (st.isFile() || st.isDirectory()) return st;
  const kind = st.isFIFO()
    ? 'a named pipe (FIFO)'
    : st.isCharacterDevice() || st.isBlockDevice()
      ? 'a device'
      : st.isSocket()
        ? 'a socket'
        : 'not a regular file';
  throw importError(
    'not-a-file',
    path,
    `${basename(path)} is ${kind}, not a regular file; reading it could block forever`,
    'Copy the data into a regular file and import that.',
  );
}

/**
 * Largest text table read whole, packed or inflated: the biggest real one is ~30 MB, and V8 cannot
 * hold a string much over 512 MiB anyway, so past this the read would fail later and less clearly.
 */
export const MAX_TEXT_BYTES = 512 * 2 ** 20;

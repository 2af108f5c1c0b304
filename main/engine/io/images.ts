/**
 * Choosing the image a sample is drawn on: the user's (`--image FILE`, with `--image-scale F` when
 * it is not full resolution), else the candidates a format ships (hires, then lowres). A candidate
 * that is blank (one colour: scanpy's test hires PNG) or does not cover the spots (squidpy's
 * cropped hires) is passed over with a warning, so one bad image never fails an import another
 * image can serve.
 */
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { ImageRef, ReadOptions, Spot } from './sample';
import { checkSpotsInImage, imageRef } from './common';
import { ImportError, importError } from './problems';

/** The user's image; `imageScale` is image px per full-res px (Space Ranger's *_scalef). */
export async function userImage(opts: ReadOptions, file: string): Promise<ImageRef> {
  const s = opts.imageScale ?? 1;
  if (!(s > 0) || !Number.isFinite(s) || s > 1) {
    throw importError(
      'wrong-scale',
      file,
      `--image-scale is ${opts.imageScale}, not a number in (0, 1]`,
      'Pass the image scale factor as Space Ranger writes it (image px per full-resolution px, e.g. 0.0517 for a lowres PNG).',
      { field: 'imageScale' },
    );
  }
  return imageRef(resolve(opts.imagePath!), 1 / s);
}

export function userImageNote(opts: ReadOptions): string {
  return opts.imageScale !== undefined && opts.imageScale !== 1
    ? `user-supplied image at scale ${opts.imageScale} (image px per full-res px)`
    : 'user-supplied full-resolution image';
}

/** One colour everywhere (every channel's min equals its max). */
export async function isBlankImage(path: string): Promise<boolean> {
  const st = await sharp(path).stats();
  return st.channels.every((c) => c.max - c.min < 1);
}

export interface ImageCandidate {
  /** e.g. "tissue_hires_image.png" or "uns['spatial'][lib]['images']['hires']" */
  label: string;
  /** builds the ImageRef (may extract the image first) */
  load: () => Promise<ImageRef>;
}

/**
 * The first candidate that is not blank and covers every spot. Skipped ones add a warning; when
 * none is usable the last candidate's own error is thrown (it says which spot is outside what).
 */
export async function pickImage(
  candidates: readonly ImageCandidate[],
  spots: readonly Spot[],
  slackFullRes: number,
  positionsFile: string,
  lineOf: (i: number) => number | undefined,
  warnings: string[],
): Promise<{ image: ImageRef; label: string } | undefined> {
  let lastError: unknown;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const image = await c.load();
    const next = candidates[i + 1]?.label;
    if (next && (await isBlankImage(image.path))) {
      warnings.push(`${c.label} is blank (a single colour): used ${next} instead.`);
      continue;
    }
    try {
      checkSpotsInImage(spots, image, slackFullRes, positionsFile, lineOf);
      return { image, label: c.label };
    } catch (e) {
      if (!(e instanceof ImportError) || e.problem !== 'outside-image' || !next) throw e;
      lastError = e;
      warnings.push(`${c.label} does not cover every spot: used ${next} instead.`);
    }
  }
  if (lastError) throw lastError;
  return undefined;
}

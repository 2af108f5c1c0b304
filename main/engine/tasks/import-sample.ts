import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSample } from '../io';
import { withPixelBudget } from '../io/input-limits';
import { throwIfAborted } from '../errors';
import { decodeFailure } from '../io/problems';
import { subProgress } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import { buildDeepZoom, openSlide, tissueMask } from '../slide';
import { writeArrayFile } from '../store/array-file';
import { openProject } from '../store/project';
import { PYRAMIDS_DIR } from '../store/project-paths';
import { insertLayer } from '../store/repos/layers';
import { saveSample } from '../store/sample-store';

export interface ImportParams {
  path: string;
  name?: string;
  imagePath?: string;
  /** image px per full-res px of imagePath (default 1) */
  imageScale?: number;
  umPerPx?: number;
  /** pixel budget for decoded images (--max-image-pixels); default io/input-limits.ts */
  maxImagePixels?: number;
}

export interface ImportResult {
  sampleId: number;
  name: string;
  reader: string;
  spots: number;
  genes: number;
  image: { width: number; height: number; umPerPx: number } | null;
  tissueFraction: number | null;
  warnings: string[];
}

/**
 * Reads a sample, builds its slide pyramid and tissue mask, and stores it all in the project.
 * The pyramid folder is named after the job, so a resumed job continues the tiles it had; rows are
 * written in one transaction at the end, so an interrupted import leaves no half sample behind.
 */
export async function run(params: ImportParams, ctx: TaskContext): Promise<ImportResult> {
  // Images a reader has to extract (an .h5ad's embedded PNGs) are kept in the project.
  const scratch = join(ctx.projectDir, 'images', `job-${ctx.jobId}`);
  mkdirSync(scratch, { recursive: true });
  try {
    const result = await withPixelBudget(params.maxImagePixels, () => importInto(params, ctx, scratch));
    if (readdirSync(scratch).length === 0) rmSync(scratch, { recursive: true, force: true });
    return result;
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    // A cancelled import keeps its finished tiles so that resuming continues them; a failed one
    // leaves nothing behind.
    if ((err as { code?: string }).code !== 'CANCELLED') {
      rmSync(join(ctx.projectDir, PYRAMIDS_DIR, `job-${ctx.jobId}`), { recursive: true, force: true });
    }
    throw err;
  }
}

async function importInto(params: ImportParams, ctx: TaskContext, scratch: string): Promise<ImportResult> {
  ctx.progress({ fraction: 0.01, message: `Reading ${params.path}` });
  const sample = await readSample(params.path, {
    scratchDir: scratch,
    ...(params.name !== undefined ? { name: params.name } : {}),
    ...(params.imagePath !== undefined ? { imagePath: params.imagePath } : {}),
    ...(params.imageScale !== undefined ? { imageScale: params.imageScale } : {}),
    ...(params.umPerPx !== undefined ? { umPerPx: params.umPerPx } : {}),
  });
  throwIfAborted(ctx.signal);

  let pyramid: { dzi: string; width: number; height: number } | null = null;
  let mask: Awaited<ReturnType<typeof tissueMask>> | null = null;
  if (sample.image) {
    const image = sample.image.path;
    const rel = `${PYRAMIDS_DIR}/job-${ctx.jobId}`;
    try {
      const dz = await buildDeepZoom(
        image,
        join(ctx.projectDir, rel),
        { name: 'slide' },
        subProgress(ctx.progress, 0.1, 0.85),
        ctx.signal,
      );
      pyramid = { dzi: `${rel}/slide.dzi`, width: dz.width, height: dz.height };
      ctx.progress({ fraction: 0.86, message: 'Finding tissue' });
      mask = await tissueMask(await openSlide(image), {}, ctx.signal);
    } catch (cause) {
      throw decodeFailure(image, cause);
    }
  }
  throwIfAborted(ctx.signal);

  ctx.progress({ fraction: 0.92, message: 'Storing counts and positions' });
  const project = openProject(ctx.projectDir);
  try {
    let maskArray: string | null = null;
    if (mask) {
      maskArray = `mask-job-${ctx.jobId}.arr`;
      writeArrayFile(join(project.arraysDir, maskArray), {
        dtype: 'uint8',
        shape: [mask.height, mask.width],
        data: mask.data,
        // mask px → full-res px: the mask was computed on the image file, which may be scaled
        meta: {
          scaleX: mask.scaleX * (sample.image?.scaleToFullRes ?? 1),
          scaleY: mask.scaleY * (sample.image?.scaleToFullRes ?? 1),
          threshold: mask.threshold,
          tissueFraction: mask.tissueFraction,
        },
      });
    }
    const row = project.db.transaction(() => {
      const saved = saveSample(project, sample, params.path);
      if (pyramid)
        insertLayer(project.db, {
          sampleId: saved.id,
          runId: null,
          kind: 'slide',
          name: 'H&E',
          settings: pyramid,
        });
      if (maskArray) {
        insertLayer(project.db, {
          sampleId: saved.id,
          runId: null,
          kind: 'tissue-mask',
          name: 'Tissue',
          settings: { array: maskArray },
        });
      }
      return saved;
    })();
    ctx.progress({ fraction: 1, message: `Imported ${row.name}` });
    return {
      sampleId: row.id,
      name: row.name,
      reader: sample.provenance.reader,
      spots: row.nSpots,
      genes: row.nGenes,
      image: sample.image
        ? {
            width: sample.image.width * sample.image.scaleToFullRes,
            height: sample.image.height * sample.image.scaleToFullRes,
            umPerPx: sample.umPerPx,
          }
        : null,
      tissueFraction: mask?.tissueFraction ?? null,
      warnings: sample.provenance.warnings,
    };
  } finally {
    project.close();
  }
}

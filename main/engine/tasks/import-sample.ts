import { readSample } from '../io';
import { throwIfAborted } from '../errors';
import type { TaskContext } from '../jobs/task';
import { openProject } from '../store/project';
import { saveSample } from '../store/sample-store';

export interface ImportParams {
  path: string;
  name?: string;
  imagePath?: string;
  umPerPx?: number;
}

export interface ImportResult {
  sampleId: number;
  name: string;
  reader: string;
  spots: number;
  genes: number;
  image: { width: number; height: number; umPerPx: number } | null;
  warnings: string[];
}

/** Reads a sample folder/file and stores it in the project; nothing is written if reading fails. */
export async function run(params: ImportParams, ctx: TaskContext): Promise<ImportResult> {
  ctx.progress({ fraction: 0.02, message: `Reading ${params.path}` });
  const sample = await readSample(params.path, {
    ...(params.name !== undefined ? { name: params.name } : {}),
    ...(params.imagePath !== undefined ? { imagePath: params.imagePath } : {}),
    ...(params.umPerPx !== undefined ? { umPerPx: params.umPerPx } : {}),
  });
  throwIfAborted(ctx.signal);
  ctx.progress({ fraction: 0.6, message: 'Storing counts and positions' });
  const project = openProject(ctx.projectDir);
  try {
    const row = saveSample(project, sample, params.path);
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
      warnings: sample.provenance.warnings,
    };
  } finally {
    project.close();
  }
}

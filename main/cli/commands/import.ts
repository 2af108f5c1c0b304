import { resolve } from 'node:path';
import { openOrCreateProject } from '../../engine/store/project';
import type { ImportParams, ImportResult } from '../../engine/tasks/import-sample';
import { UsageError, type Output } from '../output';
import { runJob } from '../run-job';

export async function importCommand(
  projectDir: string,
  path: string | undefined,
  opts: {
    name?: string;
    image?: string;
    'image-scale'?: string;
    'um-per-px'?: string;
    'max-image-pixels'?: string;
  },
  out: Output,
): Promise<void> {
  if (!path)
    throw new UsageError('stsr import needs a PATH (Space Ranger outs/, legacy ST folder, .h5ad, …).');
  const params: ImportParams = { path: resolve(path) };
  if (opts.name) params.name = opts.name;
  if (opts.image) params.imagePath = resolve(opts.image);
  if (opts['image-scale'] !== undefined) {
    const v = Number(opts['image-scale']);
    if (!opts.image) throw new UsageError('--image-scale goes with --image FILE.');
    if (!(v > 0 && v <= 1))
      throw new UsageError(
        `--image-scale must be in (0, 1] (image px per full-res px), got "${opts['image-scale']}".`,
      );
    params.imageScale = v;
  }
  if (opts['um-per-px'] !== undefined) {
    const v = Number(opts['um-per-px']);
    if (!(v > 0) || !Number.isFinite(v))
      throw new UsageError(`--um-per-px must be a positive number, got "${opts['um-per-px']}".`);
    params.umPerPx = v;
  }
  if (opts['max-image-pixels'] !== undefined) {
    const v = Number(opts['max-image-pixels']);
    if (!Number.isFinite(v) || v < 1)
      throw new UsageError(
        `--max-image-pixels must be a positive number, got "${opts['max-image-pixels']}".`,
      );
    params.maxImagePixels = Math.floor(v);
  }
  const project = openOrCreateProject(projectDir);
  try {
    const r = (await runJob(project, 'sample.import', params, out)) as ImportResult;
    for (const w of r.warnings) out.note(`warning: ${w}`);
    out.result(
      { ...r },
      `Imported ${r.name} (id ${r.sampleId}) with the ${r.reader} reader: ${r.spots} spots, ${r.genes} genes` +
        (r.image
          ? `, image ${r.image.width}×${r.image.height} px at ${r.image.umPerPx.toFixed(4)} µm/px`
          : ', no image'),
    );
  } finally {
    project.close();
  }
}

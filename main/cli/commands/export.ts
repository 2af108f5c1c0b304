import { extname, resolve } from 'node:path';
import { guardOutputPath } from '../../engine/store/path-guard';
import { openProject } from '../../engine/store/project';
import type { ExportFormat, ExportSampleParams, ExportSampleResult } from '../../engine/tasks/export-sample';
import { UsageError, type Output } from '../output';
import { resolveSample } from '../resolve-sample';
import { runJob } from '../run-job';

const FORMATS: ExportFormat[] = ['h5ad', 'csv', 'geojson', 'png', 'svg', 'spaceranger'];

function optionalInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive whole number, got "${v}".`);
  return n;
}

/** `stsr export` and `stsr figure` share this: the format comes from --format or the file ending. */
export async function exportCommand(
  projectDir: string,
  ref: string | undefined,
  opts: {
    format?: string;
    out?: string;
    clustering?: string;
    run?: string;
    gene?: string;
    genes?: string;
    width?: string;
    height?: string;
    title?: string;
    'side-by-side'?: boolean;
  },
  out: Output,
  figure: boolean,
): Promise<void> {
  if (!opts.out) throw new UsageError('--out FILE is required.');
  const format = (opts.format ?? extname(opts.out).slice(1).toLowerCase()) as ExportFormat;
  const allowed = figure ? ['png', 'svg', 'pdf'] : FORMATS;
  if (!allowed.includes(format)) {
    throw new UsageError(
      `Unknown format "${format}": use ${allowed.join(', ')} (--format or the --out file's ending).`,
    );
  }
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    // Outside the project anywhere; inside it only exports/ or bench/, never its state (path-guard).
    const target = guardOutputPath(project.dir, resolve(opts.out));
    const params: ExportSampleParams = { sampleId: sample.id, format, out: target };
    const clusteringId = optionalInt('clustering', opts.clustering);
    if (clusteringId !== undefined) params.clusteringId = clusteringId;
    const runId = optionalInt('run', opts.run);
    if (runId !== undefined) params.runId = runId;
    if (opts['side-by-side']) {
      if (!figure) throw new UsageError('--side-by-side is for `stsr figure`.');
      params.sideBySide = true;
    }
    if (opts.gene) params.gene = opts.gene;
    if (opts.genes && !figure)
      params.genes = opts.genes
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g);
    const width = optionalInt('width', opts.width);
    const height = optionalInt('height', opts.height);
    if (width !== undefined) params.width = width;
    if (height !== undefined) params.height = height;
    if (opts.title) params.title = opts.title;
    const r = (await runJob(project, 'export.sample', params, out)) as ExportSampleResult;
    out.result({ ...r }, `Wrote ${r.path} (${r.nObs} observations × ${r.nVars} variables)`);
  } finally {
    project.close();
  }
}

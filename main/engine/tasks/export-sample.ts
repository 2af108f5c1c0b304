import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { effectiveLabels } from '../analysis';
import { badInput } from '../errors';
import {
  categoricalFromLabels,
  spotsGeoJson,
  writeGeoJson,
  writeSpotCsv,
  writeSpaceRangerOuts,
  writeSpotH5ad,
  writeSrCsv,
  writeSrH5ad,
  rowSourceFromArray,
  type CategoricalColumn,
  type SrExportInput,
} from '../export';
import type { FigureRequest } from '../../../preload/contract/schemas';
import type { Sample } from '../io/sample';
import { defaultFigureRequest, writeRequestedFigure, type FigureInfo } from './figure-spec';
import { methodLabel, openSuperpixels } from '../methods/registry';
import { superpixelCentres } from '../methods/run-store';
import { parseRun, type SpotSetRun } from '../methods/runs';
import { getRun } from '../store/repos/runs';
import type { TaskContext } from '../jobs/task';
import { readArrayFile } from '../store/array-file';
import { openProject, type Project } from '../store/project';
import { getClustering, type ClusteringRow } from '../store/repos/clusterings';
import { loadSample } from '../store/sample-store';

export type ExportFormat = 'h5ad' | 'csv' | 'geojson' | 'png' | 'svg' | 'pdf' | 'spaceranger';

export interface ExportSampleParams {
  sampleId: number;
  format: ExportFormat;
  /** absolute output path */
  out: string;
  clusteringId?: number;
  /** several clusterings, one obs column each (`domain_<id>`; a single one is `domain`) */
  clusteringIds?: number[];
  /** png/svg/pdf: the figure as the viewer shows it (layers, ranges, view or region, size, DPI) */
  figure?: FigureRequest;
  /** export this SR run's superpixels (h5ad, csv) instead of the spots; figures: its map of `gene` */
  runId?: number;
  /** figures with `gene` and `runId`: observed spots | the run's SR map, side by side */
  sideBySide?: boolean;
  /** for figures: colour spots by this gene instead of the domains; for CSV: add its column */
  gene?: string;
  /** for CSV: expression columns of these genes (symbols or ids), one column each */
  genes?: string[];
  width?: number;
  height?: number;
  title?: string;
}

export interface ExportSampleResult {
  path: string;
  /** project-relative path when the file is inside the project (the UI links to it) */
  relPath: string | null;
  nObs: number;
  nVars: number;
  format: ExportFormat;
  /** figures: each key as drawn (top layer first; side-by-side: the panels), to check against the screen */
  figure?: FigureInfo;
}

function domainColumn(project: Project, c: ClusteringRow): CategoricalColumn {
  const raw = readArrayFile(join(project.arraysDir, c.labelsArray)).data as Int32Array;
  const eff = effectiveLabels(c.domains, raw);
  const shown = c.domains.filter((d) => d.mergedInto === null);
  const names = shown.map((d) => d.name);
  const nameOf = new Map(shown.map((d) => [d.label, d.name]));
  return categoricalFromLabels(
    Array.from(eff, (l) => nameOf.get(l) ?? ''),
    { categories: names, colors: shown.map((d) => d.color) },
  );
}

/**
 * SR-level export of a stored superpixel run: obs = its superpixels (full-res centres, 8 µm),
 * X = the run's values of every modelled gene read block by block through its method's reader
 * (memory stays bounded), obsm['X_latent'] = the latent when the method has one, plus a
 * superpixel clustering's domains.
 */
async function exportRun(
  project: Project,
  sample: Sample,
  p: ExportSampleParams,
  domains: Record<string, CategoricalColumn>,
  ctx: TaskContext,
): Promise<ExportSampleResult> {
  const row = getRun(project.db, p.runId!);
  const run = row ? parseRun(row, methodLabel) : undefined;
  if (!run || run.sampleId !== p.sampleId) {
    throw badInput(`Run ${p.runId} is not an SR run of sample ${sample.name}.`);
  }
  if (p.format !== 'h5ad' && p.format !== 'csv') throw badInput('SR runs export as h5ad or csv.');
  if (run.kind === 'spots') return exportSpotSet(project, sample, run, p, domains);
  const stored = openSuperpixels(run, project.arraysDir, sample);
  const c = superpixelCentres(stored);
  const n = stored.index.length;
  const latent = stored.latent?.();
  const sd = stored.uncertainty?.();
  const G = stored.genes.length;
  const input: SrExportInput = {
    name: sample.name,
    superpixels: { x: c.x, y: c.y, row: c.row, col: c.col, sizeUm: 8 },
    genes: stored.genes.map((g) => sample.genes[g]!),
    expression: {
      nRows: n,
      nCols: G,
      readRows: (start, end) => {
        ctx.progress({ fraction: 0.2 + (0.75 * end) / n, message: `SR expression ${end}/${n}` });
        return stored.rows(start, end);
      },
    },
    ...(latent ? { latent: rowSourceFromArray(latent.data, latent.dim) } : {}),
    ...(sd && run.uncertainty !== undefined
      ? {
          layers: {
            sd: { rows: { nRows: n, nCols: G, readRows: (a, b) => sd.rows(a, b) }, meaning: run.uncertainty },
          },
        }
      : {}),
    umPerPx: sample.umPerPx,
    method: run.method,
  };
  if (sample.image) input.image = sample.image;
  if (Object.keys(domains).length > 0) input.domains = domains;
  if (p.format === 'h5ad') await writeSrH5ad(input, p.out);
  else await writeSrCsv(input, p.out);
  return resultFor(project, p, n, G);
}

/**
 * A generated spot set (HisToSGE, interpolation) as AnnData/CSV: obs = every spot of the denser
 * lattice with a `generated` flag (true = not measured), X = its log1p CP10k values,
 * spot_diameter_fullres = the generated spot diameter.
 */
async function exportSpotSet(
  project: Project,
  sample: Sample,
  run: SpotSetRun,
  p: ExportSampleParams,
  domains: Record<string, CategoricalColumn>,
): Promise<ExportSampleResult> {
  const result = run;
  const arrays = run.arrays;
  const xy = readArrayFile(join(project.arraysDir, arrays.xy)).data as Float64Array;
  const measured = readArrayFile(join(project.arraysDir, arrays.measured)).data as Uint8Array;
  const values = readArrayFile(join(project.arraysDir, arrays.values)).data as Float32Array;
  const n = measured.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = xy[2 * i]!;
    y[i] = xy[2 * i + 1]!;
  }
  const G = result.genes.length;
  const input: SrExportInput = {
    name: sample.name,
    superpixels: {
      x,
      y,
      sizeUm: result.spotDiameterUm,
      ids: Array.from({ length: n }, (_, i) => `spot_${i}`),
    },
    genes: result.genes.map((g) => sample.genes[g]!),
    expression: rowSourceFromArray(values, G),
    umPerPx: sample.umPerPx,
    method: run.method,
    kind: 'spots',
    obs: { generated: { kind: 'boolean', values: Uint8Array.from(measured, (m) => (m ? 0 : 1)) } },
  };
  if (sample.image) input.image = sample.image;
  if (Object.keys(domains).length > 0) input.domains = domains;
  if (p.format === 'h5ad') await writeSrH5ad(input, p.out);
  else await writeSrCsv(input, p.out);
  return resultFor(project, p, n, G);
}

const isFigure = (f: ExportFormat) => f === 'png' || f === 'svg' || f === 'pdf';

function resultFor(project: Project, p: ExportSampleParams, nObs: number, nVars: number): ExportSampleResult {
  const rel = relative(project.dir, p.out);
  const relPath = rel.startsWith('..') || isAbsolute(rel) ? null : rel.split(sep).join('/');
  return { path: p.out, relPath, nObs, nVars, format: p.format };
}

/** Exports one sample (spot level) as AnnData, CSV, GeoJSON or a figure, with its domains. */
export async function run(p: ExportSampleParams, ctx: TaskContext): Promise<ExportSampleResult> {
  const project = openProject(ctx.projectDir);
  try {
    ctx.progress({ fraction: 0.05, message: 'Loading the sample' });
    const sample = loadSample(project, p.sampleId);
    const domains: Record<string, CategoricalColumn> = {};
    const ids = [
      ...new Set([...(p.clusteringId !== undefined ? [p.clusteringId] : []), ...(p.clusteringIds ?? [])]),
    ];
    const clusterings = ids.map((id) => {
      const c = getClustering(project.db, id);
      if (!c || c.sampleId !== p.sampleId) {
        throw badInput(`Clustering ${id} does not belong to sample ${sample.name}.`);
      }
      // a figure draws any clustering as a layer; tables take the ones of what they export
      if (!isFigure(p.format) && (c.runId ?? undefined) !== p.runId) {
        throw badInput(
          c.runId === null
            ? `Clustering ${c.id} labels spots; export the spots (no --run) to include it.`
            : `Clustering ${c.id} labels the superpixels of run ${c.runId}; export that run (--run ${c.runId}).`,
        );
      }
      return c;
    });
    for (const c of clusterings)
      domains[clusterings.length === 1 ? 'domain' : `domain_${c.id}`] = domainColumn(project, c);
    const clustering: ClusteringRow | undefined = clusterings[0];
    mkdirSync(dirname(p.out), { recursive: true });
    if (p.runId !== undefined && !isFigure(p.format))
      return await exportRun(project, sample, p, domains, ctx);
    ctx.progress({ fraction: 0.2, message: `Writing ${p.out}` });
    const nObs = sample.spots.length;
    let nVars = sample.genes.length;
    switch (p.format) {
      case 'h5ad':
        await writeSpotH5ad(sample, p.out, { domains });
        break;
      case 'csv':
        // Positions, annotations and domains only: gene columns are opt-in for CSV (15k columns
        // of zeros help nobody); the h5ad carries the matrix.
        {
          const genes = [...(p.genes ?? []), ...(p.gene ? [p.gene] : [])];
          await writeSpotCsv(sample, p.out, { domains, values: 'counts', genes });
          nVars = genes.length;
        }
        break;
      case 'spaceranger':
        await writeSpaceRangerOuts(sample, p.out);
        break;
      case 'geojson':
        await writeGeoJson(
          p.out,
          spotsGeoJson(sample, {
            shape: 'circle',
            domains,
            ...(clustering ? { classifyBy: Object.keys(domains)[0]! } : {}),
          }),
        );
        nVars = 0;
        break;
      case 'png':
      case 'svg':
      case 'pdf': {
        const req: FigureRequest = p.figure ?? defaultFigureRequest(p, clustering?.id);
        const figure = await writeRequestedFigure(project, p.sampleId, sample, req, p.out);
        ctx.progress({ fraction: 1, message: `Wrote ${p.out}` });
        const nLayers = req.panels ? req.panels.reduce((n, q) => n + q.layers.length, 0) : req.layers.length;
        return { ...resultFor(project, p, nObs, nLayers), figure };
      }
    }
    ctx.progress({ fraction: 1, message: `Wrote ${p.out}` });
    return resultFor(project, p, nObs, nVars);
  } finally {
    project.close();
  }
}

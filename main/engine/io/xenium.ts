import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import type { ImageRef, ReadOptions, Sample, Spot } from './sample';
import { importError } from './problems';
import { expectDelimiter, parseNumber, readJson, readText, splitFields, textLines } from './text';
import { buildGenes, checkSpotsInImage, checkUmPerPx, imageRef, subsetCsr } from './common';
import { userImage, userImageNote } from './images';
import { mexFiles, readTenxH5, readTenxMex } from './tenx-matrix';

/**
 * Xenium Onboard Analysis output: experiment.xenium (JSON; pixel_size in µm/px), the cell-feature
 * matrix (10x h5 or MEX) and cells.parquet / cells.csv.gz with centroids in µm. Positions become
 * morphology-image pixels by dividing by pixel_size (spatialdata-io does the same, formats.md §4).
 */

interface CellRow {
  id: string;
  xUm: number;
  yUm: number;
  area?: number;
  line?: number;
}

const MORPHOLOGY = [
  'morphology_focus.ome.tif',
  'morphology_mip.ome.tif',
  join('morphology_focus', 'morphology_focus_0000.ome.tif'),
  join('morphology_focus', 'ch0000_dapi.ome.tif'),
];

function readExperiment(path: string): { pixelSize: number; version: string } {
  const json = readJson(path, 'Xenium') as Record<string, unknown>;
  const ps = json.pixel_size;
  if (typeof ps !== 'number' || !(ps > 0)) {
    throw importError(
      'wrong-scale',
      path,
      `pixel_size is ${JSON.stringify(ps)}, not a positive number`,
      'Restore experiment.xenium or pass --um-per-px.',
      {
        field: 'pixel_size',
      },
    );
  }
  return { pixelSize: ps, version: String(json.analysis_sw_version ?? 'unknown') };
}

async function readCellsParquet(path: string): Promise<CellRow[]> {
  let rows: Record<string, unknown>[];
  try {
    const file = await asyncBufferFromFile(path);
    rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  } catch (cause) {
    throw importError(
      'truncated',
      path,
      `the parquet file cannot be read (${(cause as Error).message})`,
      'Copy it again.',
      {
        cause,
      },
    );
  }
  return rows.map((r, i) => {
    const num = (k: string) => {
      const v = r[k];
      const n = typeof v === 'bigint' ? Number(v) : Number(v);
      if (v === undefined || v === null || !Number.isFinite(n)) {
        throw importError(
          'bad-number',
          path,
          `row ${i + 1} has ${k} = ${String(v)}`,
          'Restore the file Xenium wrote.',
          { field: k },
        );
      }
      return n;
    };
    const id = r.cell_id;
    return {
      id: id instanceof Uint8Array ? new TextDecoder().decode(id) : String(id),
      xUm: num('x_centroid'),
      yUm: num('y_centroid'),
      ...(r.cell_area !== undefined ? { area: num('cell_area') } : {}),
    };
  });
}

function readCellsCsv(path: string): CellRow[] {
  const lines = textLines(readText(path));
  if (lines.length < 2) throw importError('empty-file', path, 'no cell rows', 'Copy the file again.');
  expectDelimiter(lines[0]!, ',', path, 3);
  const head = splitFields(lines[0]!, ',', path).map((s) => s.trim());
  const ci = head.indexOf('cell_id');
  const xi = head.indexOf('x_centroid');
  const yi = head.indexOf('y_centroid');
  const ai = head.indexOf('cell_area');
  if (ci < 0 || xi < 0 || yi < 0) {
    throw importError(
      'bad-header',
      path,
      'the header needs cell_id, x_centroid and y_centroid',
      'Restore the file Xenium wrote.',
      {
        line: lines[0]!.no,
      },
    );
  }
  return lines.slice(1).map((l) => {
    const f = splitFields(l, ',', path);
    return {
      id: f[ci]!.trim(),
      xUm: parseNumber(f[xi] ?? '', path, l.no, 'x_centroid'),
      yUm: parseNumber(f[yi] ?? '', path, l.no, 'y_centroid'),
      ...(ai >= 0 ? { area: parseNumber(f[ai] ?? '', path, l.no, 'cell_area') } : {}),
      line: l.no,
    };
  });
}

export async function readXenium(input: string, opts: ReadOptions = {}): Promise<Sample> {
  const dir = resolve(input);
  const warnings: string[] = [];
  const notes: Record<string, string> = {};
  const expPath = join(dir, 'experiment.xenium');
  if (!existsSync(expPath)) {
    throw importError(
      'missing-file',
      expPath,
      'experiment.xenium is missing',
      'Pick the Xenium output folder (it holds experiment.xenium).',
    );
  }
  const exp = readExperiment(expPath);
  notes.software = exp.version;

  const h5 = join(dir, 'cell_feature_matrix.h5');
  const mex = join(dir, 'cell_feature_matrix');
  let matrix;
  if (existsSync(h5)) matrix = await readTenxH5(h5);
  else if (mexFiles(mex)) matrix = readTenxMex(mex);
  else {
    throw importError(
      'missing-file',
      h5,
      'no cell_feature_matrix.h5 or cell_feature_matrix/ folder',
      'Copy the count matrix of the Xenium output.',
    );
  }
  const cellsParquet = join(dir, 'cells.parquet');
  const cellsCsv = join(dir, 'cells.csv.gz');
  let cellsPath: string;
  let cells: CellRow[];
  if (existsSync(cellsParquet)) {
    cellsPath = cellsParquet;
    cells = await readCellsParquet(cellsParquet);
  } else if (existsSync(cellsCsv)) {
    cellsPath = cellsCsv;
    cells = readCellsCsv(cellsCsv);
  } else {
    throw importError(
      'missing-file',
      cellsParquet,
      'no cells.parquet or cells.csv.gz',
      'Copy the cell table of the Xenium output.',
    );
  }
  const byId = new Map<string, CellRow>();
  for (const c of cells) byId.set(c.id, c);
  const missing = matrix.barcodes.filter((b) => !byId.has(b));
  if (missing.length > 0) {
    throw importError(
      'id-mismatch',
      matrix.files[0]!,
      `${missing.length} of ${matrix.barcodes.length} cells of the matrix are not in ${basename(cellsPath)} (e.g. ${missing.slice(0, 3).join(', ')})`,
      'The matrix and the cell table come from different runs: use the files of one output folder.',
    );
  }
  let umPerPx = exp.pixelSize;
  notes.umPerPx = `experiment.xenium pixel_size (${exp.pixelSize})`;
  if (opts.umPerPx !== undefined) {
    checkUmPerPx(
      opts.umPerPx,
      expPath,
      'umPerPx',
      'Pass the pixel size in µm per pixel of the morphology image.',
    );
    umPerPx = opts.umPerPx;
    notes.umPerPx = 'user override';
  }
  checkUmPerPx(umPerPx, expPath, 'pixel_size', 'Fix experiment.xenium or pass --um-per-px.');
  const rows = matrix.barcodes.map((_, i) => i);
  const keep = new Uint8Array(matrix.featureTypes.length);
  matrix.featureTypes.forEach((t, i) => (keep[i] = t === 'Gene Expression' ? 1 : 0));
  const nGenes = keep.reduce((a, b) => a + b, 0);
  if (nGenes < matrix.featureTypes.length) {
    notes.features = `${nGenes} "Gene Expression" features kept of ${matrix.featureTypes.length} (control probes/codewords dropped)`;
  }
  const counts = subsetCsr(matrix.counts, rows, nGenes < matrix.featureTypes.length ? keep : undefined);
  const genes = buildGenes(
    matrix.featureIds.filter((_, i) => keep[i]),
    matrix.featureNames.filter((_, i) => keep[i]),
    basename(matrix.files[0]!),
    warnings,
  );
  const spots: Spot[] = matrix.barcodes.map((b) => {
    const c = byId.get(b)!;
    return { id: b, x: c.xUm / exp.pixelSize, y: c.yUm / exp.pixelSize };
  });
  notes.positions = `${basename(cellsPath)} x_centroid, y_centroid (µm) / pixel_size`;

  const areas = matrix.barcodes
    .map((b) => byId.get(b)!.area)
    .filter((a): a is number => a !== undefined && a > 0);
  let spotDiameterUm = 10;
  if (areas.length > 0) {
    areas.sort((a, b) => a - b);
    spotDiameterUm = 2 * Math.sqrt(areas[Math.floor(areas.length / 2)]! / Math.PI);
    notes.spotDiameterUm = 'diameter of the median cell_area disc';
  } else notes.spotDiameterUm = 'no cell_area: 10 µm assumed';

  let image: ImageRef | undefined;
  const imgPath = opts.imagePath
    ? resolve(opts.imagePath)
    : MORPHOLOGY.map((m) => join(dir, m)).find((p) => existsSync(p));
  const files = [expPath, ...matrix.files, cellsPath];
  if (imgPath) {
    image = opts.imagePath ? await userImage(opts, expPath) : await imageRef(imgPath, 1);
    notes.image = opts.imagePath ? userImageNote(opts) : basename(imgPath);
    files.push(imgPath);
    const lineOf = (i: number) => byId.get(spots[i]!.id)?.line;
    checkSpotsInImage(spots, image, spotDiameterUm / umPerPx, cellsPath, lineOf);
  } else {
    warnings.push('No morphology image found: pass the H&E or DAPI image with --image to see the tissue.');
  }
  return {
    name: opts.name ?? basename(dir),
    platform: 'xenium',
    spots,
    genes,
    counts,
    spotDiameterUm,
    lattice: 'none',
    umPerPx,
    ...(image ? { image } : {}),
    provenance: { reader: 'xenium', files, notes, warnings },
  };
}

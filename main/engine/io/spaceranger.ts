import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import type { ImageRef, ReadOptions, Sample, Spot } from './sample';
import { importError } from './problems';
import { expectDelimiter, parseNumber, readJson, readText, splitFields, textLines } from './text';
import { buildGenes, checkSpotsInImage, checkUmPerPx, imageRef, subsetCsr } from './common';
import { pickImage, userImage, userImageNote, type ImageCandidate } from './images';
import { mexFiles, readTenxH5, readTenxMex, type TenxMatrix } from './tenx-matrix';

/** Visium spots are 55 µm across (10x Visium Spatial Gene Expression user guide). */
export const VISIUM_SPOT_UM = 55;

const POSITION_COLUMNS = [
  'barcode',
  'in_tissue',
  'array_row',
  'array_col',
  'pxl_row_in_fullres',
  'pxl_col_in_fullres',
] as const;

export interface PositionRow {
  barcode: string;
  inTissue: boolean;
  row: number;
  col: number;
  /** full-res px: x = pxl_col_in_fullres, y = pxl_row_in_fullres */
  x: number;
  y: number;
  line?: number;
}

export interface Scalefactors {
  spot_diameter_fullres?: number;
  tissue_hires_scalef?: number;
  tissue_lowres_scalef?: number;
  fiducial_diameter_fullres?: number;
  bin_size_um?: number;
  microns_per_pixel?: number;
}

/** Finds the positions file: parquet (HD), v2 CSV or v1 CSV, in that order. */
export function findPositions(spatialDir: string): string | undefined {
  for (const n of ['tissue_positions.parquet', 'tissue_positions.csv', 'tissue_positions_list.csv']) {
    const p = join(spatialDir, n);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Space Ranger positions. v1 (`tissue_positions_list.csv`) has no header, v2+ has one, but some
 * v1-named files carry a header too (scverse/spatialdata-io#146): we sniff the first line (a
 * header's second field is not a number) instead of trusting the name.
 */
export async function readPositions(path: string, warnings: string[]): Promise<PositionRow[]> {
  if (path.endsWith('.parquet')) return readPositionsParquet(path);
  const lines = textLines(readText(path));
  if (lines.length === 0)
    throw importError('empty-file', path, 'the positions file has no lines', 'Copy it again.');
  expectDelimiter(lines[0]!, ',', path, 6);
  const first = splitFields(lines[0]!, ',', path).map((s) => s.trim());
  const hasHeader = !/^-?\d+(\.\d+)?$/.test(first[1] ?? '');
  let idx: number[] = [0, 1, 2, 3, 4, 5];
  if (hasHeader) {
    idx = POSITION_COLUMNS.map((c) => first.indexOf(c));
    const missing = POSITION_COLUMNS.filter((_, i) => idx[i]! < 0);
    if (missing.length > 0) {
      throw importError(
        'bad-header',
        path,
        `the header lacks column(s) ${missing.join(', ')}`,
        `Space Ranger positions need ${POSITION_COLUMNS.join(', ')}.`,
        { line: lines[0]!.no },
      );
    }
    if (basename(path) === 'tissue_positions_list.csv')
      warnings.push(`${basename(path)} has a header row (read by column name).`);
  } else if (basename(path) === 'tissue_positions.csv') {
    warnings.push(
      `${basename(path)} has no header row (Space Ranger ≥2 writes one); read in the v1 column order ${POSITION_COLUMNS.join(', ')}.`,
    );
  }
  const out: PositionRow[] = [];
  for (const line of hasHeader ? lines.slice(1) : lines) {
    const f = splitFields(line, ',', path);
    if (f.length < 6) {
      throw importError(
        'bad-row',
        path,
        `has ${f.length} fields, expected 6`,
        'The file is truncated or damaged: copy it again.',
        {
          line: line.no,
        },
      );
    }
    const get = (i: number) => f[idx[i]!]!;
    out.push({
      barcode: get(0).trim(),
      inTissue: parseNumber(get(1), path, line.no, 'in_tissue') === 1,
      row: parseNumber(get(2), path, line.no, 'array_row'),
      col: parseNumber(get(3), path, line.no, 'array_col'),
      y: parseNumber(get(4), path, line.no, 'pxl_row_in_fullres'),
      x: parseNumber(get(5), path, line.no, 'pxl_col_in_fullres'),
      line: line.no,
    });
  }
  return out;
}

async function readPositionsParquet(path: string): Promise<PositionRow[]> {
  if (statSync(path).size === 0) throw importError('empty-file', path, 'the file is empty', 'Copy it again.');
  let rows: Record<string, unknown>[];
  try {
    const file = await asyncBufferFromFile(path);
    rows = (await parquetReadObjects({ file, columns: [...POSITION_COLUMNS] })) as Record<string, unknown>[];
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw importError(
      /column|not found/i.test(msg) ? 'bad-header' : 'truncated',
      path,
      `the parquet file cannot be read (${msg})`,
      /compression|codec|unsupported/i.test(msg)
        ? 'It uses a compression codec hyparquet cannot decode without hyparquet-compressors; re-save it with snappy.'
        : `It must be a Space Ranger tissue_positions.parquet with columns ${POSITION_COLUMNS.join(', ')}.`,
      { cause },
    );
  }
  return rows.map((r, i) => {
    const num = (k: string) => {
      const v = r[k];
      const n =
        typeof v === 'bigint'
          ? Number(v)
          : typeof v === 'number'
            ? v
            : typeof v === 'boolean'
              ? v
                ? 1
                : 0
              : NaN;
      if (!Number.isFinite(n)) {
        throw importError(
          'bad-number',
          path,
          `row ${i + 1} has ${k} = ${String(v)}`,
          'Fix the file or re-run Space Ranger.',
          {
            field: k,
          },
        );
      }
      return n;
    };
    return {
      barcode: String(r.barcode),
      inTissue: num('in_tissue') === 1,
      row: num('array_row'),
      col: num('array_col'),
      y: num('pxl_row_in_fullres'),
      x: num('pxl_col_in_fullres'),
    };
  });
}

export function readScalefactors(path: string): Scalefactors {
  const json = readJson(path, 'Space Ranger');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw importError(
      'bad-structure',
      path,
      'expected a JSON object of scale factors',
      'Restore the file Space Ranger wrote.',
    );
  }
  const out: Scalefactors = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v === 'number') (out as Record<string, number>)[k] = v;
  }
  return out;
}

/** Resolves the folder holding spatial/ for a Space Ranger run: the outs/ itself, or its parent. */
function visiumRoot(input: string): string {
  const abs = resolve(input);
  if (existsSync(join(abs, 'outs', 'spatial'))) return join(abs, 'outs');
  return abs;
}

export function looksLikeVisium(dir: string): boolean {
  const root = visiumRoot(dir);
  return findPositions(join(root, 'spatial')) !== undefined;
}

function findMatrix(root: string): { path: string; kind: 'h5' | 'mex'; raw: boolean } | undefined {
  const entries = existsSync(root) ? readdirSync(root) : [];
  const h5 =
    entries.find((f) => f === 'filtered_feature_bc_matrix.h5') ??
    entries.find((f) => f.endsWith('filtered_feature_bc_matrix.h5'));
  if (h5) return { path: join(root, h5), kind: 'h5', raw: false };
  // A filtered MEX folder that lacks a file is still the matrix: readTenxMex names the missing file.
  if (mexFiles(join(root, 'filtered_feature_bc_matrix')) || entries.includes('filtered_feature_bc_matrix')) {
    return { path: join(root, 'filtered_feature_bc_matrix'), kind: 'mex', raw: false };
  }
  const raw = entries.find((f) => f.endsWith('raw_feature_bc_matrix.h5'));
  if (raw) return { path: join(root, raw), kind: 'h5', raw: true };
  if (mexFiles(join(root, 'raw_feature_bc_matrix')))
    return { path: join(root, 'raw_feature_bc_matrix'), kind: 'mex', raw: true };
  return undefined;
}

/** Keeps gene-expression features (antibody capture, probes etc. are not genes to map). */
function geneColumns(m: TenxMatrix, notes: Record<string, string>): Uint8Array | undefined {
  const keep = new Uint8Array(m.featureTypes.length);
  let n = 0;
  m.featureTypes.forEach((t, i) => {
    if (t === 'Gene Expression') {
      keep[i] = 1;
      n++;
    }
  });
  if (n === m.featureTypes.length) return undefined;
  if (n === 0) return undefined;
  notes.features = `${n} "Gene Expression" features kept of ${m.featureTypes.length}`;
  return keep;
}

interface SpaceRangerLayout {
  platform: 'visium' | 'visium-hd';
  root: string;
  spatialDirs: string[];
}

async function readSpaceRangerLike(
  layout: SpaceRangerLayout,
  opts: ReadOptions,
  nameDefault: string,
): Promise<Sample> {
  const warnings: string[] = [];
  const notes: Record<string, string> = {};
  const { root, spatialDirs } = layout;
  const spatial = spatialDirs.find((d) => findPositions(d)) ?? spatialDirs[0]!;
  const posPath = findPositions(spatial);
  if (!posPath) {
    throw importError(
      'missing-file',
      spatial,
      'no tissue_positions.parquet, tissue_positions.csv or tissue_positions_list.csv',
      'Copy the whole spatial/ folder of the Space Ranger output.',
    );
  }
  const matrixFile = findMatrix(root);
  if (!matrixFile) {
    throw importError(
      'missing-file',
      root,
      'no filtered_feature_bc_matrix.h5 or filtered_feature_bc_matrix/ folder',
      'Copy the count matrix of the Space Ranger output next to spatial/.',
    );
  }
  const matrix = matrixFile.kind === 'h5' ? await readTenxH5(matrixFile.path) : readTenxMex(matrixFile.path);
  notes.counts = `${basename(matrixFile.path)}${matrixFile.raw ? ' (raw matrix: kept in_tissue spots only)' : ''}`;
  const positions = await readPositions(posPath, warnings);
  notes.positions = `${basename(posPath)} (x = pxl_col_in_fullres, y = pxl_row_in_fullres)`;
  const byBarcode = new Map<string, PositionRow>();
  for (const p of positions) {
    if (byBarcode.has(p.barcode)) {
      throw importError(
        'duplicate-spot',
        posPath,
        `barcode ${p.barcode} appears twice`,
        'Restore the file Space Ranger wrote.',
        {
          ...(p.line !== undefined ? { line: p.line } : {}),
        },
      );
    }
    byBarcode.set(p.barcode, p);
  }
  const missing = matrix.barcodes.filter((b) => !byBarcode.has(b));
  if (missing.length > 0) {
    throw importError(
      'id-mismatch',
      matrixFile.path,
      `${missing.length} of ${matrix.barcodes.length} barcodes of the count matrix have no position in ${basename(posPath)} (e.g. ${missing
        .slice(0, 3)
        .join(', ')})`,
      'The matrix and spatial/ come from different runs (or barcodes were renamed, e.g. a "-1" suffix removed): use the files of one run.',
    );
  }
  const rows: number[] = [];
  matrix.barcodes.forEach((b, i) => {
    if (!matrixFile.raw || byBarcode.get(b)!.inTissue) rows.push(i);
  });
  if (rows.length === 0) {
    throw importError(
      'no-spots',
      matrixFile.path,
      'the matrix has no spots (under tissue)',
      'Pick a non-empty filtered matrix.',
    );
  }
  const keepCols = geneColumns(matrix, notes);
  const counts = subsetCsr(matrix.counts, rows, keepCols);
  const ids = matrix.featureIds.filter((_, i) => !keepCols || keepCols[i]);
  const names = matrix.featureNames.filter((_, i) => !keepCols || keepCols[i]);
  const genes = buildGenes(ids, names, basename(matrixFile.path), warnings);
  const spots: Spot[] = rows.map((i) => {
    const p = byBarcode.get(matrix.barcodes[i]!)!;
    return { id: p.barcode, x: p.x, y: p.y, row: p.row, col: p.col };
  });

  // ---- scale
  const sfPath = spatialDirs.map((d) => join(d, 'scalefactors_json.json')).find((p) => existsSync(p));
  if (!sfPath) {
    throw importError(
      'missing-file',
      join(spatial, 'scalefactors_json.json'),
      'the scale factors are missing',
      'Copy spatial/scalefactors_json.json from the Space Ranger output (it gives the spot size and image scales).',
    );
  }
  const sf = readScalefactors(sfPath);
  const hd = layout.platform === 'visium-hd';
  const spotDiameterUm = hd ? (sf.bin_size_um ?? Number.NaN) : VISIUM_SPOT_UM;
  if (hd && !(spotDiameterUm > 0)) {
    throw importError(
      'wrong-scale',
      sfPath,
      'bin_size_um is missing or not positive',
      'Use the scalefactors_json.json of the binned output.',
      {
        field: 'bin_size_um',
      },
    );
  }
  const d = sf.spot_diameter_fullres;
  let umPerPx: number;
  if (opts.umPerPx !== undefined) {
    checkUmPerPx(opts.umPerPx, sfPath, 'umPerPx', 'Pass the pixel size in µm per full-resolution pixel.');
    umPerPx = opts.umPerPx;
    notes.umPerPx = 'user override';
  } else if (hd && sf.microns_per_pixel !== undefined) {
    umPerPx = sf.microns_per_pixel;
    notes.umPerPx = `${basename(sfPath)} microns_per_pixel`;
    checkUmPerPx(umPerPx, sfPath, 'microns_per_pixel', 'Fix the scale factors or pass --um-per-px.');
  } else {
    if (d === undefined || !(d > 0)) {
      throw importError(
        'wrong-scale',
        sfPath,
        'spot_diameter_fullres is missing or not positive',
        'Restore the file Space Ranger wrote, or pass --um-per-px.',
        { field: 'spot_diameter_fullres' },
      );
    }
    umPerPx = spotDiameterUm / d;
    notes.umPerPx = `${spotDiameterUm} µm / ${basename(sfPath)} spot_diameter_fullres (${d})`;
    checkUmPerPx(umPerPx, sfPath, 'spot_diameter_fullres', 'Fix the scale factors or pass --um-per-px.');
  }

  // ---- image: the user's image, else hires, else lowres (positions are full-res px); a blank or
  // non-covering hires falls back to lowres with a warning
  let image: ImageRef | undefined;
  const files = [...matrix.files, posPath, sfPath];
  const lineOf = (i: number) => byBarcode.get(spots[i]!.id)?.line;
  const slack = spotDiameterUm / umPerPx / 2;
  if (opts.imagePath) {
    image = await userImage(opts, sfPath);
    notes.image = userImageNote(opts);
    checkSpotsInImage(spots, image, slack, posPath, lineOf);
  } else {
    const candidates: ImageCandidate[] = [];
    for (const [file, key] of [
      ['tissue_hires_image.png', 'tissue_hires_scalef'],
      ['tissue_lowres_image.png', 'tissue_lowres_scalef'],
    ] as const) {
      const p = spatialDirs.map((dd) => join(dd, file)).find((q) => existsSync(q));
      if (!p) continue;
      const s = sf[key];
      if (s === undefined || !(s > 0) || s > 1) {
        throw importError(
          'wrong-scale',
          sfPath,
          `${key} is ${s === undefined ? 'missing' : s} but ${file} exists`,
          'Restore the scale factors.',
          {
            field: key,
          },
        );
      }
      candidates.push({ label: file, load: () => imageRef(p, 1 / s) });
      notes[`image:${file}`] = `full-res px = px / ${key} ${s}`;
    }
    const picked = await pickImage(candidates, spots, slack, posPath, lineOf, warnings);
    if (!picked) {
      throw importError(
        'missing-image',
        spatial,
        'no tissue_hires_image.png or tissue_lowres_image.png',
        'Copy the images of spatial/, or pass the H&E with --image (and --image-scale if it is not full resolution).',
      );
    }
    image = picked.image;
    notes.image = `${picked.label} (${notes[`image:${picked.label}`]})`;
    for (const k of Object.keys(notes)) if (k.startsWith('image:')) delete notes[k];
  }
  files.push(image.path);

  return {
    name: opts.name ?? nameDefault,
    platform: layout.platform,
    spots,
    genes,
    counts,
    spotDiameterUm,
    lattice: hd ? 'square' : 'hex',
    umPerPx,
    image,
    provenance: {
      reader: layout.platform === 'visium' ? 'spaceranger' : 'visium-hd',
      files,
      notes,
      warnings,
    },
  };
}

function runName(root: string): string {
  const b = basename(root);
  return b === 'outs' ? basename(dirname(root)) : b;
}

/** Space Ranger 1.x–3.x Visium `outs/` (or a folder with the same files, e.g. seurat's test data). */
export async function readVisium(input: string, opts: ReadOptions = {}): Promise<Sample> {
  const root = visiumRoot(input);
  return readSpaceRangerLike(
    { platform: 'visium', root, spatialDirs: [join(root, 'spatial')] },
    opts,
    runName(root),
  );
}

const HD_BINS = ['square_008um', 'square_016um', 'square_002um'];

/** The binned-output folder to read: the one given, or 8 µm (10x's default) under outs/. */
export function hdBinDir(input: string): string | undefined {
  const abs = resolve(input);
  if (/^square_\d+um$/.test(basename(abs))) return abs;
  for (const base of [join(abs, 'binned_outputs'), join(abs, 'outs', 'binned_outputs'), abs]) {
    for (const b of HD_BINS) if (existsSync(join(base, b))) return join(base, b);
  }
  return undefined;
}

/** Visium HD binned output (`binned_outputs/square_008um`: parquet positions + h5 matrix). */
export async function readVisiumHd(input: string, opts: ReadOptions = {}): Promise<Sample> {
  const bin = hdBinDir(input);
  if (!bin) {
    throw importError(
      'missing-file',
      input,
      'no binned_outputs/square_XXXum folder',
      'Pick the Visium HD outs/ folder.',
    );
  }
  // Images and scale factors live in the bin's spatial/ and (Space Ranger 3) in outs/spatial/.
  const outs = dirname(dirname(bin));
  const sample = await readSpaceRangerLike(
    { platform: 'visium-hd', root: bin, spatialDirs: [join(bin, 'spatial'), join(outs, 'spatial')] },
    opts,
    `${runName(outs)} ${basename(bin)}`,
  );
  sample.provenance.notes.bin = basename(bin);
  return sample;
}

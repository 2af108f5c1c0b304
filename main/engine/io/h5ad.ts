import { mkdirSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { CsrMatrix, Embedding, ImageRef, ReadOptions, Sample, Spot } from './sample';
import { ImportError, importError } from './problems';
import { pickImage, userImage, userImageNote, type ImageCandidate } from './images';
import { checkAnndataAge, checkEncoding } from './anndata-encoding';
import {
  attrNumbers,
  attrString,
  checkFilters,
  datasetLength,
  getDataset,
  getGroup,
  h5,
  openHdf5,
  readFloat32,
  readFloat64,
  readStrings,
  readUint32,
  type H5Dataset,
  type H5File,
  type H5Group,
} from './hdf5';
import { buildGenes, checkCountValues, checkSpotsInImage, checkUmPerPx, imageRef } from './common';
import { validateCsr } from './tenx-matrix';
import { VISIUM_SPOT_UM } from './spaceranger';
import { TEMP_PREFIX } from '../store/atomic-file';

/**
 * AnnData .h5ad in scanpy's Visium layout (formats.md §1): X dense or CSR/CSC, obs/var dataframes,
 * obsm['spatial'] (x, y full-res px), uns['spatial'][library]{images, scalefactors}. Element
 * encodings are dispatched on their `encoding-type` attribute as the anndata spec prescribes.
 */

type Column = string[] | Float64Array;

function isDataset(x: unknown): x is H5Dataset {
  return x instanceof h5().Dataset;
}

/** Categories of an anndata 0.7 categorical: an object reference to `<df>/__categories/<col>`. */
function legacyCategories(ds: H5Dataset, file: string, where: string): string[] | undefined {
  const attr = ds.attrs.categories;
  if (!attr) return undefined;
  const ref: unknown = attr.value;
  let target: unknown;
  try {
    target = ds.dereference((Array.isArray(ref) ? ref[0] : ref) as Parameters<H5Dataset['dereference']>[0]);
  } catch (cause) {
    throw importError(
      'bad-structure',
      file,
      `the categories of "${where}" cannot be found`,
      'The file is damaged.',
      {
        field: where,
        cause,
      },
    );
  }
  if (!isDataset(target)) {
    throw importError(
      'bad-structure',
      file,
      `the categories reference of "${where}" is broken`,
      'The file is damaged.',
      {
        field: where,
      },
    );
  }
  return readStrings(target, file, `${where} categories`);
}

function codesToLabels(codes: Float64Array, cats: Column): string[] {
  return Array.from(codes, (c) =>
    c < 0 || !Number.isFinite(c) ? '' : String(Array.isArray(cats) ? cats[c] : cats[c]),
  );
}

/**
 * One dataframe column: plain array, string-array, categorical (0.2.0 group or anndata 0.7's
 * referenced categories), boolean (h5py's enum) or nullable-* (values + mask, masked → '').
 */
function readColumn(group: H5Group, name: string, file: string): Column {
  const obj = group.get(name);
  const where = `${group.path}/${name}`.replace(/^\/+/, '');
  if (isDataset(obj)) {
    checkEncoding(obj, where, file);
    const t = obj.dtype;
    if (typeof t === 'string' && /^[SAU]|^O/.test(t)) return readStrings(obj, file, where);
    const meta = obj.metadata;
    if (meta.type === 3 /* H5T_STRING */) return readStrings(obj, file, where);
    const cats = legacyCategories(obj, file, where);
    if (cats) return codesToLabels(readFloat64(obj, file, where), cats);
    if (meta.type === 8 /* H5T_ENUM: h5py's bool */)
      return Array.from(readFloat64(obj, file, where), (v) => (v ? 'True' : 'False'));
    return readFloat64(obj, file, where);
  }
  if (obj instanceof h5().Group) {
    checkEncoding(obj, where, file);
    const enc = attrString(obj, 'encoding-type');
    const keys = obj.keys();
    if (enc === 'categorical' || (keys.includes('codes') && keys.includes('categories'))) {
      const codes = readFloat64(getDataset(obj, 'codes', file), file, `${where}/codes`);
      return codesToLabels(codes, readColumn(obj, 'categories', file));
    }
    if (keys.includes('values')) {
      const values = readColumn(obj, 'values', file);
      if (!keys.includes('mask')) return values;
      const mask = readFloat64(getDataset(obj, 'mask', file), file, `${where}/mask`);
      const bool = enc === 'nullable-boolean';
      return Array.from({ length: mask.length }, (_, i) => {
        if (mask[i]) return '';
        const v = values[i]!;
        if (typeof v === 'string') return v; // h5py's enum bool was already decoded to 'True'/'False'
        return bool ? (v ? 'True' : 'False') : String(v);
      });
    }
  }
  throw importError(
    'bad-structure',
    file,
    `column "${where}" is missing or of an unknown encoding`,
    'Re-write the file with anndata ≥0.8.',
    {
      field: where,
    },
  );
}

function dataframeIndex(f: H5File, key: string, file: string): { group: H5Group; index: string[] } {
  const g = getGroup(f, key);
  if (!g) {
    throw importError(
      'bad-structure',
      file,
      `the /${key} dataframe is missing`,
      'This is not an AnnData file (or it is damaged).',
      {
        field: key,
      },
    );
  }
  checkEncoding(g, key, file);
  const idxName = attrString(g, '_index') ?? '_index';
  const col = readColumn(g, idxName, file);
  return { group: g, index: Array.isArray(col) ? col : Array.from(col, String) };
}

/** Reads X (or layers/counts) as CSR spots × genes, in row blocks for dense X. */
function readMatrix(f: H5File, key: string, nObs: number, nVar: number, file: string): CsrMatrix {
  const obj = f.get(key);
  if (isDataset(obj) || obj instanceof h5().Group) checkEncoding(obj, key, file);
  if (isDataset(obj)) {
    checkFilters(obj, file, key);
    const shape = obj.shape ?? [];
    if (shape.length !== 2 || shape[0] !== nObs || shape[1] !== nVar) {
      throw importError(
        'bad-structure',
        file,
        `${key} has shape ${JSON.stringify(shape)}, expected [${nObs}, ${nVar}]`,
        'The file is damaged.',
        {
          field: key,
        },
      );
    }
    const indptr = new Uint32Array(nObs + 1);
    const indices: number[] = [];
    const data: number[] = [];
    const block = Math.max(1, Math.floor((1 << 22) / Math.max(1, nVar)));
    for (let r0 = 0; r0 < nObs; r0 += block) {
      const r1 = Math.min(nObs, r0 + block);
      const raw = obj.slice([
        [r0, r1],
        [0, nVar],
      ]) as ArrayLike<number | bigint>;
      for (let r = r0; r < r1; r++) {
        for (let c = 0; c < nVar; c++) {
          const v = Number(raw[(r - r0) * nVar + c]!);
          if (v !== 0) {
            indices.push(c);
            data.push(v);
          }
        }
        indptr[r + 1] = indices.length;
      }
    }
    return {
      nRows: nObs,
      nCols: nVar,
      indptr,
      indices: Uint32Array.from(indices),
      data: Float32Array.from(data),
    };
  }
  if (obj instanceof h5().Group) {
    const enc = attrString(obj, 'encoding-type') ?? attrString(obj, 'h5sparse_format');
    const shape = attrNumbers(obj, 'shape') ?? attrNumbers(obj, 'h5sparse_shape');
    if (!shape || shape[0] !== nObs || shape[1] !== nVar) {
      throw importError(
        'bad-structure',
        file,
        `${key} shape ${JSON.stringify(shape)} does not match obs × var (${nObs} × ${nVar})`,
        'The file is damaged.',
        {
          field: `${key}/shape`,
        },
      );
    }
    const dataDs = getDataset(obj, 'data', file);
    const nnz = datasetLength(dataDs);
    const data = readFloat32(dataDs, file, `${key}/data`);
    const indices = readUint32(getDataset(obj, 'indices', file), file, `${key}/indices`);
    const indptr = readUint32(getDataset(obj, 'indptr', file), file, `${key}/indptr`);
    if (enc === 'csr_matrix' || enc === 'csr') {
      const m = { nRows: nObs, nCols: nVar, indptr, indices, data };
      validateCsr(m, nnz, file, key);
      return m;
    }
    if (enc === 'csc_matrix' || enc === 'csc') {
      validateCsr({ nRows: nVar, nCols: nObs, indptr, indices, data }, nnz, file, key);
      return transpose({ nRows: nVar, nCols: nObs, indptr, indices, data });
    }
    throw importError(
      'unsupported',
      file,
      `${key} has encoding "${enc}"`,
      'Write X as a dense array or CSR/CSC sparse matrix.',
      {
        field: key,
      },
    );
  }
  throw importError('bad-structure', file, `${key} is missing`, 'The AnnData file has no count matrix.', {
    field: key,
  });
}

function transpose(m: CsrMatrix): CsrMatrix {
  const nnz = m.indices.length;
  const indptr = new Uint32Array(m.nCols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k]! + 1]!++;
  for (let c = 0; c < m.nCols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, m.nCols);
  const indices = new Uint32Array(nnz);
  const data = new Float32Array(nnz);
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const o = fill[m.indices[k]!]!++;
      indices[o] = r;
      data[o] = m.data[k]!;
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}

function scalar(ds: unknown): number | undefined {
  if (!isDataset(ds)) return undefined;
  const v = ds.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 1)
    return Number((v as unknown as ArrayLike<number>)[0]);
  return undefined;
}

/** Writes an embedded (H, W, 3|4) image to a PNG in the scratch folder (atomically). */
async function extractImage(ds: H5Dataset, file: string, field: string, scratchDir: string): Promise<string> {
  const shape = ds.shape ?? [];
  if (shape.length !== 3 || (shape[2] !== 3 && shape[2] !== 4)) {
    throw importError(
      'bad-image',
      file,
      `${field} has shape ${JSON.stringify(shape)}, expected (H, W, 3)`,
      'Store the image as an RGB array.',
      {
        field,
      },
    );
  }
  const [h, w, c] = shape as [number, number, 3 | 4];
  checkFilters(ds, file, field);
  const v = ds.value as ArrayLike<number>;
  const px = new Uint8Array(h * w * c);
  // scanpy stores float32 in [0, 1] (matplotlib imread), squidpy uint8.
  let max = 0;
  for (let i = 0; i < v.length; i++) if (v[i]! > max) max = v[i]!;
  const scale = max <= 1 ? 255 : 1;
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(v[i]! * scale)));
  const st = statSync(file);
  const key = createHash('sha1')
    .update(`${file}|${st.size}|${st.mtimeMs}|${field}`)
    .digest('hex')
    .slice(0, 16);
  mkdirSync(scratchDir, { recursive: true });
  const out = join(scratchDir, `${basename(file).replace(/\.h5ad$/i, '')}-${key}.png`);
  const tmp = join(scratchDir, `${TEMP_PREFIX}${basename(out)}`);
  await sharp(px, { raw: { width: w, height: h, channels: c } })
    .png()
    .toFile(tmp);
  renameSync(tmp, out);
  return out;
}

/** Obs columns that describe the spot itself, not an annotation of it. */
const SPOT_COLUMNS = new Set(['array_row', 'array_col', 'in_tissue', 'total_counts']);
/** A string column with more distinct values than this is an id, not an annotation. */
const MAX_STRING_CATEGORIES = 200;
/** An integer column with at most this many distinct values is a labelling (cluster ids). */
const MAX_INTEGER_CATEGORIES = 50;

function obsColumnNames(g: H5Group, indexName: string): string[] {
  const order: unknown = g.attrs['column-order']?.value;
  const listed = Array.isArray(order) ? order.map(String) : typeof order === 'string' ? [order] : [];
  const keys = g.keys();
  const rest = keys.filter((k) => !listed.includes(k) && k !== indexName && !k.startsWith('__'));
  return [...listed.filter((k) => keys.includes(k)), ...rest];
}

/**
 * The h5ad's own obs annotations (leiden clusters, cell types, pathologist labels, booleans,
 * nullable columns, small integer labellings) as categorical labels; continuous numbers and id-like
 * strings are listed in the notes, not kept. A column that cannot be read is skipped with a warning:
 * annotations are optional, only counts, positions and image decide whether a sample imports.
 */
function readAnnotations(
  obs: H5Group,
  indexName: string,
  n: number,
  file: string,
  warnings: string[],
  notes: Record<string, string>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const dropped: string[] = [];
  for (const name of obsColumnNames(obs, indexName)) {
    if (SPOT_COLUMNS.has(name)) continue;
    let col: Column;
    try {
      col = readColumn(obs, name, file);
    } catch (e) {
      if (e instanceof ImportError && e.problem === 'unsupported' && /encoding-version|newer/.test(e.message))
        throw e;
      warnings.push(`obs column "${name}" skipped: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (col.length !== n) {
      warnings.push(`obs column "${name}" skipped: it has ${col.length} values for ${n} spots.`);
      continue;
    }
    const categorical = isCategoricalColumn(obs, name);
    if (Array.isArray(col)) {
      const distinct = new Set(col.filter((v) => v !== '')).size;
      if (!categorical && distinct > MAX_STRING_CATEGORIES) {
        dropped.push(`${name} (${distinct} distinct strings)`);
        continue;
      }
      out[name] = col;
    } else {
      const values = Array.from(col);
      const integral = values.every((v) => Number.isNaN(v) || Number.isInteger(v));
      const distinct = new Set(values.filter((v) => !Number.isNaN(v))).size;
      if (!integral || distinct > MAX_INTEGER_CATEGORIES) {
        dropped.push(`${name} (continuous)`);
        continue;
      }
      out[name] = values.map((v) => (Number.isNaN(v) ? '' : String(v)));
    }
  }
  const kept = Object.keys(out);
  notes.annotations = kept.length > 0 ? `obs columns kept as annotations: ${kept.join(', ')}` : 'none';
  if (dropped.length > 0) notes.annotationsNotKept = dropped.join(', ');
  return out;
}

function isCategoricalColumn(g: H5Group, name: string): boolean {
  const obj = g.get(name);
  if (obj instanceof h5().Group)
    return attrString(obj, 'encoding-type') === 'categorical' || obj.keys().includes('codes');
  return isDataset(obj) && obj.attrs.categories !== undefined;
}

interface CountsSource {
  key: string;
  var: { group: H5Group; index: string[] };
  label: string;
}

/** Counts from layers['counts'], raw.X or X, in that order (raw.X has its own var). */
function countsSource(f: H5File, vr: { group: H5Group; index: string[] }, file: string): CountsSource {
  if (getGroup(f, 'layers')?.keys().includes('counts'))
    return { key: 'layers/counts', var: vr, label: "layers['counts']" };
  const raw = getGroup(f, 'raw');
  if (raw?.keys().includes('X') && raw.keys().includes('var'))
    return { key: 'raw/X', var: dataframeIndex(f, 'raw/var', file), label: 'raw.X (with raw.var)' };
  if (f.get('X') !== null && (isDataset(f.get('X')) || f.get('X') instanceof h5().Group))
    return { key: 'X', var: vr, label: 'X' };
  throw importError(
    'bad-structure',
    file,
    "X is missing and there is no layers['counts'] or raw.X: the file has no count matrix",
    'Save the AnnData with its counts (adata.X or adata.layers["counts"]).',
    { field: 'X' },
  );
}

/** What an STSR Studio export wrote in uns['stsr'] (scale, spot size, name) for a faithful re-import. */
function stsrMetadata(f: H5File): Record<string, string | number> {
  const g = getGroup(f, 'uns/stsr');
  const out: Record<string, string | number> = {};
  for (const k of g?.keys() ?? []) {
    const obj = g!.get(k);
    if (!isDataset(obj)) continue;
    const v = obj.value;
    if (typeof v === 'string') out[k] = v;
    else {
      const x = scalar(obj);
      if (x !== undefined) out[k] = x;
    }
  }
  return out;
}

/** Wider obsm arrays are not embeddings a user colours or clusters by (and would bloat the project). */
const MAX_EMBEDDING_COLUMNS = 1024;

/**
 * obsm members other than `spatial` that are dense numeric spots × d arrays (X_pca, X_umap, a
 * model's latent) are kept as embeddings; the rest (sparse, dataframes, other shapes) are listed in
 * notes.obsmNotKept with the reason.
 */
function readEmbeddings(
  f: H5File,
  nObs: number,
  file: string,
  notes: Record<string, string>,
): Record<string, Embedding> {
  const out: Record<string, Embedding> = {};
  const skipped: string[] = [];
  const g = getGroup(f, 'obsm');
  for (const key of g?.keys() ?? []) {
    if (key === 'spatial') continue;
    const where = `obsm/${key}`;
    const obj = f.get(where);
    if (!isDataset(obj)) {
      const enc = obj instanceof h5().Group ? attrString(obj, 'encoding-type') : undefined;
      skipped.push(`${key} (${enc ?? 'group'}, not a dense array)`);
      continue;
    }
    const shape = obj.shape ?? [];
    // HDF5 type classes 0 = integer, 1 = float
    if (obj.metadata.type !== 0 && obj.metadata.type !== 1) {
      skipped.push(`${key} (not numeric)`);
      continue;
    }
    if (shape.length !== 2 || shape[0] !== nObs) {
      skipped.push(`${key} (shape ${JSON.stringify(shape)}, not ${nObs} × d)`);
      continue;
    }
    const d = shape[1]!;
    if (d < 1 || d > MAX_EMBEDDING_COLUMNS) {
      skipped.push(`${key} (${d} columns; at most ${MAX_EMBEDDING_COLUMNS} are kept)`);
      continue;
    }
    out[key] = { nCols: d, data: readFloat32(obj, file, where) };
  }
  const kept = Object.entries(out).map(([k, e]) => `${k} (${e.nCols})`);
  if (kept.length > 0) notes.embeddings = `obsm: ${kept.join(', ')}`;
  if (skipped.length > 0) notes.obsmNotKept = skipped.join(', ');
  return out;
}

const PLATFORMS: readonly Sample['platform'][] = ['visium', 'visium-hd', 'xenium', 'legacy-st', 'h5ad'];

export async function readH5ad(input: string, opts: ReadOptions = {}): Promise<Sample> {
  const file = resolve(input);
  const warnings: string[] = [];
  const notes: Record<string, string> = {};
  const f = await openHdf5(file);
  try {
    checkAnndataAge(f, file);
    const obs = dataframeIndex(f, 'obs', file);
    const vr = dataframeIndex(f, 'var', file);
    const nObs = obs.index.length;
    const src = countsSource(f, vr, file);
    const nVar = src.var.index.length;
    notes.counts = src.label;
    const counts = readMatrix(f, src.key, nObs, nVar, file);
    checkCountValues(counts, file, (r, c) => ({
      field: `${src.key} (obs ${obs.index[r]}, var ${src.var.index[c]})`,
    }));
    let nonInteger = false;
    for (let k = 0; k < counts.data.length && !nonInteger; k++)
      if (!Number.isInteger(counts.data[k]!)) nonInteger = true;
    if (nonInteger) {
      notes.values = 'normalised';
      warnings.push(
        `${src.label} holds non-integer values (normalised, e.g. log1p) and the file has no raw counts ` +
          `(layers['counts'] or raw.X): imported read-only as normalised values; exports keep them as they are and never normalise them again.`,
      );
    } else notes.values = 'counts';

    const vg = src.var.group;
    const geneIds = vg.keys().includes('gene_ids') ? readColumn(vg, 'gene_ids', file) : src.var.index;
    const genes = buildGenes(
      Array.isArray(geneIds) ? geneIds : Array.from(geneIds, String),
      src.var.index,
      `${basename(file)} ${src.key === 'raw/X' ? 'raw.var' : 'var'}`,
      warnings,
    );

    const spatialDs = f.get('obsm/spatial');
    if (!isDataset(spatialDs)) {
      throw importError(
        'bad-structure',
        file,
        "obsm['spatial'] is missing",
        'Only spatial AnnData can be imported: add spot coordinates in obsm["spatial"].',
        {
          field: 'obsm/spatial',
        },
      );
    }
    const shape = spatialDs.shape ?? [];
    if (shape.length !== 2 || shape[0] !== nObs || (shape[1] ?? 0) < 2) {
      throw importError(
        'bad-structure',
        file,
        `obsm['spatial'] has shape ${JSON.stringify(shape)}, expected [${nObs}, 2]`,
        'Fix the coordinates.',
        {
          field: 'obsm/spatial',
        },
      );
    }
    const xy = readFloat64(spatialDs, file, 'obsm/spatial');
    const width = shape[1]!;
    const rowCol = (name: string) =>
      obs.group.keys().includes(name) ? readColumn(obs.group, name, file) : undefined;
    const arow = rowCol('array_row');
    const acol = rowCol('array_col');
    const spots: Spot[] = obs.index.map((id, i) => {
      const x = xy[i * width]!;
      const y = xy[i * width + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw importError(
          'bad-number',
          file,
          `obsm['spatial'] of ${id} is (${x}, ${y})`,
          'Every spot needs finite coordinates.',
          {
            field: 'obsm/spatial',
          },
        );
      }
      const s: Spot = { id, x, y };
      if (arow && !Array.isArray(arow)) s.row = arow[i]!;
      if (acol && !Array.isArray(acol)) s.col = acol[i]!;
      return s;
    });
    notes.positions = "obsm['spatial'] (x, y full-res px)";
    const annotations = readAnnotations(
      obs.group,
      attrString(obs.group, '_index') ?? '_index',
      nObs,
      file,
      warnings,
      notes,
    );
    const embeddings = readEmbeddings(f, nObs, file, notes);

    // uns/spatial/<library>: scale factors and images
    const lib = getGroup(f, 'uns/spatial');
    const libs = lib?.keys() ?? [];
    if (libs.length > 1) warnings.push(`uns['spatial'] has ${libs.length} libraries; used "${libs[0]}".`);
    const libId = libs[0];
    const sf: Record<string, number> = {};
    if (libId !== undefined) {
      const sfg = getGroup(f, `uns/spatial/${libId}/scalefactors`);
      for (const k of sfg?.keys() ?? []) {
        const v = scalar(sfg!.get(k));
        if (v !== undefined) sf[k] = v;
      }
      notes.library = libId;
    }
    // An STSR Studio export says its own scale and spot size; anything else is a Visium 55 µm spot.
    const stsr = stsrMetadata(f);
    const stsrSpotUm = Number(stsr.spot_diameter_um ?? stsr.superpixel_size_um);
    const stsrUmPerPx = Number(stsr.um_per_px);
    const spotDiameterUm = stsrSpotUm > 0 ? stsrSpotUm : VISIUM_SPOT_UM;
    if (stsrSpotUm > 0) notes.spotDiameterUm = `uns['stsr'] (${stsrSpotUm} µm)`;
    let umPerPx: number;
    if (opts.umPerPx !== undefined) {
      checkUmPerPx(opts.umPerPx, file, 'umPerPx', 'Pass the pixel size in µm per full-resolution pixel.');
      umPerPx = opts.umPerPx;
      notes.umPerPx = 'user override';
    } else if (stsrUmPerPx > 0) {
      umPerPx = stsrUmPerPx;
      notes.umPerPx = `uns['stsr']['um_per_px'] (${stsrUmPerPx}, written by STSR Studio)`;
      checkUmPerPx(umPerPx, file, 'uns/stsr/um_per_px', 'Fix the value or pass --um-per-px.');
      const d = sf.spot_diameter_fullres;
      if (d !== undefined && Math.abs(d * umPerPx - spotDiameterUm) > 0.01 * spotDiameterUm)
        warnings.push(
          `uns['stsr'] says ${umPerPx} µm/px and a ${spotDiameterUm} µm spot, but spot_diameter_fullres is ${d} px: used uns['stsr'].`,
        );
    } else if (sf.spot_diameter_fullres !== undefined) {
      umPerPx = spotDiameterUm / sf.spot_diameter_fullres;
      notes.umPerPx = `${spotDiameterUm} µm / uns['spatial']['${libId}']['scalefactors']['spot_diameter_fullres'] (${sf.spot_diameter_fullres})`;
      checkUmPerPx(
        umPerPx,
        file,
        `uns/spatial/${libId}/scalefactors/spot_diameter_fullres`,
        'Fix the scale factors or pass --um-per-px.',
      );
    } else {
      throw importError(
        'wrong-scale',
        file,
        "no uns['spatial'][library]['scalefactors']['spot_diameter_fullres'] to derive µm per pixel from",
        'Pass the pixel size with --um-per-px.',
        { field: 'uns/spatial' },
      );
    }
    const slack = spotDiameterUm / umPerPx / 2;
    let image: ImageRef | undefined;
    if (opts.imagePath) {
      image = await userImage(opts, file);
      notes.image = userImageNote(opts);
      checkSpotsInImage(spots, image, slack, file, () => undefined);
    } else if (libId !== undefined) {
      const scratch = opts.scratchDir ?? join(tmpdir(), 'stsr-h5ad-images');
      const candidates: ImageCandidate[] = [];
      for (const [res, key] of [
        ['hires', 'tissue_hires_scalef'],
        ['lowres', 'tissue_lowres_scalef'],
      ] as const) {
        const field = `uns/spatial/${libId}/images/${res}`;
        const ds = f.get(field);
        if (!isDataset(ds)) continue;
        const s = sf[key];
        if (s === undefined || !(s > 0)) {
          throw importError(
            'wrong-scale',
            file,
            `image "${res}" has no positive ${key}`,
            'Add the scale factor of the image.',
            {
              field: `uns/spatial/${libId}/scalefactors/${key}`,
            },
          );
        }
        candidates.push({
          label: `uns['spatial']['${libId}']['images']['${res}']`,
          load: async () => imageRef(await extractImage(ds, file, field, scratch), 1 / s),
        });
      }
      const picked = await pickImage(candidates, spots, slack, file, () => undefined, warnings);
      if (picked) {
        image = picked.image;
        notes.image = `${picked.label} extracted to ${image.path}`;
      }
    }
    if (!image)
      warnings.push(
        'No image in the file and none given: the sample has positions but nothing to draw them on.',
      );

    const platform = PLATFORMS.find((p) => p === stsr.platform) ?? 'h5ad';
    const lattice =
      stsr.lattice === 'square' || stsr.lattice === 'hex' || stsr.lattice === 'none'
        ? stsr.lattice
        : arow && acol
          ? 'hex'
          : 'none';
    const name =
      opts.name ??
      (typeof stsr.sample_name === 'string' ? stsr.sample_name : basename(file).replace(/\.h5ad$/i, ''));
    return {
      name,
      platform,
      spots,
      genes,
      counts,
      spotDiameterUm,
      lattice,
      umPerPx,
      ...(image ? { image } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(Object.keys(embeddings).length > 0 ? { embeddings } : {}),
      provenance: {
        reader: 'h5ad',
        files: [file, ...(image && opts.imagePath ? [image.path] : [])],
        notes,
        warnings,
      },
    };
  } finally {
    f.close();
  }
}

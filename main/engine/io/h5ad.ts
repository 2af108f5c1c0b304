import { mkdirSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { CsrMatrix, ImageRef, ReadOptions, Sample, Spot } from './sample';
import { importError } from './problems';
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

/** One dataframe column: plain array, string-array, categorical, or nullable-* (values + mask). */
function readColumn(group: H5Group, name: string, file: string): Column {
  const obj = group.get(name);
  const where = `${group.path}/${name}`.replace(/^\/+/, '');
  if (isDataset(obj)) {
    const t = obj.dtype;
    if (typeof t === 'string' && /^[SAU]|^O/.test(t)) return readStrings(obj, file, where);
    const v = obj.metadata;
    if (v.type === 3 /* H5T_STRING */) return readStrings(obj, file, where);
    return readFloat64(obj, file, where);
  }
  if (obj instanceof h5().Group) {
    checkEncoding(obj, where, file);
    const enc = attrString(obj, 'encoding-type');
    if (enc === 'categorical' || (obj.keys().includes('codes') && obj.keys().includes('categories'))) {
      const codes = readFloat64(getDataset(obj, 'codes', file), file, `${where}/codes`);
      const cats = readColumn(obj, 'categories', file);
      return Array.from(codes, (c) => (c < 0 ? '' : String(Array.isArray(cats) ? cats[c] : cats[c])));
    }
    if (obj.keys().includes('values')) return readColumn(obj, 'values', file);
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

function dataframeIndex(f: H5File, key: 'obs' | 'var', file: string): { group: H5Group; index: string[] } {
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
    const nVar = vr.index.length;
    const xKey = getGroup(f, 'layers')?.keys().includes('counts') ? 'layers/counts' : 'X';
    notes.counts = xKey === 'X' ? 'X' : "layers['counts'] (raw counts preferred over X)";
    const counts = readMatrix(f, xKey, nObs, nVar, file);
    checkCountValues(counts, file, (r, c) => ({
      field: `${xKey} (obs ${obs.index[r]}, var ${vr.index[c]})`,
    }));
    let nonInteger = 0;
    for (let k = 0; k < counts.data.length && nonInteger === 0; k++)
      if (!Number.isInteger(counts.data[k]!)) nonInteger++;
    if (nonInteger > 0)
      warnings.push(`${xKey} holds non-integer values: it is probably normalised, not raw counts.`);

    const geneIds = vr.group.keys().includes('gene_ids') ? readColumn(vr.group, 'gene_ids', file) : vr.index;
    const genes = buildGenes(
      Array.isArray(geneIds) ? geneIds : Array.from(geneIds, String),
      vr.index,
      `${basename(file)} var`,
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

    // uns/spatial/<library>: scale factors and images
    const lib = getGroup(f, 'uns/spatial');
    const libs = lib?.keys() ?? [];
    if (libs.length > 1) warnings.push(`uns['spatial'] has ${libs.length} libraries; used "${libs[0]}".`);
    const libId = libs[0];
    const sf: Record<string, number> = {};
    let image: ImageRef | undefined;
    if (libId !== undefined) {
      const sfg = getGroup(f, `uns/spatial/${libId}/scalefactors`);
      for (const k of sfg?.keys() ?? []) {
        const v = scalar(sfg!.get(k));
        if (v !== undefined) sf[k] = v;
      }
      notes.library = libId;
    }
    let umPerPx: number;
    if (opts.umPerPx !== undefined) {
      checkUmPerPx(opts.umPerPx, file, 'umPerPx', 'Pass the pixel size in µm per full-resolution pixel.');
      umPerPx = opts.umPerPx;
      notes.umPerPx = 'user override';
    } else if (sf.spot_diameter_fullres !== undefined) {
      umPerPx = VISIUM_SPOT_UM / sf.spot_diameter_fullres;
      notes.umPerPx = `55 µm / uns['spatial']['${libId}']['scalefactors']['spot_diameter_fullres'] (${sf.spot_diameter_fullres})`;
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
    if (opts.imagePath) {
      image = await imageRef(resolve(opts.imagePath), 1);
      notes.image = 'user-supplied full-resolution image';
    } else if (libId !== undefined) {
      const scratch = opts.scratchDir ?? join(tmpdir(), 'stsr-h5ad-images');
      for (const [res, key] of [
        ['hires', 'tissue_hires_scalef'],
        ['lowres', 'tissue_lowres_scalef'],
      ] as const) {
        const ds = f.get(`uns/spatial/${libId}/images/${res}`);
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
        const png = await extractImage(ds, file, `uns/spatial/${libId}/images/${res}`, scratch);
        image = await imageRef(png, 1 / s);
        notes.image = `uns['spatial']['${libId}']['images']['${res}'] extracted to ${png}`;
        break;
      }
    }
    if (image) checkSpotsInImage(spots, image, VISIUM_SPOT_UM / umPerPx / 2, file, () => undefined);
    else
      warnings.push(
        'No image in the file and none given: the sample has positions but nothing to draw them on.',
      );

    return {
      name: opts.name ?? basename(file).replace(/\.h5ad$/i, ''),
      platform: 'h5ad',
      spots,
      genes,
      counts,
      spotDiameterUm: VISIUM_SPOT_UM,
      lattice: arow && acol ? 'hex' : 'none',
      umPerPx,
      ...(image ? { image } : {}),
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

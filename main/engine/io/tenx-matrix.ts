import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CsrMatrix } from './sample';
import { importError } from './problems';
import {
  getDataset,
  getGroup,
  hasDataset,
  openHdf5,
  readFloat32,
  readStrings,
  readUint32,
  datasetLength,
} from './hdf5';
import { checkCountValues } from './common';
import { parseNumber, readText, textLines } from './text';

/** A 10x feature-barcode matrix as barcodes × features (rows = barcodes). */
export interface TenxMatrix {
  barcodes: string[];
  featureIds: string[];
  featureNames: string[];
  featureTypes: string[];
  counts: CsrMatrix;
  files: string[];
}

/**
 * 10x HDF5 (Cell Ranger ≥3 / Space Ranger / Xenium): /matrix/{barcodes,data,indices,indptr,shape,
 * features/{id,name,feature_type}}. The data are CSC over (features × barcodes), which read as CSR
 * is exactly barcodes × features (scanpy's _read_v3_10x_h5 does the same), so no transpose.
 */
export async function readTenxH5(path: string): Promise<TenxMatrix> {
  const f = await openHdf5(path);
  try {
    const m = getGroup(f, 'matrix');
    if (!m) {
      throw importError(
        'bad-structure',
        path,
        'no /matrix group (this is not a Cell Ranger ≥3 / Space Ranger feature-barcode matrix)',
        'Pick filtered_feature_bc_matrix.h5; Cell Ranger 2 files are not supported, re-run with a current pipeline.',
        { field: 'matrix' },
      );
    }
    const shapeDs = getDataset(m, 'shape', path);
    const shape = Array.from(readUint32(shapeDs, path, 'matrix/shape'));
    const [nFeatures, nBarcodes] = [shape[0] ?? 0, shape[1] ?? 0];
    const barcodes = readStrings(getDataset(m, 'barcodes', path), path, 'matrix/barcodes');
    const feat = getGroup(m, 'features');
    const featureIds = feat
      ? readStrings(getDataset(feat, 'id', path), path, 'matrix/features/id')
      : readStrings(getDataset(m, 'genes', path), path, 'matrix/genes');
    const featureNames = feat
      ? readStrings(getDataset(feat, 'name', path), path, 'matrix/features/name')
      : readStrings(getDataset(m, 'gene_names', path), path, 'matrix/gene_names');
    const featureTypes =
      feat && hasDataset(feat, 'feature_type')
        ? readStrings(getDataset(feat, 'feature_type', path), path, 'matrix/features/feature_type')
        : featureIds.map(() => 'Gene Expression');
    if (
      barcodes.length !== nBarcodes ||
      featureIds.length !== nFeatures ||
      featureNames.length !== nFeatures
    ) {
      throw importError(
        'bad-structure',
        path,
        `shape says ${nFeatures} features × ${nBarcodes} barcodes but the file lists ${featureIds.length} features and ${barcodes.length} barcodes`,
        'The file is damaged: copy it again.',
        { field: 'matrix/shape' },
      );
    }
    const dataDs = getDataset(m, 'data', path);
    const nnz = datasetLength(dataDs);
    const data = readFloat32(dataDs, path, 'matrix/data');
    const indices = readUint32(getDataset(m, 'indices', path), path, 'matrix/indices');
    const indptr = readUint32(getDataset(m, 'indptr', path), path, 'matrix/indptr');
    validateCsr({ nRows: nBarcodes, nCols: nFeatures, indptr, indices, data }, nnz, path, 'matrix');
    const counts: CsrMatrix = { nRows: nBarcodes, nCols: nFeatures, indptr, indices, data };
    checkCountValues(counts, path, (r, c) => ({
      field: `matrix/data (barcode ${barcodes[r]}, feature ${featureNames[c]})`,
    }));
    return { barcodes, featureIds, featureNames, featureTypes, counts, files: [path] };
  } finally {
    f.close();
  }
}

/** Structural checks that keep a damaged matrix from turning into out-of-bounds reads later. */
export function validateCsr(m: CsrMatrix, nnz: number, file: string, group: string): void {
  const bad = (what: string) =>
    importError(
      'bad-structure',
      file,
      what,
      'The matrix is damaged or was written by a buggy tool: re-export it.',
      {
        field: group,
      },
    );
  if (m.indptr.length !== m.nRows + 1)
    throw bad(`${group}/indptr has ${m.indptr.length} entries, expected ${m.nRows + 1}`);
  if (m.indices.length !== nnz || m.data.length !== nnz)
    throw bad(`${group}/indices and data lengths differ`);
  if (m.indptr[0] !== 0 || m.indptr[m.nRows] !== nnz) throw bad(`${group}/indptr does not span the data`);
  for (let r = 0; r < m.nRows; r++)
    if (m.indptr[r + 1]! < m.indptr[r]!) throw bad(`${group}/indptr decreases at ${r}`);
  for (let k = 0; k < nnz; k++)
    if (m.indices[k]! >= m.nCols) throw bad(`${group}/indices[${k}] = ${m.indices[k]} ≥ ${m.nCols}`);
}

/** Finds barcodes/features/matrix files in a MEX folder (Cell Ranger 2 used genes.tsv). */
export function mexFiles(dir: string): { barcodes: string; features: string; matrix: string } | undefined {
  const pick = (...names: string[]) => names.map((n) => join(dir, n)).find((p) => existsSync(p));
  const barcodes = pick('barcodes.tsv.gz', 'barcodes.tsv');
  const features = pick('features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv');
  const matrix = pick('matrix.mtx.gz', 'matrix.mtx');
  return barcodes && features && matrix ? { barcodes, features, matrix } : undefined;
}

/**
 * 10x MEX folder: MatrixMarket coordinate file (features × barcodes, 1-based) plus barcodes and
 * features TSVs. MatrixMarket "coordinate" is three header/size lines and then "i j value"
 * triples; no npm package for it is both maintained and installed, and the grammar is this small,
 * so it is parsed here (every malformed line is reported with its number).
 */
export function readTenxMex(dir: string): TenxMatrix {
  const files = mexFiles(dir);
  if (!files) {
    // name the file that is missing, not the folder (issue #16 finding 9)
    const has = (...names: string[]) => names.some((n) => existsSync(join(dir, n)));
    const missing = [
      ...(has('barcodes.tsv.gz', 'barcodes.tsv') ? [] : ['barcodes.tsv.gz']),
      ...(has('features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv') ? [] : ['features.tsv.gz']),
      ...(has('matrix.mtx.gz', 'matrix.mtx') ? [] : ['matrix.mtx.gz']),
    ];
    throw importError(
      'missing-file',
      join(dir, missing[0] ?? 'matrix.mtx.gz'),
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing from the matrix folder ${basename(dir)}/ (it needs barcodes, features and matrix files)`,
      'Copy the whole filtered_feature_bc_matrix/ folder.',
    );
  }
  const barcodes = textLines(readText(files.barcodes)).map((l) => l.text.split('\t')[0]!.trim());
  const featLines = textLines(readText(files.features));
  const featureIds: string[] = [];
  const featureNames: string[] = [];
  const featureTypes: string[] = [];
  for (const l of featLines) {
    const f = l.text.split('\t');
    if (f.length < 2) {
      throw importError(
        'wrong-delimiter',
        files.features,
        'expected tab-separated "id, name[, type]"',
        'Restore the file as Space Ranger wrote it.',
        { line: l.no },
      );
    }
    featureIds.push(f[0]!);
    featureNames.push(f[1]!);
    featureTypes.push(f[2] ?? 'Gene Expression');
  }
  const lines = textLines(readText(files.matrix));
  const header = lines[0];
  if (
    !header ||
    !/^%%MatrixMarket\s+matrix\s+coordinate\s+(integer|real|double)\s+general/i.test(header.text)
  ) {
    throw importError(
      'bad-header',
      files.matrix,
      'not a MatrixMarket "matrix coordinate integer|real general" file',
      'Pick the matrix.mtx.gz Space Ranger wrote.',
      { line: header?.no ?? 1 },
    );
  }
  let i = 1;
  while (i < lines.length && lines[i]!.text.startsWith('%')) i++;
  const sizeLine = lines[i];
  if (!sizeLine)
    throw importError('truncated', files.matrix, 'the size line is missing', 'Copy the file again.');
  const size = sizeLine.text
    .trim()
    .split(/\s+/)
    .map((s) => parseNumber(s, files.matrix, sizeLine.no, 'size'));
  const [nFeat, nBc, nnz] = [size[0] ?? 0, size[1] ?? 0, size[2] ?? 0];
  if (nFeat !== featureIds.length || nBc !== barcodes.length) {
    throw importError(
      'id-mismatch',
      files.matrix,
      `the matrix is ${nFeat} features × ${nBc} barcodes but ${basename(files.features)} lists ${featureIds.length} and ${basename(files.barcodes)} ${barcodes.length}`,
      'The three files come from different runs: copy the folder again.',
      { line: sizeLine.no },
    );
  }
  const entries = lines.length - i - 1;
  if (entries !== nnz) {
    throw importError(
      'truncated',
      files.matrix,
      `the header promises ${nnz} entries but the file has ${entries}`,
      'The file is cut short: copy it again.',
      { line: lines[lines.length - 1]?.no ?? sizeLine.no },
    );
  }
  // Bucket the (feature, barcode, value) triples by barcode to build CSR rows.
  const rowOf = new Uint32Array(nnz);
  const colOf = new Uint32Array(nnz);
  const val = new Float32Array(nnz);
  const perRow = new Uint32Array(nBc + 1);
  for (let k = 0; k < nnz; k++) {
    const l = lines[i + 1 + k]!;
    const f = l.text.trim().split(/\s+/);
    const g = Number(f[0]);
    const b = Number(f[1]);
    const v = Number(f[2]);
    if (
      f.length !== 3 ||
      !Number.isInteger(g) ||
      !Number.isInteger(b) ||
      g < 1 ||
      g > nFeat ||
      b < 1 ||
      b > nBc
    ) {
      throw importError(
        'bad-row',
        files.matrix,
        `"${l.text}" is not a valid "feature barcode value" entry`,
        'The file is damaged: copy it again.',
        {
          line: l.no,
        },
      );
    }
    if (!Number.isFinite(v)) {
      throw importError(
        'non-finite-count',
        files.matrix,
        `count "${f[2]}" is not a finite number`,
        'Re-export the raw counts.',
        {
          line: l.no,
        },
      );
    }
    if (v < 0) {
      throw importError(
        'negative-count',
        files.matrix,
        `count ${v} is negative`,
        'Import the raw counts, not normalised values.',
        {
          line: l.no,
        },
      );
    }
    rowOf[k] = b - 1;
    colOf[k] = g - 1;
    val[k] = v;
    perRow[b]!++;
  }
  for (let r = 0; r < nBc; r++) perRow[r + 1]! += perRow[r]!;
  const indptr = Uint32Array.from(perRow);
  const fill = indptr.slice(0, nBc);
  const indices = new Uint32Array(nnz);
  const data = new Float32Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const r = rowOf[k]!;
    const o = fill[r]!++;
    indices[o] = colOf[k]!;
    data[o] = val[k]!;
  }
  sortRows({ nRows: nBc, nCols: nFeat, indptr, indices, data });
  return {
    barcodes,
    featureIds,
    featureNames,
    featureTypes,
    counts: { nRows: nBc, nCols: nFeat, indptr, indices, data },
    files: [files.matrix, files.barcodes, files.features],
  };
}

/** Column indices ascending within each row (MEX files are sorted by column, not by row). */
function sortRows(m: CsrMatrix): void {
  for (let r = 0; r < m.nRows; r++) {
    const a = m.indptr[r]!;
    const b = m.indptr[r + 1]!;
    let sorted = true;
    for (let k = a + 1; k < b; k++) if (m.indices[k - 1]! > m.indices[k]!) sorted = false;
    if (sorted) continue;
    const order = Array.from({ length: b - a }, (_, k) => a + k).sort(
      (p, q) => m.indices[p]! - m.indices[q]!,
    );
    const idx = order.map((k) => m.indices[k]!);
    const dat = order.map((k) => m.data[k]!);
    m.indices.set(idx, a);
    m.data.set(dat, a);
  }
}

/**
 * A Space Ranger–style outs folder from a spot-level sample, for the tools that read Visium outs
 * and nothing else (Seurat's Load10X_Spatial, scanpy's read_visium, Giotto, …):
 *
 *   DIR/filtered_feature_bc_matrix.h5      10x HDF5 v3 (matrix/{barcodes,data,indices,indptr,shape,features/…})
 *   DIR/spatial/tissue_positions_list.csv  headerless v1 positions (every reader of every age takes it)
 *   DIR/spatial/scalefactors_json.json     spot_diameter_fullres, tissue_{hires,lowres}_scalef
 *   DIR/spatial/tissue_{hires,lowres}_image.png
 *
 * Counts only: a sample holding normalised values has no counts to write and is refused. The
 * folder is built beside DIR and renamed into place, so a failure leaves no half folder.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { badInput } from '../errors';
import { loadH5wasm } from '../io/hdf5';
import { hasNormalisedValues, type Sample } from '../io/sample';
import { TEMP_PREFIX } from '../store/atomic-file';
import { scalefactorsFor, scanpyImages } from './images';

export interface SpaceRangerResult {
  path: string;
  nObs: number;
  nVars: number;
  files: string[];
}

/** Fixed-length ASCII, as Space Ranger writes its strings (h5py reads them as bytes, R as character). */
function fixed(values: readonly string[]): { data: string[]; dtype: string } {
  const len = Math.max(1, ...values.map((v) => Buffer.byteLength(v, 'utf8')));
  return { data: [...values], dtype: `S${len}` };
}

async function writeMatrixH5(path: string, sample: Sample): Promise<void> {
  const h5 = await loadH5wasm();
  const f = new h5.File(path, 'w');
  try {
    // Space Ranger's root attributes; readers key the v3 layout on the "matrix" group
    f.create_attribute('filetype', 'matrix');
    f.create_attribute('library_ids', [sample.name], [1], 'S');
    f.create_attribute('chemistry_description', 'STSR Studio export');
    const m = f.create_group('matrix');
    const c = sample.counts;
    const b = fixed(sample.spots.map((s) => s.id));
    m.create_dataset({ name: 'barcodes', data: b.data, dtype: b.dtype });
    m.create_dataset({ name: 'data', data: Int32Array.from(c.data, (v) => Math.round(v)) });
    m.create_dataset({ name: 'indices', data: BigInt64Array.from(c.indices, (v) => BigInt(v)) });
    m.create_dataset({ name: 'indptr', data: BigInt64Array.from(c.indptr, (v) => BigInt(v)) });
    // shape is (features, barcodes): the CSR spots × genes arrays are the CSC genes × spots matrix
    m.create_dataset({ name: 'shape', data: Int32Array.from([c.nCols, c.nRows]) });
    const ft = m.create_group('features');
    const ids = fixed(sample.genes.map((g) => g.id));
    const names = fixed(sample.genes.map((g) => g.symbol));
    const types = fixed(sample.genes.map(() => 'Gene Expression'));
    const genome = fixed(sample.genes.map(() => 'unknown'));
    ft.create_dataset({ name: 'id', data: ids.data, dtype: ids.dtype });
    ft.create_dataset({ name: 'name', data: names.data, dtype: names.dtype });
    ft.create_dataset({ name: 'feature_type', data: types.data, dtype: types.dtype });
    ft.create_dataset({ name: 'genome', data: genome.data, dtype: genome.dtype });
    ft.create_dataset({ name: '_all_tag_keys', data: ['genome'], dtype: 'S6' });
  } finally {
    f.close();
  }
}

/** Writes DIR as a Space Ranger outs folder; DIR must not exist yet (or be empty of outs). */
export async function writeSpaceRangerOuts(sample: Sample, dir: string): Promise<SpaceRangerResult> {
  if (hasNormalisedValues(sample)) {
    throw badInput(
      `${sample.name} holds normalised values, not counts: a Space Ranger folder would misstate them. Export it as .h5ad instead.`,
    );
  }
  const c = sample.counts;
  for (let k = 0; k < c.data.length; k++) {
    if (!Number.isInteger(c.data[k]!))
      throw badInput(`${sample.name} has non-integer counts; Space Ranger matrices hold integers.`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw badInput(`${dir} is not empty: choose a new or empty folder for the Space Ranger outs.`);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `${TEMP_PREFIX}${basename(dir)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'spatial'), { recursive: true });
  try {
    await writeMatrixH5(join(tmp, 'filtered_feature_bc_matrix.h5'), sample);
    const hasGrid = sample.spots.every((s) => s.row !== undefined && s.col !== undefined);
    const lines = sample.spots.map((s, i) =>
      [s.id, 1, hasGrid ? s.row : 0, hasGrid ? s.col : i, s.y, s.x].join(','),
    );
    writeFileSync(join(tmp, 'spatial', 'tissue_positions_list.csv'), lines.join('\n') + '\n');
    const images = sample.image ? await scanpyImages(sample.image) : [];
    // Space Ranger always ships both images, and Seurat 4 reads tissue_hires_scalef whatever the
    // image: from a small source (no hires made), its largest image serves as hires too.
    if (images.length > 0 && !images.some((im) => im.key === 'hires')) {
      const largest = images.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
      images.push({ ...largest, key: 'hires' });
    }
    for (const im of images) {
      await sharp(Buffer.from(im.rgb), { raw: { width: im.width, height: im.height, channels: 3 } })
        .png()
        .toFile(join(tmp, 'spatial', `tissue_${im.key}_image.png`));
    }
    const sf = scalefactorsFor(sample.spotDiameterUm / sample.umPerPx, images);
    writeFileSync(join(tmp, 'spatial', 'scalefactors_json.json'), JSON.stringify(sf, null, 2) + '\n');
    if (existsSync(dir)) rmSync(dir, { recursive: true }); // empty, checked above
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const files = [
    'filtered_feature_bc_matrix.h5',
    'spatial/tissue_positions_list.csv',
    'spatial/scalefactors_json.json',
  ];
  for (const k of ['hires', 'lowres'])
    if (existsSync(join(dir, 'spatial', `tissue_${k}_image.png`)))
      files.push(`spatial/tissue_${k}_image.png`);
  return { path: dir, nObs: sample.spots.length, nVars: sample.genes.length, files };
}

/**
 * AnnData .h5ad export for scanpy/squidpy (formats.md §5): spot-level from a Sample, SR-level from
 * superpixels. Both plot with sc.pl.spatial / sq.pl.spatial_scatter directly: obsm['spatial'] is
 * (x, y) in full-res px, uns['spatial'][library_id] holds Space Ranger–style images and scalefactors.
 * Files are written to a temp path and renamed, so a crash never leaves a half file at the target.
 */
import { loadH5wasm } from '../io/hdf5';
import { hasNormalisedValues, type Sample } from '../io/sample';
import { withAtomicPath } from './atomic';
import {
  createDict,
  defaultChunks,
  setEncoding,
  writeArray,
  writeCsr,
  writeFloatScalar,
  writeStringArray,
  writeStringScalar,
  type H5File,
  type H5Group,
} from './h5/elements';
import { categoricalFromLabels, writeDataframe, type CategoricalColumn, type Column } from './h5/dataframe';
import { scalefactorsFor, scanpyImages, type ScanpyImage } from './images';
import { logNormalize } from '../analysis/normalise';
import { superpixelIds, type RowSource, type SrExportInput } from './sr-input';
import { DEFAULT_PALETTE } from './colormap';
import { closeWithBools, detachBools, trackBools } from './h5/bool-enum';

export interface H5adOptions {
  /** gzip level for numeric datasets (0 = none); default 4 */
  compression?: number;
  /** write uns['spatial'][lib]['images'] from the sample image (default true) */
  images?: boolean;
  /** library id in uns['spatial'] (default: sample name) */
  libraryId?: string;
}

export interface SpotH5adOptions extends H5adOptions {
  /** categorical obs columns to add, e.g. { domain: … } from K-means */
  domains?: Record<string, CategoricalColumn>;
  /** write sample.annotations as categoricals (default true) */
  annotations?: boolean;
  /** layers['log1p_cp10k'] with log1p(counts / total × 10⁴) (default true) */
  normalisedLayer?: boolean;
}

export interface H5adResult {
  path: string;
  nObs: number;
  nVars: number;
}

interface Uns {
  libraryId: string;
  images: ScanpyImage[];
  spotDiameterFullres: number;
  sourceImage?: string;
  stsr: Record<string, string | number>;
  colors: Record<string, string[]>;
}

async function openForWrite(tmp: string): Promise<H5File> {
  const f = new (await loadH5wasm()).File(tmp, 'w');
  trackBools(f);
  setEncoding(f, 'anndata', '0.1.0');
  return f;
}

/** Runs the writes, then closes the file and turns its bool placeholders into HDF5 bools. */
async function writeAndClose(f: H5File, tmp: string, write: () => Promise<void> | void): Promise<void> {
  try {
    await write();
  } catch (err) {
    detachBools(f);
    f.close();
    throw err;
  }
  closeWithBools(f, tmp);
}

function writeVar(f: H5File, genes: Sample['genes']): void {
  writeDataframe(
    f,
    'var',
    genes.map((g) => g.symbol),
    {
      gene_ids: { kind: 'string', values: genes.map((g) => g.id) },
      feature_types: { kind: 'string', values: genes.map(() => 'Gene Expression') },
    },
  );
}

function spatialXY(x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    out[2 * i] = x[i]!;
    out[2 * i + 1] = y[i]!;
  }
  return out;
}

function writeUns(f: H5File, u: Uns): void {
  const uns = createDict(f, 'uns');
  const lib = createDict(createDict(uns, 'spatial'), u.libraryId);
  const images = createDict(lib, 'images');
  for (const im of u.images) writeArray(images, im.key, im.rgb, [im.height, im.width, 3]);
  const sf = createDict(lib, 'scalefactors');
  for (const [k, v] of Object.entries(scalefactorsFor(u.spotDiameterFullres, u.images)))
    if (v !== undefined) writeFloatScalar(sf, k, v);
  const meta = createDict(lib, 'metadata');
  writeStringScalar(meta, 'software_version', 'STSR Studio');
  if (u.sourceImage) writeStringScalar(meta, 'source_image_path', u.sourceImage);
  const stsr = createDict(uns, 'stsr');
  for (const [k, v] of Object.entries(u.stsr)) {
    if (typeof v === 'string') writeStringScalar(stsr, k, v);
    else writeFloatScalar(stsr, k, v);
  }
  for (const [k, colors] of Object.entries(u.colors)) writeStringArray(uns, `${k}_colors`, colors);
}

function colorsOf(columns: Record<string, Column>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, c] of Object.entries(columns)) {
    if (c.kind !== 'categorical') continue;
    out[k] = c.colors ?? c.categories.map((_, i) => DEFAULT_PALETTE[i % DEFAULT_PALETTE.length]!);
  }
  return out;
}

/** Spot-level AnnData from an imported sample (plus optional domains). */
export async function writeSpotH5ad(
  sample: Sample,
  out: string,
  opts: SpotH5adOptions = {},
): Promise<H5adResult> {
  const n = sample.spots.length;
  if (sample.counts.nRows !== n || sample.counts.nCols !== sample.genes.length)
    throw new Error(
      `counts are ${sample.counts.nRows}×${sample.counts.nCols} for ${n} spots × ${sample.genes.length} genes`,
    );
  const compression = opts.compression ?? 4;
  const images = opts.images !== false && sample.image ? await scanpyImages(sample.image) : [];

  const columns: Record<string, Column> = {
    in_tissue: { kind: 'boolean', values: new Uint8Array(n).fill(1) },
  };
  if (sample.spots.every((s) => s.row !== undefined && s.col !== undefined)) {
    columns.array_row = { kind: 'numeric', values: Int32Array.from(sample.spots, (s) => s.row!) };
    columns.array_col = { kind: 'numeric', values: Int32Array.from(sample.spots, (s) => s.col!) };
  }
  const totals = new Float64Array(n);
  for (let r = 0; r < n; r++)
    for (let k = sample.counts.indptr[r]!; k < sample.counts.indptr[r + 1]!; k++)
      totals[r]! += sample.counts.data[k]!;
  columns.total_counts = { kind: 'numeric', values: totals };
  if (opts.annotations !== false)
    for (const [k, labels] of Object.entries(sample.annotations ?? {}))
      columns[k] = categoricalFromLabels(labels);
  for (const [k, c] of Object.entries(opts.domains ?? {})) {
    if (c.codes.length !== n) throw new Error(`domain "${k}" has ${c.codes.length} codes for ${n} spots`);
    columns[k] = c;
  }

  return withAtomicPath(out, async (tmp) => {
    const f = await openForWrite(tmp);
    await writeAndClose(f, tmp, async () => {
      const arr = compression ? { compression } : {};
      writeCsr(f, 'X', sample.counts, arr);
      const normalised = hasNormalisedValues(sample);
      if (opts.normalisedLayer !== false && !normalised) {
        const layers = createDict(f, 'layers');
        writeCsr(layers, 'log1p_cp10k', logNormalize(sample.counts), arr);
      }
      writeDataframe(
        f,
        'obs',
        sample.spots.map((s) => s.id),
        columns,
      );
      writeVar(f, sample.genes);
      const obsm = createDict(f, 'obsm');
      writeArray(
        obsm,
        'spatial',
        spatialXY(
          sample.spots.map((s) => s.x),
          sample.spots.map((s) => s.y),
        ),
        [n, 2],
      );
      // embeddings kept from an imported .h5ad (X_pca, X_umap, …) go back where they came from
      for (const [key, e] of Object.entries(sample.embeddings ?? {})) {
        if (key === 'spatial' || key.includes('/') || !key)
          throw new Error(`obsm key "${key}" cannot be written`);
        if (e.data.length !== n * e.nCols)
          throw new Error(`embedding "${key}" has ${e.data.length} values for ${n} spots × ${e.nCols}`);
        writeArray(obsm, key, e.data, [n, e.nCols], compression ? { compression } : {});
      }
      writeUns(f, {
        libraryId: opts.libraryId ?? sample.name,
        images,
        spotDiameterFullres: sample.spotDiameterUm / sample.umPerPx,
        ...(sample.image ? { sourceImage: sample.image.path } : {}),
        stsr: {
          X_semantics: normalised
            ? 'normalised values as imported (not counts; never re-normalised)'
            : 'raw counts (layers/log1p_cp10k: log1p of counts per 10k)',
          sample_name: sample.name,
          lattice: sample.lattice,
          platform: sample.platform,
          um_per_px: sample.umPerPx,
          spot_diameter_um: sample.spotDiameterUm,
        },
        colors: colorsOf(columns),
      });
      for (const k of ['varm', 'obsp', 'varp']) createDict(f, k);
    });
    return { path: out, nObs: n, nVars: sample.genes.length };
  });
}

/** Rows per block: a whole number of chunks, ≤ ~4M values, so memory stays bounded. */
function blockRows(chunkRows: number, nCols: number): number {
  const chunksPerBlock = Math.max(1, Math.floor((1 << 22) / Math.max(1, chunkRows * nCols)));
  return chunkRows * chunksPerBlock;
}

async function writeRowsDense(
  parent: H5Group,
  name: string,
  src: RowSource,
  compression: number,
  onProgress?: (done: number, total: number) => void,
  rowsPerBlock?: number,
  chunkRows?: number,
): Promise<void> {
  const shape = [src.nRows, src.nCols];
  const chunks = chunkRows ? [Math.max(1, Math.min(chunkRows, src.nRows)), src.nCols] : defaultChunks(shape);
  // h5wasm's create_dataset wants the whole buffer for a non-empty shape, so the dataset is created
  // empty with its final shape as maxshape and chunking, resized once, then filled block by block.
  const ds = parent.create_dataset({
    name,
    data: new Float32Array(0),
    shape: [0, src.nCols],
    dtype: '<f',
    maxshape: shape,
    chunks,
    ...(compression ? { compression: 'gzip' as const, compression_opts: compression } : {}),
  });
  ds.resize(shape);
  setEncoding(ds, 'array', '0.2.0');
  // blocks are whole chunks so each chunk is compressed and written exactly once
  const step = rowsPerBlock
    ? Math.ceil(rowsPerBlock / chunks[0]!) * chunks[0]!
    : blockRows(chunks[0]!, src.nCols);
  for (let r = 0; r < src.nRows; r += step) {
    const e = Math.min(src.nRows, r + step);
    const block = await src.readRows(r, e);
    if (block.length !== (e - r) * src.nCols)
      throw new Error(
        `${name}: rows ${r}..${e} gave ${block.length} values, expected ${(e - r) * src.nCols}`,
      );
    ds.write_slice(
      [
        [r, e],
        [0, src.nCols],
      ],
      block,
    );
    onProgress?.(e, src.nRows);
  }
}

export interface SrH5adOptions extends H5adOptions {
  onProgress?: (rowsWritten: number, total: number) => void;
  /** rows per block read from the sources (rounded up to whole chunks); default ≈ 4M values */
  blockRows?: number;
  /** X chunk rows (default ≈ 1 MB per chunk) */
  chunkRows?: number;
}

/**
 * SR-level AnnData: obs = tissue superpixels, X = dense float32 SR expression written in row
 * blocks, obsm['X_latent'] = the latent, spot_diameter_fullres = superpixel side in full-res px
 * (so squidpy draws each superpixel at its true size).
 */
export async function writeSrH5ad(
  input: SrExportInput,
  out: string,
  opts: SrH5adOptions = {},
): Promise<H5adResult> {
  const sp = input.superpixels;
  const n = sp.x.length;
  const g = input.genes.length;
  if (n === 0) throw new Error('no superpixels to export');
  if (sp.y.length !== n) throw new Error('superpixel x and y differ in length');
  if (input.expression.nRows !== n || input.expression.nCols !== g)
    throw new Error(
      `expression is ${input.expression.nRows}×${input.expression.nCols} for ${n} superpixels × ${g} genes`,
    );
  if (input.latent && input.latent.nRows !== n)
    throw new Error(`latent has ${input.latent.nRows} rows for ${n} superpixels`);
  for (const [k, l] of Object.entries(input.layers ?? {}))
    if (l.rows.nRows !== n || l.rows.nCols !== g)
      throw new Error(`layer "${k}" is ${l.rows.nRows}×${l.rows.nCols} for ${n} superpixels × ${g} genes`);
  const compression = opts.compression ?? 4;
  const images = opts.images !== false && input.image ? await scanpyImages(input.image) : [];

  const columns: Record<string, Column> = {};
  if (sp.row && sp.col) {
    columns.array_row = { kind: 'numeric', values: sp.row };
    columns.array_col = { kind: 'numeric', values: sp.col };
  }
  for (const [k, c] of Object.entries(input.domains ?? {})) {
    if (c.codes.length !== n)
      throw new Error(`domain "${k}" has ${c.codes.length} codes for ${n} superpixels`);
    columns[k] = c;
  }
  for (const [k, c] of Object.entries(input.obs ?? {})) {
    const len = c.kind === 'categorical' ? c.codes.length : c.values.length;
    if (len !== n) throw new Error(`obs column "${k}" has ${len} values for ${n} rows`);
    columns[k] = c;
  }
  const spots = input.kind === 'spots';

  return withAtomicPath(out, async (tmp) => {
    const f = await openForWrite(tmp);
    await writeAndClose(f, tmp, async () => {
      await writeRowsDense(
        f,
        'X',
        input.expression,
        compression,
        opts.onProgress,
        opts.blockRows,
        opts.chunkRows,
      );
      writeDataframe(f, 'obs', superpixelIds(sp), columns);
      writeVar(f, input.genes);
      const obsm = createDict(f, 'obsm');
      writeArray(obsm, 'spatial', spatialXY(sp.x, sp.y), [n, 2], compression ? { compression } : {});
      if (input.latent) await writeRowsDense(obsm, 'X_latent', input.latent, compression);
      writeUns(f, {
        libraryId: opts.libraryId ?? input.name,
        images,
        spotDiameterFullres: sp.sizeUm / input.umPerPx,
        ...(input.image ? { sourceImage: input.image.path } : {}),
        stsr: spots
          ? {
              X_semantics: `log1p CP10k of a generated spot set (${input.method ?? 'unknown method'}); obs.generated marks the spots that were not measured`,
              method: input.method ?? 'unknown',
              spot_diameter_um: sp.sizeUm,
              um_per_px: input.umPerPx,
              sample_name: input.name,
            }
          : {
              X_semantics: `super-resolved expression (${input.method ?? 'unknown method'})`,
              method: input.method ?? 'unknown',
              superpixel_size_um: sp.sizeUm,
              um_per_px: input.umPerPx,
              sample_name: input.name,
              // uns['stsr']['layer_<name>']: what layers['<name>'] is
              ...Object.fromEntries(
                Object.entries(input.layers ?? {}).map(([k, l]) => [`layer_${k}`, l.meaning]),
              ),
            },
        colors: colorsOf(columns),
      });
      const layers = createDict(f, 'layers');
      for (const [k, l] of Object.entries(input.layers ?? {}))
        await writeRowsDense(layers, k, l.rows, compression, undefined, opts.blockRows, opts.chunkRows);
      for (const k of ['varm', 'obsp', 'varp']) createDict(f, k);
    });
    return { path: out, nObs: n, nVars: g };
  });
}

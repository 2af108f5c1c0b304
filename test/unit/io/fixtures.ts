/**
 * Writers for small files in documented layouts (10x matrix h5, scanpy .h5ad), built with h5wasm
 * from real counts. They exist only for tests: there is no Visium HD / Xenium data to test on,
 * and the .h5ad must be one the test wrote itself.
 */
import h5wasm from 'h5wasm/node';
import type { CsrMatrix } from '../../../main/engine/io';

type Group = InstanceType<typeof h5wasm.Group>;

export async function h5(path: string, fill: (f: InstanceType<typeof h5wasm.File>) => void): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    fill(f);
  } finally {
    f.close();
  }
}

/** CSR (barcodes × features) is CSC (features × barcodes): 10x's on-disk form, same arrays. */
export async function writeTenxH5(
  path: string,
  m: { barcodes: string[]; ids: string[]; names: string[]; types?: string[]; counts: CsrMatrix },
): Promise<void> {
  await h5(path, (f) => {
    f.create_attribute('filetype', 'matrix');
    const g = f.create_group('matrix');
    const maxLen = Math.max(...m.barcodes.map((b) => b.length));
    // 10x writes fixed-length ASCII strings; do the same so the reader's NUL stripping is exercised.
    g.create_dataset({ name: 'barcodes', data: m.barcodes, dtype: `S${maxLen}` });
    g.create_dataset({ name: 'data', data: Int32Array.from(m.counts.data) });
    g.create_dataset({ name: 'indices', data: Int32Array.from(m.counts.indices) });
    g.create_dataset({ name: 'indptr', data: Int32Array.from(m.counts.indptr) });
    g.create_dataset({ name: 'shape', data: Int32Array.from([m.counts.nCols, m.counts.nRows]) });
    const ft = g.create_group('features');
    ft.create_dataset({ name: 'id', data: m.ids });
    ft.create_dataset({ name: 'name', data: m.names });
    ft.create_dataset({ name: 'feature_type', data: m.types ?? m.ids.map(() => 'Gene Expression') });
    ft.create_dataset({ name: 'genome', data: m.ids.map(() => 'mm10') });
  });
}

function enc(g: Group | InstanceType<typeof h5wasm.Dataset>, type: string, version: string): void {
  g.create_attribute('encoding-type', type);
  g.create_attribute('encoding-version', version);
}

export interface H5adSpec {
  obsNames: string[];
  varNames: string[];
  geneIds: string[];
  counts: CsrMatrix;
  dense: boolean;
  /** (x, y) per obs; left out to build a non-spatial file */
  xy?: Float64Array;
  arrayRow?: number[];
  arrayCol?: number[];
  library: string;
  scalefactors: Record<string, number>;
  /** uint8 (H, W, 3) */
  image?: { key: 'hires' | 'lowres'; data: Uint8Array; width: number; height: number };
}

/** scanpy's Visium layout, anndata 0.8+ encodings (formats.md §1 and §5). */
export async function writeH5ad(path: string, s: H5adSpec): Promise<void> {
  await h5(path, (f) => {
    f.create_attribute('encoding-type', 'anndata');
    f.create_attribute('encoding-version', '0.1.0');
    const obs = f.create_group('obs');
    enc(obs, 'dataframe', '0.2.0');
    obs.create_attribute('_index', '_index');
    obs.create_attribute('column-order', s.arrayRow ? ['array_row', 'array_col', 'region'] : ['region']);
    enc(obs.create_dataset({ name: '_index', data: s.obsNames }), 'string-array', '0.2.0');
    if (s.arrayRow && s.arrayCol) {
      enc(obs.create_dataset({ name: 'array_row', data: Int32Array.from(s.arrayRow) }), 'array', '0.2.0');
      enc(obs.create_dataset({ name: 'array_col', data: Int32Array.from(s.arrayCol) }), 'array', '0.2.0');
    }
    const region = obs.create_group('region');
    enc(region, 'categorical', '0.2.0');
    region.create_attribute('ordered', 0);
    region.create_dataset({ name: 'codes', data: Int8Array.from(s.obsNames.map((_, i) => i % 2)) });
    enc(region.create_dataset({ name: 'categories', data: ['a', 'b'] }), 'string-array', '0.2.0');

    const v = f.create_group('var');
    enc(v, 'dataframe', '0.2.0');
    v.create_attribute('_index', '_index');
    v.create_attribute('column-order', ['gene_ids']);
    enc(v.create_dataset({ name: '_index', data: s.varNames }), 'string-array', '0.2.0');
    enc(v.create_dataset({ name: 'gene_ids', data: s.geneIds }), 'string-array', '0.2.0');

    const { counts: m } = s;
    if (s.dense) {
      const dense = new Float32Array(m.nRows * m.nCols);
      for (let r = 0; r < m.nRows; r++) {
        for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) dense[r * m.nCols + m.indices[k]!] = m.data[k]!;
      }
      enc(f.create_dataset({ name: 'X', data: dense, shape: [m.nRows, m.nCols] }), 'array', '0.2.0');
    } else {
      const x = f.create_group('X');
      enc(x, 'csr_matrix', '0.1.0');
      x.create_attribute('shape', new BigInt64Array([BigInt(m.nRows), BigInt(m.nCols)]));
      x.create_dataset({ name: 'data', data: Float32Array.from(m.data) });
      x.create_dataset({ name: 'indices', data: Int32Array.from(m.indices) });
      x.create_dataset({ name: 'indptr', data: Int32Array.from(m.indptr) });
    }
    const obsm = f.create_group('obsm');
    enc(obsm, 'dict', '0.1.0');
    if (s.xy) {
      enc(
        obsm.create_dataset({ name: 'spatial', data: s.xy, shape: [s.obsNames.length, 2] }),
        'array',
        '0.2.0',
      );
    }
    enc(f.create_group('layers'), 'dict', '0.1.0');
    const uns = f.create_group('uns');
    enc(uns, 'dict', '0.1.0');
    const sp = uns.create_group('spatial');
    enc(sp, 'dict', '0.1.0');
    const lib = sp.create_group(s.library);
    enc(lib, 'dict', '0.1.0');
    const sf = lib.create_group('scalefactors');
    enc(sf, 'dict', '0.1.0');
    for (const [k, val] of Object.entries(s.scalefactors)) {
      enc(sf.create_dataset({ name: k, data: val, shape: [], dtype: '<d' }), 'numeric-scalar', '0.2.0');
    }
    if (s.image) {
      const imgs = lib.create_group('images');
      enc(imgs, 'dict', '0.1.0');
      enc(
        imgs.create_dataset({
          name: s.image.key,
          data: s.image.data,
          shape: [s.image.height, s.image.width, 3],
        }),
        'array',
        '0.2.0',
      );
    }
  });
}

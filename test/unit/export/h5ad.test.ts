/**
 * .h5ad export on real data: HER2ST A1 spot-level with the pathologist labels as a categorical,
 * the Visium anterior section spot-level (with its image), and a small SR-level file interpolated
 * from the Visium spots. Each file is read back with our reader and its on-disk layout is checked
 * against the anndata spec (formats.md §1): current encodings only (categorical 0.2.0 groups with an
 * HDF5-bool `ordered`, bool arrays, nullable groups). A separate block has Debian's anndata 0.8 —
 * the oldest anndata that reads these encodings — read them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadH5wasm } from '../../../main/engine/io/hdf5';
import { readSample, type Sample } from '../../../main/engine/io';
import {
  categoricalFromLabels,
  H5adFile,
  writeSpotH5ad,
  writeSrH5ad,
  type CategoricalColumn,
  type Column,
} from '../../../main/engine/export';
import { closeWithBools, trackBools } from '../../../main/engine/export/h5/bool-enum';
import { writeDataframe } from '../../../main/engine/export/h5/dataframe';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';
import { srFixture, type SrFixture } from './sr-fixture';

const tmp = makeTempDir('stsr-export-h5ad-');
afterAll(() => tmp.cleanup());

let a1: Sample;
let visium: Sample;
let sr: SrFixture;
let domain: CategoricalColumn;
const files = { a1: '', visium: '', sr: '', nullable: '' };

beforeAll(async () => {
  a1 = await readSample(sharedData('her2st', 'A1'));
  visium = await readSample(sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'));
  sr = srFixture(visium);
  // a "domain" column on A1 from library size terciles, with custom colours
  const totals = Array.from({ length: a1.spots.length }, (_, r) => {
    let t = 0;
    for (let k = a1.counts.indptr[r]!; k < a1.counts.indptr[r + 1]!; k++) t += a1.counts.data[k]!;
    return t;
  });
  const sorted = [...totals].sort((x, y) => x - y);
  const q1 = sorted[Math.floor(sorted.length / 3)]!;
  const q2 = sorted[Math.floor((2 * sorted.length) / 3)]!;
  domain = categoricalFromLabels(
    totals.map((t) => (t < q1 ? 'low' : t < q2 ? 'mid' : 'high')),
    { categories: ['low', 'mid', 'high'], colors: ['#440154', '#21918c', '#fde725'] },
  );
  // library-size terciles have an order: written as an ordered categorical
  domain.ordered = true;
  files.a1 = join(tmp.dir, 'a1.h5ad');
  files.visium = join(tmp.dir, 'visium.h5ad');
  files.sr = join(tmp.dir, 'sr.h5ad');
  await writeSpotH5ad(a1, files.a1, { domains: { domain } });
  await writeSpotH5ad(visium, files.visium, { domains: { domain: tercileOf(visium) } });
  await writeSrH5ad(sr.input, files.sr, { blockRows: 500, chunkRows: 250 });
  files.nullable = join(tmp.dir, 'nullable.h5');
  const f = new (await loadH5wasm()).File(files.nullable, 'w');
  trackBools(f);
  writeDataframe(f, 'obs', ['s0', 's1', 's2', 's3'], NULLABLE_COLUMNS);
  closeWithBools(f, files.nullable);
});

/** Every column kind that is not a categorical, with missing values where the kind allows them. */
const NULLABLE_COLUMNS: Record<string, Column> = {
  n_cells: { kind: 'nullable-integer', values: Int32Array.of(3, 0, 7, -2), missing: [0, 1, 0, 0] },
  reviewed: { kind: 'nullable-boolean', values: [1, 0, 0, 1], missing: [0, 0, 1, 0] },
  in_tissue: { kind: 'boolean', values: [1, 0, 1, 1] },
  note: { kind: 'string', values: ['a', '', 'ß µm', 'd'] },
};

function tercileOf(s: Sample): CategoricalColumn {
  return categoricalFromLabels(
    s.spots.map((p, i) => (i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : '')),
    { categories: ['a', 'b'] },
  );
}

function expectScalarUtf8(f: H5adFile, path: string, name: string, value: string): void {
  const info = f.attrInfo(path, name);
  // h5py/anndata: STRSIZE H5T_VARIABLE, CSET UTF8, DATASPACE SCALAR
  expect({ h5class: info.h5class, vlen: info.vlen, cset: info.cset, shape: info.shape }).toEqual({
    h5class: 3,
    vlen: true,
    cset: 1,
    shape: null,
  });
  expect(f.attr(path, name)).toBe(value);
}

function expectEncoding(f: H5adFile, path: string, type: string, version: string): void {
  expectScalarUtf8(f, path, 'encoding-type', type);
  expectScalarUtf8(f, path, 'encoding-version', version);
}

function expectStringArray(f: H5adFile, path: string): void {
  expectEncoding(f, path, 'string-array', '0.2.0');
  const d = f.datasetInfo(path);
  expect([d.h5class, d.vlen, d.cset]).toEqual([3, true, 1]);
}

function expectHdf5Bool(info: { h5class: number; size: number; enumMembers?: Record<string, number> }): void {
  // h5py's bool: an enum over int8 with exactly FALSE = 0, TRUE = 1
  expect(info).toMatchObject({ h5class: 8, size: 1, enumMembers: { FALSE: 0, TRUE: 1 } });
}

describe('spot-level .h5ad from HER2ST A1 (labels and domain as categoricals)', () => {
  it('has the anndata root, a CSR X equal to the counts and a log1p(CP10k) layer', async () => {
    const f = await H5adFile.open(files.a1);
    try {
      expectEncoding(f, '/', 'anndata', '0.1.0');
      expect(f.keys('/').sort()).toEqual([
        'X',
        'layers',
        'obs',
        'obsm',
        'obsp',
        'uns',
        'var',
        'varm',
        'varp',
      ]);
      expectEncoding(f, 'X', 'csr_matrix', '0.1.0');
      expect(f.attrInfo('X', 'shape')).toMatchObject({ h5class: 0, size: 8, shape: [2] });
      const x = f.csr('X');
      expect(x.shape).toEqual([a1.spots.length, a1.genes.length]);
      expect(Array.from(x.indptr)).toEqual(Array.from(a1.counts.indptr));
      expect(Array.from(x.indices)).toEqual(Array.from(a1.counts.indices));
      expect(Array.from(x.data)).toEqual(Array.from(a1.counts.data));
      expect(f.datasetInfo('X/data')).toMatchObject({ h5class: 1, size: 4 });
      expect(f.datasetInfo('X/indices')).toMatchObject({ h5class: 0, size: 4, signed: true });
      // spec: the members of a csr_matrix group carry no encoding of their own
      expect(f.encoding('X/data')).toBeUndefined();

      expectEncoding(f, 'layers', 'dict', '0.1.0');
      const ln = f.csr('layers/log1p_cp10k');
      // spot 7, computed here from the sample's counts
      const r = 7;
      const a = a1.counts.indptr[r]!;
      const b = a1.counts.indptr[r + 1]!;
      let total = 0;
      for (let k = a; k < b; k++) total += a1.counts.data[k]!;
      for (let k = a; k < b; k += 97)
        expect(ln.data[k]).toBeCloseTo(Math.log(1 + (a1.counts.data[k]! / total) * 1e4), 5);
    } finally {
      f.close();
    }
  });

  it('writes obs with spot ids, the pathologist labels and the domain as categoricals', async () => {
    const f = await H5adFile.open(files.a1);
    try {
      expectEncoding(f, 'obs', 'dataframe', '0.2.0');
      expectScalarUtf8(f, 'obs', '_index', '_index');
      expect(f.attrInfo('obs', 'column-order')).toMatchObject({ h5class: 3, vlen: true, cset: 1 });
      expectStringArray(f, 'obs/_index');
      const obs = f.dataframe('obs');
      expect(obs.index).toEqual(a1.spots.map((s) => s.id));
      expect(obs.columnOrder).toEqual([
        'in_tissue',
        'array_row',
        'array_col',
        'total_counts',
        'label',
        'domain',
      ]);
      const labels = a1.annotations!.label!;
      const want = [...new Set(labels.filter((l) => l))].sort();
      const got = obs.categoricals.label!;
      expect(got.categories).toEqual(want);
      expect(Array.from(got.codes, (c) => (c < 0 ? '' : got.categories[c]))).toEqual(labels);
      expect(got.ordered).toBe(false);
      expectEncoding(f, 'obs/label', 'categorical', '0.2.0');
      expect(f.datasetInfo('obs/label/codes')).toMatchObject({ h5class: 0, size: 1, signed: true });
      expectStringArray(f, 'obs/label/categories');
      expect(f.keys('obs')).not.toContain('__categories');
      expect(obs.categoricals.domain!.categories).toEqual(['low', 'mid', 'high']);
      expect(obs.categoricals.domain!.ordered).toBe(true);
      expectHdf5Bool(f.attrInfo('obs/domain', 'ordered'));
      expect(Array.from(obs.categoricals.domain!.codes)).toEqual(Array.from(domain.codes));
      // boolean column as h5py's bool
      expectEncoding(f, 'obs/in_tissue', 'array', '0.2.0');
      expectHdf5Bool(f.datasetInfo('obs/in_tissue'));
      expect(f.strings('uns/domain_colors')).toEqual(['#440154', '#21918c', '#fde725']);
      expect(f.strings('uns/label_colors')).toHaveLength(want.length);

      expectEncoding(f, 'var', 'dataframe', '0.2.0');
      const v = f.dataframe('var');
      expect(v.index).toEqual(a1.genes.map((g) => g.symbol));
      expect(new Set(v.index).size).toBe(v.index.length);
      expect(v.columns.gene_ids).toEqual(a1.genes.map((g) => g.id));
    } finally {
      f.close();
    }
  });

  it('has obsm["spatial"] as (x, y) full-res px and scalefactors without images (A1 has none)', async () => {
    const f = await H5adFile.open(files.a1);
    try {
      expectEncoding(f, 'obsm/spatial', 'array', '0.2.0');
      expect(f.datasetInfo('obsm/spatial')).toMatchObject({
        h5class: 1,
        size: 8,
        shape: [a1.spots.length, 2],
      });
      const xy = f.numbers('obsm/spatial');
      expect([xy[0], xy[1]]).toEqual([a1.spots[0]!.x, a1.spots[0]!.y]);
      const lib = `uns/spatial/${a1.name}`;
      expectEncoding(f, lib, 'dict', '0.1.0');
      expect(f.keys(`${lib}/images`)).toEqual([]);
      expectEncoding(f, `${lib}/scalefactors/spot_diameter_fullres`, 'numeric-scalar', '0.2.0');
      expect(f.scalar(`${lib}/scalefactors/spot_diameter_fullres`)).toBeCloseTo(100 / a1.umPerPx, 9);
    } finally {
      f.close();
    }
  });
});

describe('spot-level .h5ad from Visium (image, categorical with missing values)', () => {
  it('writes the lowres image and the scale factor Space Ranger wrote', async () => {
    const f = await H5adFile.open(files.visium);
    try {
      const lib = `uns/spatial/${visium.name}`;
      // the source folder only has the 600 px lowres PNG: no hires is invented by upscaling
      expect(f.keys(`${lib}/images`)).toEqual(['lowres']);
      const im = f.datasetInfo(`${lib}/images/lowres`);
      expect(im).toMatchObject({
        h5class: 0,
        size: 1,
        signed: false,
        shape: [visium.image!.height, visium.image!.width, 3],
      });
      const sf = JSON.parse(
        readFileSync(
          sharedData('visium', 'seurat-mouse-brain-sagittal-anterior', 'spatial', 'scalefactors_json.json'),
          'utf8',
        ),
      ) as Record<string, number>;
      expect(f.scalar(`${lib}/scalefactors/tissue_lowres_scalef`)).toBeCloseTo(sf.tissue_lowres_scalef!, 7);
      expect(f.scalar(`${lib}/scalefactors/spot_diameter_fullres`)).toBeCloseTo(sf.spot_diameter_fullres!, 6);
      expect(f.scalar(`${lib}/scalefactors/fiducial_diameter_fullres`)).toBeCloseTo(
        sf.fiducial_diameter_fullres!,
        0,
      );
    } finally {
      f.close();
    }
  });

  it('writes categorical 0.2.0 groups: int8 codes, string-array categories, ordered attribute', async () => {
    const f = await H5adFile.open(files.visium);
    try {
      expectEncoding(f, 'obs', 'dataframe', '0.2.0');
      expectEncoding(f, 'obs/domain', 'categorical', '0.2.0');
      expectHdf5Bool(f.attrInfo('obs/domain', 'ordered'));
      expect(f.attrInfo('obs/domain', 'ordered').shape).toBeNull();
      expect(f.attr('obs/domain', 'ordered')).toBe(0);
      expectEncoding(f, 'obs/domain/codes', 'array', '0.2.0');
      expect(f.datasetInfo('obs/domain/codes')).toMatchObject({ h5class: 0, size: 1, signed: true });
      expectStringArray(f, 'obs/domain/categories');
      const c = f.dataframe('obs').categoricals.domain!;
      expect(c.categories).toEqual(['a', 'b']);
      expect(Array.from(c.codes.slice(0, 4))).toEqual([0, 1, -1, 0]);
    } finally {
      f.close();
    }
  });
});

describe('nullable, bool and string columns in their current encodings', () => {
  it('writes nullable-integer/boolean groups with a bool mask, bool arrays and string arrays', async () => {
    const f = await H5adFile.open(files.nullable);
    try {
      expectEncoding(f, 'obs/n_cells', 'nullable-integer', '0.1.0');
      expectEncoding(f, 'obs/n_cells/values', 'array', '0.2.0');
      expectEncoding(f, 'obs/n_cells/mask', 'array', '0.2.0');
      expectHdf5Bool(f.datasetInfo('obs/n_cells/mask'));
      expectEncoding(f, 'obs/reviewed', 'nullable-boolean', '0.1.0');
      expectHdf5Bool(f.datasetInfo('obs/reviewed/values'));
      expectHdf5Bool(f.datasetInfo('obs/in_tissue'));
      expectStringArray(f, 'obs/note');
      const df = f.dataframe('obs');
      expect(Array.from(df.columns.n_cells as Float64Array)).toEqual([3, NaN, 7, -2]);
      expect(Array.from(df.columns.reviewed as Float64Array)).toEqual([1, 0, NaN, 1]);
      expect(df.columns.note).toEqual(['a', '', 'ß µm', 'd']);
    } finally {
      f.close();
    }
  });
});

describe('SR-level .h5ad (superpixels interpolated from Visium spots)', () => {
  it('writes X dense float32 in row blocks, chunked, equal to the source', async () => {
    const f = await H5adFile.open(files.sr);
    const n = sr.input.superpixels.x.length;
    const g = sr.input.genes.length;
    try {
      expect(n).toBeGreaterThan(1000);
      expectEncoding(f, 'X', 'array', '0.2.0');
      const info = f.datasetInfo('X');
      expect(info).toMatchObject({ h5class: 1, size: 4, shape: [n, g], chunks: [250, g] });
      expect(info.filters).toContain(1); // gzip
      // the source was read in blocks of whole chunks, never whole
      expect(sr.reads.length).toBe(Math.ceil(n / 500));
      expect(sr.reads.every(([a, b]) => b - a <= 500)).toBe(true);
      for (const [a, b] of [
        [0, 3],
        [777, 781],
        [n - 2, n],
      ] as const) {
        const got = f.rows('X', a, b);
        const want = sr.expected(a, b);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    } finally {
      f.close();
    }
  });

  it('has superpixel obs, spatial centres, the latent, domains and the 8 µm geometry', async () => {
    const f = await H5adFile.open(files.sr);
    const sp = sr.input.superpixels;
    try {
      const obs = f.dataframe('obs');
      expect(obs.index[0]).toBe(`sp_${sp.row![0]}_${sp.col![0]}`);
      expect(Array.from(obs.columns.array_col as Float64Array).slice(0, 5)).toEqual(
        Array.from(sp.col!.slice(0, 5)),
      );
      expect(obs.categoricals.domain!.categories).toEqual(['left', 'centre', 'right']);
      expect(f.strings('uns/domain_colors')).toEqual(['#1f77b4', '#ff7f0e', '#2ca02c']);
      const xy = f.rows('obsm/spatial', 10, 11);
      expect([xy[0], xy[1]]).toEqual([sp.x[10], sp.y[10]]);
      expect(f.datasetInfo('obsm/X_latent')).toMatchObject({ h5class: 1, size: 4, shape: [sp.x.length, 3] });
      const lat = f.rows('obsm/X_latent', 5, 6);
      expect(Array.from(lat)).toEqual(Array.from(sr.input.latent!.readRows(5, 6) as Float32Array));
      const lib = `uns/spatial/${sr.input.name}`;
      expect(f.scalar(`${lib}/scalefactors/spot_diameter_fullres`)).toBeCloseTo(8 / sr.input.umPerPx, 9);
      expect(f.dict('uns/stsr')).toMatchObject({ superpixel_size_um: 8, method: 'interp (test fixture)' });
    } finally {
      f.close();
    }
  });

  it('leaves nothing but the target in the folder and replaces an old file atomically', async () => {
    const target = join(tmp.dir, 'again.h5ad');
    writeFileSync(target, 'old');
    await writeSrH5ad(sr.input, target, { compression: 0 });
    expect(readFileSync(target).subarray(0, 4).toString('latin1')).toBe('\x89HDF');
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    // a failing source leaves the old file and no temp file
    const bad = { ...sr.input, expression: { ...sr.input.expression, readRows: () => new Float32Array(1) } };
    await expect(writeSrH5ad(bad, target)).rejects.toThrow(/gave 1 values/);
    expect(readFileSync(target).subarray(0, 4).toString('latin1')).toBe('\x89HDF');
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});

const PY = '/usr/bin/python3';
function pythonAnndata(): string | undefined {
  if (!existsSync(PY)) return undefined;
  const r = spawnSync(PY, ['-c', 'import anndata; print(anndata.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const anndataVersion = pythonAnndata();
if (!anndataVersion)
  console.warn(
    `[export] skipping the anndata read-back: ${PY} or its anndata module is missing (apt install python3-anndata)`,
  );

describe.skipIf(!anndataVersion)(
  `the real anndata (${anndataVersion ?? 'missing'}) reads the exports`,
  () => {
    function py(script: string): Record<string, unknown> {
      const r = spawnSync(PY, ['-W', 'ignore', '-c', script], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    }

    it('reads the spot-level file: shape, obsm["spatial"], scalefactors, label and domain categories', () => {
      const out = py(`
import json, anndata, numpy as np
a = anndata.read_h5ad(${JSON.stringify(files.a1)})
lib = a.uns['spatial'][${JSON.stringify(a1.name)}]
print(json.dumps({
  'shape': list(a.shape),
  'spatial0': a.obsm['spatial'][0].tolist(), 'spatialDtype': str(a.obsm['spatial'].dtype),
  'sf': {k: float(v) for k, v in lib['scalefactors'].items()},
  'labelDtype': str(a.obs['label'].dtype), 'labelCats': list(a.obs['label'].cat.categories),
  'labels': [None if isinstance(v, float) else v for v in a.obs['label'].tolist()],
  'domainCats': list(a.obs['domain'].cat.categories), 'domainOrdered': bool(a.obs['domain'].cat.ordered),
  'inTissue': str(a.obs['in_tissue'].dtype), 'inTissueBool': bool(a.obs['in_tissue'].astype(bool).all()),
  'xSum': float(a.X.sum()), 'varNames': list(a.var_names[:3]), 'geneIds': list(a.var['gene_ids'][:3]),
  'colors': list(a.uns['domain_colors']), 'layer': str(a.layers['log1p_cp10k'].dtype),
}))`);
      expect(out.shape).toEqual([a1.spots.length, a1.genes.length]);
      expect(out.spatial0).toEqual([a1.spots[0]!.x, a1.spots[0]!.y]);
      expect(out.spatialDtype).toBe('float64');
      expect((out.sf as Record<string, number>).spot_diameter_fullres).toBeCloseTo(100 / a1.umPerPx, 9);
      expect(out.labelDtype).toBe('category');
      expect(out.labelCats).toEqual([...new Set(a1.annotations!.label!.filter((l) => l))].sort());
      expect(out.labels).toEqual(a1.annotations!.label!.map((l) => l || null));
      expect(out.domainCats).toEqual(['low', 'mid', 'high']);
      expect(out.domainOrdered).toBe(true);
      expect(out.inTissue).toBe('bool');
      expect(out.inTissueBool).toBe(true);
      expect(out.xSum).toBe(a1.counts.data.reduce((s, v) => s + v, 0));
      expect(out.varNames).toEqual(a1.genes.slice(0, 3).map((g) => g.symbol));
      expect(out.geneIds).toEqual(a1.genes.slice(0, 3).map((g) => g.id));
      expect(out.colors).toEqual(['#440154', '#21918c', '#fde725']);
      expect(out.layer).toBe('float32');
    });

    it('reads the SR-level file: shape, spatial, latent, scalefactors and domain categories', () => {
      const out = py(`
import json, anndata
a = anndata.read_h5ad(${JSON.stringify(files.sr)})
lib = a.uns['spatial'][${JSON.stringify(sr.input.name)}]
print(json.dumps({
  'shape': list(a.shape), 'xDtype': str(a.X.dtype), 'x777': a.X[777, :5].tolist(),
  'spatial10': a.obsm['spatial'][10].tolist(), 'latent': list(a.obsm['X_latent'].shape),
  'sf': {k: float(v) for k, v in lib['scalefactors'].items()}, 'images': sorted(lib['images'].keys()),
  'lowres': list(lib['images']['lowres'].shape), 'imgDtype': str(lib['images']['lowres'].dtype),
  'domainCats': list(a.obs['domain'].cat.categories), 'domain0': a.obs['domain'].iloc[0],
}))`);
      const sp = sr.input.superpixels;
      expect(out.shape).toEqual([sp.x.length, sr.input.genes.length]);
      expect(out.xDtype).toBe('float32');
      const want = sr.expected(777, 778);
      (out.x777 as number[]).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 6));
      expect(out.spatial10).toEqual([sp.x[10], sp.y[10]]);
      expect(out.latent).toEqual([sp.x.length, 3]);
      expect((out.sf as Record<string, number>).spot_diameter_fullres).toBeCloseTo(8 / sr.input.umPerPx, 9);
      expect((out.sf as Record<string, number>).tissue_lowres_scalef).toBeCloseTo(0.051635113, 7);
      expect(out.images).toEqual(['lowres']);
      expect(out.lowres).toEqual([visium.image!.height, visium.image!.width, 3]);
      expect(out.imgDtype).toBe('uint8');
      expect(out.domainCats).toEqual(['left', 'centre', 'right']);
      expect(out.domain0).toBe(sr.input.domains!.domain!.categories[sr.input.domains!.domain!.codes[0]!]);
    });

    it('reads the categorical 0.2.0 groups: ordered flag, categories and missing codes', () => {
      const out = py(`
import json, anndata
a = anndata.read_h5ad(${JSON.stringify(files.visium)})
d = a.obs['domain']
print(json.dumps({
  'dtype': str(d.dtype), 'ordered': bool(d.cat.ordered), 'orderedType': type(d.cat.ordered).__name__,
  'cats': list(d.cat.categories), 'first': [None if isinstance(v, float) else v for v in d.iloc[:4]],
  'inTissue': str(a.obs['in_tissue'].dtype),
}))`);
      expect(out).toEqual({
        dtype: 'category',
        ordered: false,
        // numpy.bool_, as h5py returns for the bools anndata writes itself
        orderedType: 'bool_',
        cats: ['a', 'b'],
        first: ['a', 'b', null, 'a'],
        inTissue: 'bool',
      });
    });

    it('reads nullable-integer, nullable-boolean, bool and string columns as pandas types', () => {
      const out = py(`
import json, h5py
from anndata._io.specs import read_elem
with h5py.File(${JSON.stringify(files.nullable)}, 'r') as f:
    df = read_elem(f['obs'])
print(json.dumps({
  'dtypes': {k: str(v) for k, v in df.dtypes.items()},
  'n_cells': [None if v is None or v != v else int(v) for v in df['n_cells'].astype(object).where(df['n_cells'].notna(), None)],
  'reviewed': [None if v is None or v != v else bool(v) for v in df['reviewed'].astype(object).where(df['reviewed'].notna(), None)],
  'in_tissue': df['in_tissue'].tolist(), 'note': df['note'].tolist(), 'index': list(df.index),
}))`);
      expect(out).toEqual({
        dtypes: { n_cells: 'Int32', reviewed: 'boolean', in_tissue: 'bool', note: 'object' },
        n_cells: [3, null, 7, -2],
        reviewed: [true, false, null, true],
        in_tissue: [true, false, true, true],
        note: ['a', '', 'ß µm', 'd'],
        index: ['s0', 's1', 's2', 's3'],
      });
    });

    it('reports whether scanpy is importable (not required)', () => {
      const r = spawnSync(PY, ['-c', 'import scanpy'], { encoding: 'utf8' });
      console.info(`[export] scanpy importable with ${PY}: ${r.status === 0 ? 'yes' : 'no'}`);
      expect(typeof r.status).toBe('number');
    });
  },
);

const RSCRIPT = '/usr/bin/Rscript';
const hdf5r =
  existsSync(RSCRIPT) &&
  spawnSync(RSCRIPT, ['-e', 'library(hdf5r)'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
if (!hdf5r) console.warn('[export] skipping the R read-back: apt install r-cran-hdf5r');

describe.skipIf(!hdf5r)("a non-Python reader (R's hdf5r, Debian) reads the categorical group", () => {
  it('ordered is an R logical, codes and categories as written', () => {
    const r = spawnSync(
      RSCRIPT,
      [
        '-e',
        `suppressMessages(library(hdf5r))
f <- H5File$new(${JSON.stringify(files.a1)}, mode = "r")
g <- f[["obs/domain"]]
o <- h5attr(g, "ordered")
codes <- g[["codes"]]$read()
cat(class(o), o, h5attr(g, "encoding-type"), paste(g[["categories"]]$read(), collapse = ","),
    paste(head(codes, 5), collapse = ","), class(f[["obs/in_tissue"]]$read()), sep = "|")
f$close_all()`,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const [cls, ordered, enc, cats, codes, inTissue] = r.stdout.trim().split('|');
    expect([cls, ordered, enc, cats, inTissue]).toEqual([
      'logical',
      'TRUE',
      'categorical',
      'low,mid,high',
      'logical',
    ]);
    expect(codes).toBe(Array.from(domain.codes).slice(0, 5).join(','));
  });
});

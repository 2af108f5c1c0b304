/**
 * Files other tools wrote (../shared/data/formats: scanpy's and squidpy's test data, anndata's
 * archives) and files the real anndata writes here (Debian's python3-anndata): annotations kept,
 * counts from layers['counts'] / raw.X / X, obsm embeddings, normalised-only data read-only, image
 * fallback and --image-scale; annotations and embeddings through import → project → export, read
 * back by the real anndata.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasNormalisedValues, ImportError, readSample } from '../../../main/engine/io';
import { loadH5wasm } from '../../../main/engine/io/hdf5';
import { H5adFile, writeSpotH5ad } from '../../../main/engine/export';
import { createProject } from '../../../main/engine/store/project';
import { loadSample, saveSample } from '../../../main/engine/store/sample-store';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-real-files-');
afterAll(() => tmp.cleanup());
const scratchDir = join(tmp.dir, 'scratch');

const PY = '/usr/bin/python3';
const hasAnndata =
  existsSync(PY) && spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;
function py(script: string): unknown {
  const r = spawnSync(PY, ['-W', 'ignore', '-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('squidpy test_data.h5ad (log-normalised X, leiden, a hires that misses the spots)', () => {
  const file = sharedData('formats', 'squidpy', 'test_data.h5ad');

  it('imports with the lowres image, keeps leiden, and marks the values normalised (read-only)', async () => {
    const s = await readSample(file, { scratchDir });
    expect(s.spots.length).toBe(49);
    expect(s.genes.length).toBe(1999);
    expect(s.image!.width).toBe(49);
    expect(s.image!.height).toBe(88);
    expect(s.provenance.warnings.join('\n')).toMatch(
      /\['hires'\] does not cover every spot: used .*\['lowres'\]/,
    );
    expect(hasNormalisedValues(s)).toBe(true);
    expect(s.provenance.warnings.join('\n')).toMatch(/imported read-only as normalised values/);
    expect(Object.keys(s.annotations!)).toEqual(['leiden']);
    // the embeddings are kept (spots × d float32), nothing is left out
    expect(s.provenance.notes.embeddings).toBe('obsm: X_pca (50), X_umap (2)');
    expect(s.provenance.notes.obsmNotKept).toBeUndefined();
    expect(s.embeddings!.X_umap!.data.length).toBe(49 * 2);
    if (hasAnndata) {
      const leiden = py(
        `import json, anndata; a = anndata.read_h5ad(${JSON.stringify(file)}); print(json.dumps([str(v) for v in a.obs['leiden']]))`,
      );
      expect(s.annotations!.leiden).toEqual(leiden);
    }
  });

  it('an export keeps the normalised values as they are: no log1p layer, X unchanged', async () => {
    const s = await readSample(file, { scratchDir });
    const out = join(tmp.dir, 'squidpy-export.h5ad');
    await writeSpotH5ad(s, out);
    const h = await H5adFile.open(out);
    try {
      expect(h.has('layers/log1p_cp10k')).toBe(false);
      const x = h.csr('X');
      expect(Array.from(x.data)).toEqual(Array.from(s.counts.data));
      expect(h.string('uns/stsr/X_semantics')).toMatch(/normalised values as imported/);
    } finally {
      h.close();
    }
  });

  it("counts come from layers['counts'] when present, and the choice is reported", async () => {
    const copy = join(tmp.dir, 'with-counts.h5ad');
    copyFileSync(file, copy);
    const h5 = await loadH5wasm();
    const f = new h5.File(copy, 'a');
    try {
      const x = f.get('X') as InstanceType<typeof h5.Group>;
      const data = (x.get('data') as InstanceType<typeof h5.Dataset>).value as Float32Array;
      const layers = f.get('layers') as InstanceType<typeof h5.Group>;
      const g = layers.create_group('counts');
      g.create_attribute('encoding-type', 'csr_matrix');
      g.create_attribute('encoding-version', '0.1.0');
      g.create_attribute('shape', new BigInt64Array([49n, 1999n]));
      g.create_dataset({ name: 'data', data: Float32Array.from(data, (v) => Math.round(Math.expm1(v))) });
      for (const k of ['indices', 'indptr'])
        g.create_dataset({
          name: k,
          data: Int32Array.from((x.get(k) as InstanceType<typeof h5.Dataset>).value as Int32Array),
        });
    } finally {
      f.close();
    }
    const s = await readSample(copy, { scratchDir });
    expect(s.provenance.notes.counts).toBe("layers['counts']");
    expect(hasNormalisedValues(s)).toBe(false);
    expect(s.counts.data.every((v) => Number.isInteger(v))).toBe(true);
  });
});

describe('scanpy visium 1.0.0 outs (blank hires, headerless v1 positions)', () => {
  const dir = sharedData('formats', 'scanpy_visium_1.0.0');

  it('falls back to the lowres image with a warning', async () => {
    const s = await readSample(dir);
    expect(s.spots.length).toBe(100);
    expect(s.genes.length).toBe(100);
    expect(s.image!.path).toMatch(/tissue_lowres_image\.png$/);
    expect(s.image!.scaleToFullRes).toBeCloseTo(1 / 0.045004502, 6);
    expect(s.provenance.warnings).toContain(
      'tissue_hires_image.png is blank (a single colour): used tissue_lowres_image.png instead.',
    );
  });

  it('--image with --image-scale takes a lowres image; without the scale it is refused', async () => {
    const lowres = join(dir, 'spatial', 'tissue_lowres_image.png');
    const s = await readSample(dir, { imagePath: lowres, imageScale: 0.045004502 });
    expect(s.image!.scaleToFullRes).toBeCloseTo(22.22, 2);
    expect(s.provenance.notes.image).toMatch(/scale 0\.045004502/);
    const e = await readSample(dir, { imagePath: lowres }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).problem).toBe('outside-image');
    const bad = await readSample(dir, { imagePath: lowres, imageScale: 3 }).catch((x: unknown) => x);
    expect((bad as ImportError).message).toMatch(/--image-scale is 3/);
  });
});

describe.skipIf(!hasAnndata)('files the real anndata writes here', () => {
  it('csc X, categorical, nullable integer/boolean and string obs are kept as annotations', async () => {
    const path = join(tmp.dir, 'nullable-csc.h5ad');
    const expected = py(`
import json, anndata, numpy as np, pandas as pd
from scipy import sparse
n, g = 24, 15
rng = np.random.default_rng(1)
X = sparse.csc_matrix(rng.poisson(1.0, size=(n, g)).astype('float32'))
obs = pd.DataFrame(index=[f'spot{i}' for i in range(n)])
obs['cell_type'] = pd.Categorical([['tumour', 'stroma', 'immune'][i % 3] for i in range(n)])
obs['grade'] = pd.array([None if i % 5 == 0 else i % 4 for i in range(n)], dtype='Int64')
obs['flag'] = pd.array([None if i % 7 == 0 else i % 2 == 0 for i in range(n)], dtype='boolean')
obs['note'] = [f'n{i % 4}' for i in range(n)]
obs['score'] = rng.normal(size=n)
a = anndata.AnnData(X=X, obs=obs, var=pd.DataFrame(index=[f'G{j}' for j in range(g)]))
a.obsm['spatial'] = np.stack([np.arange(n) * 10.0 + 50, np.arange(n) * 5.0 + 50], 1)
a.obsm['X_pca'] = rng.normal(size=(n, 5)).astype('float32')
a.obsm['X_umap'] = rng.normal(size=(n, 2))
a.obsm['X_sparse'] = sparse.random(n, 3, density=0.5, format='csr', random_state=1)
a.obsm['X_table'] = pd.DataFrame({'u': np.arange(n)}, index=obs.index)
a.uns['spatial'] = {'lib': {'scalefactors': {'spot_diameter_fullres': 89.5}}}
a.write_h5ad(${JSON.stringify(path)})
print(json.dumps({'sum': float(X.sum()), 'grade': ['' if pd.isna(v) else str(v) for v in obs['grade']],
  'flag': ['' if pd.isna(v) else str(bool(v)) for v in obs['flag']], 'cell_type': list(map(str, obs['cell_type'])),
  'pca': a.obsm['X_pca'].ravel().tolist(), 'umap': a.obsm['X_umap'].ravel().tolist()}))
`) as { sum: number; grade: string[]; flag: string[]; cell_type: string[]; pca: number[]; umap: number[] };
    const s = await readSample(path, { scratchDir });
    expect(s.counts.data.reduce((x, y) => x + y, 0)).toBe(expected.sum);
    expect(s.annotations!.cell_type).toEqual(expected.cell_type);
    expect(s.annotations!.grade).toEqual(expected.grade);
    expect(s.annotations!.flag).toEqual(expected.flag);
    expect(s.annotations!.note).toEqual(Array.from({ length: 24 }, (_, i) => `n${i % 4}`));
    expect(s.annotations!.score).toBeUndefined();
    expect(s.provenance.notes.annotationsNotKept).toBe('score (continuous)');
    // dense obsm arrays are kept as embeddings; sparse and dataframe members are listed with why
    expect(s.embeddings!.X_pca).toEqual({ nCols: 5, data: Float32Array.from(expected.pca) });
    expect(s.embeddings!.X_umap).toEqual({ nCols: 2, data: Float32Array.from(expected.umap) });
    expect(s.provenance.notes.obsmNotKept).toBe(
      'X_sparse (csr_matrix, not a dense array), X_table (dataframe, not a dense array)',
    );

    // import → project → export: anndata reads back the annotations and the embeddings
    const project = createProject(join(tmp.dir, 'project-nullable'));
    let out: string;
    try {
      const row = saveSample(project, s, path);
      const stored = loadSample(project, row.id);
      expect(stored.embeddings).toEqual(s.embeddings);
      expect(stored.annotations).toEqual(s.annotations);
      out = join(tmp.dir, 'nullable-csc-export.h5ad');
      await writeSpotH5ad(stored, out);
    } finally {
      project.close();
    }
    const back = py(`
import json, anndata
a = anndata.read_h5ad(${JSON.stringify(out)})
lab = lambda c: ['' if v != v else str(v) for v in a.obs[c].astype(object)]
print(json.dumps({'cell_type': lab('cell_type'), 'grade': lab('grade'), 'flag': lab('flag'), 'note': lab('note'),
  'dtypes': sorted({str(a.obs[c].dtype) for c in ['cell_type', 'grade', 'flag', 'note']}),
  'pca': a.obsm['X_pca'].ravel().tolist(), 'pcaDtype': str(a.obsm['X_pca'].dtype),
  'umap': a.obsm['X_umap'].ravel().tolist(), 'obsm': sorted(a.obsm.keys())}))
`) as Record<string, unknown>;
    expect(back).toEqual({
      cell_type: expected.cell_type,
      grade: expected.grade,
      flag: expected.flag,
      note: s.annotations!.note,
      dtypes: ['category'],
      pca: Array.from(Float32Array.from(expected.pca)),
      pcaDtype: 'float32',
      umap: Array.from(Float32Array.from(expected.umap)),
      obsm: ['X_pca', 'X_umap', 'spatial'],
    });
  });

  it('anndata 0.7.0 archive: LZF raw.X chosen as counts with raw.var, __categories kept', async () => {
    const copy = join(tmp.dir, 'v070-spatial.h5ad');
    copyFileSync(sharedData('formats', 'anndata_v0.7.0', 'adata.h5ad'), copy);
    const h5 = await loadH5wasm();
    const f = new h5.File(copy, 'a');
    try {
      const xy = new Float64Array(60).map((_, k) => 100 + 3 * k);
      (f.get('obsm') as InstanceType<typeof h5.Group>).create_dataset({
        name: 'spatial',
        data: xy,
        shape: [30, 2],
        dtype: '<d',
      });
      const uns = f.get('uns') as InstanceType<typeof h5.Group>;
      uns
        .create_group('spatial')
        .create_group('lib')
        .create_group('scalefactors')
        .create_dataset({
          name: 'spot_diameter_fullres',
          data: new Float64Array([90]),
          shape: [],
          dtype: '<d',
        });
    } finally {
      f.close();
    }
    const s = await readSample(copy, { scratchDir });
    const want = py(`
import json, anndata
a = anndata.read_h5ad(${JSON.stringify(copy)})
print(json.dumps({'raw': float(a.raw.X.sum()), 'nraw': a.raw.shape[1], 'cat': list(map(str, a.obs['obs_cat'])),
  'ord': list(map(str, a.obs['cat_ordered'])), 'genes': list(a.raw.var_names[:3])}))
`) as { raw: number; nraw: number; cat: string[]; ord: string[]; genes: string[] };
    expect(s.provenance.notes.counts).toBe('raw.X (with raw.var)');
    expect(s.genes.length).toBe(want.nraw);
    expect(s.genes.slice(0, 3).map((g) => g.symbol)).toEqual(want.genes);
    expect(s.counts.data.reduce((x, y) => x + y, 0)).toBeCloseTo(want.raw, 2);
    expect(s.annotations!.obs_cat).toEqual(want.cat);
    expect(s.annotations!.cat_ordered).toEqual(want.ord);
  });
});

describe('optional tables with unreadable rows (HER2ST labels with NA coordinates)', () => {
  it('skips the bad rows, imports the sample, and says how many and why', async () => {
    const src = sharedData('her2st', 'A1');
    const dir = join(tmp.dir, 'A1');
    mkdirSync(dir);
    for (const f of ['A1.tsv.gz', 'A1_selection.tsv']) copyFileSync(join(src, f), join(dir, f));
    const lines = readFileSync(join(src, 'A1_labeled_coordinates.tsv'), 'utf8').trimEnd().split('\n');
    // as in the public files: a duplicated barcode whose coordinates are NA, twice
    const dup = lines[5]!.split('\t');
    const na = [dup[0], 'NA', 'NA', 'NA', 'NA', dup[5]].join('\t');
    writeFileSync(join(dir, 'A1_labeled_coordinates.tsv'), [...lines, na, na].join('\n') + '\n');
    const clean = await readSample(src);
    const s = await readSample(dir);
    expect(s.spots.length).toBe(clean.spots.length);
    expect(s.annotations!.label).toEqual(clean.annotations!.label);
    const w = s.provenance.warnings.find((x) =>
      x.startsWith('A1_labeled_coordinates.tsv: 2 unreadable rows'),
    );
    expect(w).toMatch(/line \d+, field "x": "NA" is not a number/);
  });

  it('a labels table that cannot be read at all is left out with a warning, not the sample', async () => {
    const src = sharedData('her2st', 'A1');
    const dir = join(tmp.dir, 'A1-bad');
    mkdirSync(dir);
    for (const f of ['A1.tsv.gz', 'A1_selection.tsv']) copyFileSync(join(src, f), join(dir, f));
    const lines = readFileSync(join(src, 'A1_labeled_coordinates.tsv'), 'utf8').trimEnd().split('\n');
    const broken = lines.map((l, i) => (i === 0 ? l : l.replace(/\t[\d.]+\t/, '\tNA\t')));
    writeFileSync(join(dir, 'A1_labeled_coordinates.tsv'), broken.join('\n') + '\n');
    const s = await readSample(dir);
    expect(s.spots.length).toBeGreaterThan(0);
    expect(s.provenance.warnings.join('\n')).toMatch(
      /A1_labeled_coordinates\.tsv left out: none of its \d+ rows could be read \(line 2, field "x": "NA" is not a number\)/,
    );
    expect(s.annotations).toBeUndefined();
  });
});

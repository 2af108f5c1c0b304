/**
 * Exports read by the tools users have: the Space Ranger–style outs folder in R with Debian's
 * r-cran-seurat (Load10X_Spatial) and by our own Space Ranger reader; the h5ad round trip
 * (export → import → export keeps scale, spot size, name, clusterings and images, issue 16 #5);
 * a generated spot set's h5ad in the real anndata.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import {
  categoricalFromLabels,
  H5adFile,
  rowSourceFromArray,
  writeSpaceRangerOuts,
  writeSpotH5ad,
  writeSrH5ad,
} from '../../../main/engine/export';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('stsr-interop-');
afterAll(() => tmp.cleanup());
const scratchDir = join(tmp.dir, 'scratch');

const RSCRIPT = '/usr/bin/Rscript';
const hasSeurat =
  existsSync(RSCRIPT) &&
  spawnSync(RSCRIPT, ['-e', 'suppressMessages(library(Seurat))'], { encoding: 'utf8', timeout: 120_000 })
    .status === 0;
if (!hasSeurat) console.warn('[interop] skipping the Seurat read-back: apt install r-cran-seurat');
const PY = '/usr/bin/python3';
const hasAnndata =
  existsSync(PY) && spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;

let visium: Sample;
let her2st: Sample;
beforeAll(async () => {
  visium = await readSample(sharedData('formats', 'scanpy_visium_1.0.0'));
  her2st = await readSample(sharedData('her2st', 'A1'));
});

function totals(s: Sample): number {
  return s.counts.data.reduce((a, b) => a + b, 0);
}

describe('Space Ranger–style outs folder', () => {
  it('re-imports through the Space Ranger reader with the same spots, genes, counts and scale', async () => {
    const dir = join(tmp.dir, 'outs-visium');
    const r = await writeSpaceRangerOuts(visium, dir);
    expect(r.files).toContain('spatial/tissue_lowres_image.png');
    const back = await readSample(dir);
    expect(back.provenance.reader).toBe('spaceranger');
    expect(back.spots.map((s) => s.id)).toEqual(visium.spots.map((s) => s.id));
    expect(back.genes).toEqual(visium.genes);
    expect(back.counts.indptr).toEqual(visium.counts.indptr);
    expect(Array.from(back.counts.data)).toEqual(Array.from(visium.counts.data));
    expect(back.spots[7]).toMatchObject({ x: visium.spots[7]!.x, y: visium.spots[7]!.y });
    expect(back.umPerPx).toBeCloseTo(visium.umPerPx, 9);
  });

  it('refuses a folder that is not empty and leaves it untouched', async () => {
    const dir = join(tmp.dir, 'outs-visium');
    const before = readdirSync(dir).sort();
    await expect(writeSpaceRangerOuts(visium, dir)).rejects.toThrow(/is not empty/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it.skipIf(!hasSeurat)(
    "Seurat's Load10X_Spatial loads it: spots, genes, counts and coordinates",
    () => {
      const dir = join(tmp.dir, 'outs-seurat');
      return writeSpaceRangerOuts(visium, dir).then(() => {
        const script = `
suppressMessages(library(Seurat))
s <- Load10X_Spatial(${JSON.stringify(dir)})
m <- GetAssayData(s, slot = 'counts')
xy <- GetTissueCoordinates(s, scale = NULL)
first <- colnames(s)[1]
sf <- s@images$slice1@scale.factors
cat(sprintf('{"spots": %d, "genes": %d, "total": %.1f, "first": "%s", "imagerow": %.4f, "imagecol": %.4f, "lowres": %.9f, "fiducial": %.6f}\\n',
  ncol(s), nrow(s), sum(m), first, xy[first, 'imagerow'], xy[first, 'imagecol'], sf$lowres, sf$fiducial))
`;
        const res = spawnSync(RSCRIPT, ['-e', script], { encoding: 'utf8', timeout: 300_000 });
        expect(res.status, res.stderr).toBe(0);
        const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
          spots: number;
          genes: number;
          total: number;
          first: string;
          imagerow: number;
          imagecol: number;
          lowres: number;
          fiducial: number;
        };
        expect(out.spots).toBe(visium.spots.length);
        expect(out.genes).toBe(visium.genes.length);
        expect(out.total).toBe(totals(visium));
        const i = visium.spots.findIndex((s) => s.id === out.first);
        expect(i).toBeGreaterThanOrEqual(0);
        // Seurat reports full-res pixel rows/columns with scale = NULL
        expect(out.imagerow).toBeCloseTo(visium.spots[i]!.y, 3);
        expect(out.imagecol).toBeCloseTo(visium.spots[i]!.x, 3);
        expect(out.lowres).toBeCloseTo(1 / visium.image!.scaleToFullRes, 8);
        expect(out.fiducial).toBeCloseTo(((55 / visium.umPerPx) * 144.4950723) / 89.4535218, 3);
      });
    },
    360_000,
  );
});

describe('h5ad round trip: export → import → export', () => {
  it('keeps scale, spot size, name, annotations, clustering and image', async () => {
    const src = her2st;
    const mid = [...src.spots.map((s) => s.x)].sort((p, q) => p - q)[src.spots.length >> 1]!;
    const sides = src.spots.map((s) => (s.x < mid ? 'left' : 'right'));
    const domain = categoricalFromLabels(sides, { categories: ['left', 'right'] });
    const a = join(tmp.dir, 'rt-a.h5ad');
    await writeSpotH5ad(src, a, { domains: { domain } });
    const back = await readSample(a, { scratchDir });
    expect(back.name).toBe(src.name);
    expect(back.umPerPx).toBe(src.umPerPx);
    expect(back.spotDiameterUm).toBe(src.spotDiameterUm);
    expect(back.platform).toBe(src.platform);
    expect(back.lattice).toBe(src.lattice);
    expect(back.annotations!.label).toEqual(src.annotations!.label);
    expect(back.annotations!.domain).toEqual(sides);
    const b = join(tmp.dir, 'rt-b.h5ad');
    await writeSpotH5ad(back, b);
    const [fa, fb] = await Promise.all([H5adFile.open(a), H5adFile.open(b)]);
    try {
      expect(fb.csr('X')).toEqual(fa.csr('X'));
      expect(fb.numbers('obsm/spatial')).toEqual(fa.numbers('obsm/spatial'));
      const sfa = fa.dict(`uns/spatial/${src.name}/scalefactors`);
      expect(fb.dict(`uns/spatial/${src.name}/scalefactors`)).toEqual(sfa);
      expect(fb.dict('uns/stsr')).toEqual(fa.dict('uns/stsr'));
      const dfa = fa.dataframe('obs');
      const dfb = fb.dataframe('obs');
      expect(dfb.index).toEqual(dfa.index);
      expect(dfb.categoricals.label).toEqual(dfa.categoricals.label);
      expect(dfb.categoricals.domain).toEqual(dfa.categoricals.domain);
      expect(fb.dataframe('var').index).toEqual(fa.dataframe('var').index);
    } finally {
      fa.close();
      fb.close();
    }
  });

  it('an image survives the trip (Visium: lowres written, read back, written again)', async () => {
    const a = join(tmp.dir, 'rt-visium-a.h5ad');
    await writeSpotH5ad(visium, a);
    const back = await readSample(a, { scratchDir });
    expect(back.image).toBeDefined();
    expect(back.umPerPx).toBe(visium.umPerPx);
    const b = join(tmp.dir, 'rt-visium-b.h5ad');
    await writeSpotH5ad(back, b);
    const [fa, fb] = await Promise.all([H5adFile.open(a), H5adFile.open(b)]);
    try {
      const lib = visium.name;
      for (const k of fa.keys(`uns/spatial/${lib}/images`)) {
        const x = fa.numbers(`uns/spatial/${lib}/images/${k}`);
        const y = fb.numbers(`uns/spatial/${lib}/images/${k}`);
        expect(y.length).toBe(x.length);
        // re-encoded through PNG and resized at the same size: equal pixels
        let diff = 0;
        for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
        expect(diff).toBeLessThanOrEqual(1);
      }
      const sfa = fa.dict(`uns/spatial/${lib}/scalefactors`) as Record<string, number>;
      const sfb = fb.dict(`uns/spatial/${lib}/scalefactors`) as Record<string, number>;
      for (const k of Object.keys(sfa)) expect(sfb[k]).toBeCloseTo(sfa[k]!, 9);
    } finally {
      fa.close();
      fb.close();
    }
  });
});

describe.skipIf(!hasAnndata)('generated spot sets in the real anndata', () => {
  it('reads obs.generated, X (log1p CP10k), the spot diameter and the domain categorical', async () => {
    // a 2× denser set: the measured spots plus the midpoints to their next spot
    const s = visium;
    const n = s.spots.length * 2 - 1;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    const measured = new Uint8Array(n);
    for (let i = 0; i < s.spots.length; i++) {
      x[2 * i] = s.spots[i]!.x;
      y[2 * i] = s.spots[i]!.y;
      measured[2 * i] = 1;
      if (i + 1 < s.spots.length) {
        x[2 * i + 1] = (s.spots[i]!.x + s.spots[i + 1]!.x) / 2;
        y[2 * i + 1] = (s.spots[i]!.y + s.spots[i + 1]!.y) / 2;
      }
    }
    const G = 5;
    const values = new Float32Array(n * G).map((_, k) => Math.log1p(k % 17));
    const out = join(tmp.dir, 'spotset.h5ad');
    await writeSrH5ad(
      {
        name: s.name,
        superpixels: { x, y, sizeUm: 27.5, ids: Array.from({ length: n }, (_, i) => `spot_${i}`) },
        genes: s.genes.slice(0, G),
        expression: rowSourceFromArray(values, G),
        umPerPx: s.umPerPx,
        method: 'interp',
        kind: 'spots',
        obs: { generated: { kind: 'boolean', values: Uint8Array.from(measured, (m) => 1 - m) } },
        domains: { domain: categoricalFromLabels(Array.from({ length: n }, (_, i) => (i % 3 ? 'a' : 'b'))) },
      },
      out,
    );
    const r = spawnSync(
      PY,
      [
        '-W',
        'ignore',
        '-c',
        `
import json, anndata
a = anndata.read_h5ad(${JSON.stringify(out)})
lib = a.uns['spatial'][${JSON.stringify(s.name)}]
print(json.dumps({'shape': list(a.shape), 'generated': int(a.obs['generated'].astype(bool).sum()),
  'x3': a.X[3].tolist(), 'd': float(lib['scalefactors']['spot_diameter_fullres']),
  'cats': list(a.obs['domain'].cat.categories), 'stsr': {k: str(v) for k, v in a.uns['stsr'].items()}}))`,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      shape: number[];
      generated: number;
      x3: number[];
      d: number;
      cats: string[];
      stsr: Record<string, string>;
    };
    expect(o.shape).toEqual([n, G]);
    expect(o.generated).toBe(s.spots.length - 1);
    o.x3.forEach((v, j) => expect(v).toBeCloseTo(values[3 * G + j]!, 6));
    expect(o.d).toBeCloseTo(27.5 / s.umPerPx, 6);
    expect(o.cats).toEqual(['a', 'b']);
    expect(o.stsr.spot_diameter_um).toBe('27.5');
    expect(o.stsr.method).toBe('interp');
    // and it re-imports at the right spot size, read-only (values are not counts)
    const back = await readSample(out, { scratchDir });
    expect(back.spotDiameterUm).toBe(27.5);
    expect(back.umPerPx).toBe(s.umPerPx);
    // a bool column (h5py's enum) comes back as the labels pandas prints
    expect(back.annotations!.generated!.filter((v) => v === 'True').length).toBe(s.spots.length - 1);
    expect(back.provenance.notes.values).toBe('normalised');
  });
});

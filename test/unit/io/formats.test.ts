/**
 * Formats with no real data in ../shared/data (Visium HD, Xenium) and the .h5ad round trip: the
 * files are built here from real counts in the layouts the formats spec documents.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';
import { writeH5ad, writeTenxH5 } from './fixtures';

const tmp = makeTempDir('stsr-io-formats-');
afterAll(() => tmp.cleanup());

let visium: Sample;
beforeAll(async () => {
  visium = await readSample(sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'));
});

function firstRows(s: Sample, n: number): Sample['counts'] {
  const m = s.counts;
  const end = m.indptr[n]!;
  return {
    nRows: n,
    nCols: m.nCols,
    indptr: m.indptr.slice(0, n + 1),
    indices: m.indices.slice(0, end),
    data: m.data.slice(0, end),
  };
}

function dense(m: Sample['counts']): number[][] {
  const out = Array.from({ length: m.nRows }, () => new Array<number>(m.nCols).fill(0));
  for (let r = 0; r < m.nRows; r++)
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) out[r]![m.indices[k]!] = m.data[k]!;
  return out;
}

describe('AnnData .h5ad in the scanpy Visium layout (written by this test with h5wasm)', () => {
  async function roundTrip(isDense: boolean, n: number): Promise<{ s: Sample; file: string }> {
    const src = visium;
    const counts = firstRows(src, n);
    const spots = src.spots.slice(0, n);
    const sf = JSON.parse(
      readFileSync(
        sharedData('visium', 'seurat-mouse-brain-sagittal-anterior', 'spatial', 'scalefactors_json.json'),
        'utf8',
      ),
    ) as Record<string, number>;
    const { data, info } = await sharp(src.image!.path)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const file = join(tmp.dir, `visium-${isDense ? 'dense' : 'csr'}.h5ad`);
    await writeH5ad(file, {
      obsNames: spots.map((p) => p.id),
      varNames: src.genes.map((g) => g.symbol),
      geneIds: src.genes.map((g) => g.id),
      counts,
      dense: isDense,
      xy: Float64Array.from(spots.flatMap((p) => [p.x, p.y])),
      arrayRow: spots.map((p) => p.row!),
      arrayCol: spots.map((p) => p.col!),
      library: 'anterior',
      scalefactors: sf,
      image: { key: 'lowres', data: new Uint8Array(data), width: info.width, height: info.height },
    });
    const s = await readSample(file, { scratchDir: join(tmp.dir, 'scratch') });
    return { s, file };
  }

  it('CSR X: counts, genes, positions, µm/px and the embedded image come back', async () => {
    const { s } = await roundTrip(false, visium.spots.length);
    expect(s.provenance.reader).toBe('h5ad');
    expect(s.spots.length).toBe(2695);
    expect(s.genes).toEqual(visium.genes);
    expect(s.counts.indptr).toEqual(visium.counts.indptr);
    expect(s.counts.indices).toEqual(visium.counts.indices);
    expect(s.counts.data).toEqual(visium.counts.data);
    expect(s.spots[10]).toEqual(visium.spots[10]);
    expect(s.umPerPx).toBeCloseTo(visium.umPerPx, 9);
    expect(s.image).toMatchObject({ width: 600, height: 599 });
    expect(s.image!.scaleToFullRes).toBeCloseTo(visium.image!.scaleToFullRes, 6);
    expect(s.image!.path.startsWith(join(tmp.dir, 'scratch'))).toBe(true);
    // the PNG written from the embedded array is the same image
    const a = await sharp(s.image!.path).raw().toBuffer();
    const b = await sharp(visium.image!.path).removeAlpha().raw().toBuffer();
    expect(a.equals(b)).toBe(true);
  });

  it('dense X gives the same matrix', async () => {
    const { s } = await roundTrip(true, 300);
    expect(dense(s.counts)).toEqual(dense(firstRows(visium, 300)));
    expect(s.lattice).toBe('hex');
  });
});

describe('Visium HD square_008um (no HD data exists: built here in the Space Ranger 3 layout)', () => {
  it.each(['csv', 'parquet'] as const)(
    'reads bins at 8 µm with µm/px from microns_per_pixel (%s positions)',
    async (posFormat) => {
      const n = 400;
      const side = 20;
      const counts = firstRows(visium, n);
      const umPerPx = 0.2737;
      const binPx = 8 / umPerPx;
      const outs = join(tmp.dir, `hd-${posFormat}`, 'outs');
      const bin = join(outs, 'binned_outputs', 'square_008um');
      mkdirSync(join(bin, 'spatial'), { recursive: true });
      const barcodes = Array.from({ length: n }, (_, i) => {
        const r = Math.floor(i / side);
        const c = i % side;
        return `s_008um_${String(r).padStart(5, '0')}_${String(c).padStart(5, '0')}-1`;
      });
      await writeTenxH5(join(bin, 'filtered_feature_bc_matrix.h5'), {
        barcodes,
        ids: visium.genes.map((g) => g.id),
        names: visium.genes.map((g) => g.symbol),
        counts,
      });
      const lines = ['barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres'];
      barcodes.forEach((b, i) => {
        const r = Math.floor(i / side);
        const c = i % side;
        lines.push(`${b},1,${r},${c},${(100 + r * binPx).toFixed(3)},${(200 + c * binPx).toFixed(3)}`);
      });
      if (posFormat === 'csv')
        writeFileSync(join(bin, 'spatial', 'tissue_positions.csv'), lines.join('\n') + '\n');
      else {
        // Space Ranger 3's tissue_positions.parquet: the same six columns, typed
        const rows = lines.slice(1).map((l) => l.split(','));
        await parquetWriteFile({
          filename: join(bin, 'spatial', 'tissue_positions.parquet'),
          columnData: [
            { name: 'barcode', data: rows.map((r) => r[0]!), type: 'STRING' },
            { name: 'in_tissue', data: rows.map((r) => Number(r[1])), type: 'INT32' },
            { name: 'array_row', data: rows.map((r) => Number(r[2])), type: 'INT32' },
            { name: 'array_col', data: rows.map((r) => Number(r[3])), type: 'INT32' },
            { name: 'pxl_row_in_fullres', data: rows.map((r) => Number(r[4])), type: 'DOUBLE' },
            { name: 'pxl_col_in_fullres', data: rows.map((r) => Number(r[5])), type: 'DOUBLE' },
          ],
        });
      }
      const lowres = 0.05;
      writeFileSync(
        join(bin, 'spatial', 'scalefactors_json.json'),
        JSON.stringify({
          spot_diameter_fullres: 8 / umPerPx,
          bin_size_um: 8,
          microns_per_pixel: umPerPx,
          tissue_hires_scalef: 0.2,
          tissue_lowres_scalef: lowres,
        }),
      );
      // a lowres image covering the bins: a real H&E crop, resized
      await sharp(sharedData('her2st', 'C2', '5714_HE_BT_C2.jpg'))
        .extract({ left: 3000, top: 4000, width: 1200, height: 1200 })
        .resize(60, 60)
        .png()
        .toFile(join(outs, 'spatial-lowres.png'));
      mkdirSync(join(outs, 'spatial'), { recursive: true });
      copyFileSync(join(outs, 'spatial-lowres.png'), join(outs, 'spatial', 'tissue_lowres_image.png'));

      const s = await readSample(outs);
      expect(s.provenance.reader).toBe('visium-hd');
      expect(s.provenance.files.some((f) => f.endsWith(`tissue_positions.${posFormat}`))).toBe(true);
      expect(s.platform).toBe('visium-hd');
      expect(s.spots.length).toBe(n);
      expect(s.genes.length).toBe(100);
      expect(s.spotDiameterUm).toBe(8);
      expect(s.lattice).toBe('square');
      expect(s.umPerPx).toBeCloseTo(umPerPx, 9);
      expect(s.image!.scaleToFullRes).toBeCloseTo(1 / lowres, 9);
      expect(s.spots[21]).toMatchObject({ id: barcodes[21], row: 1, col: 1 });
      expect(s.spots[21]!.x).toBeCloseTo(200 + binPx, 2);
      expect(s.counts.data).toEqual(counts.data);
    },
  );
});

describe('Xenium (no Xenium data exists: built here in the Xenium Onboard Analysis layout)', () => {
  it.each(['csv.gz', 'parquet'] as const)(
    'reads cells in µm, converts to pixels with pixel_size and drops control probes (cells.%s)',
    async (cellsFormat) => {
      const dir = join(tmp.dir, `xenium-${cellsFormat}`);
      mkdirSync(dir, { recursive: true });
      const n = 250;
      const counts = firstRows(visium, n);
      const ids = Array.from({ length: n }, (_, i) => `aaab${String(i).padStart(4, '0')}-1`);
      const types = visium.genes.map((_, i) => (i >= 95 ? 'Negative Control Probe' : 'Gene Expression'));
      await writeTenxH5(join(dir, 'cell_feature_matrix.h5'), {
        barcodes: ids,
        ids: visium.genes.map((g) => g.id),
        names: visium.genes.map((g) => g.symbol),
        types,
        counts,
      });
      writeFileSync(
        join(dir, 'experiment.xenium'),
        JSON.stringify({ major_version: 5, pixel_size: 0.2125, analysis_sw_version: 'xenium-1.3.0.5' }),
      );
      const rows = ['cell_id,x_centroid,y_centroid,transcript_counts,cell_area,nucleus_area'];
      // shuffled order: matching must be by id, not by row
      const order = ids.map((_, i) => (i * 7) % n);
      for (const i of order)
        rows.push(
          `${ids[i]},${(10 + i * 2.5).toFixed(3)},${(20 + i).toFixed(3)},5,${(50 + i).toFixed(2)},20`,
        );
      if (cellsFormat === 'csv.gz')
        writeFileSync(join(dir, 'cells.csv.gz'), gzipSync(rows.join('\n') + '\n'));
      else {
        const f = rows.slice(1).map((r) => r.split(','));
        await parquetWriteFile({
          filename: join(dir, 'cells.parquet'),
          columnData: [
            { name: 'cell_id', data: f.map((r) => r[0]!), type: 'STRING' },
            { name: 'x_centroid', data: f.map((r) => Number(r[1])), type: 'DOUBLE' },
            { name: 'y_centroid', data: f.map((r) => Number(r[2])), type: 'DOUBLE' },
            { name: 'transcript_counts', data: f.map((r) => Number(r[3])), type: 'INT32' },
            { name: 'cell_area', data: f.map((r) => Number(r[4])), type: 'DOUBLE' },
            { name: 'nucleus_area', data: f.map((r) => Number(r[5])), type: 'DOUBLE' },
          ],
        });
      }
      const s = await readSample(join(dir, 'experiment.xenium'));
      expect(s.provenance.reader).toBe('xenium');
      expect(s.provenance.files.some((x) => x.endsWith(`cells.${cellsFormat}`))).toBe(true);
      expect(s.spots.length).toBe(n);
      expect(s.genes.length).toBe(95);
      expect(s.counts.nCols).toBe(95);
      expect(s.umPerPx).toBe(0.2125);
      expect(s.spots[3]!.x).toBeCloseTo((10 + 3 * 2.5) / 0.2125, 6);
      expect(s.spots[3]!.y).toBeCloseTo((20 + 3) / 0.2125, 6);
      const median = 50 + 125;
      expect(s.spotDiameterUm).toBeCloseTo(2 * Math.sqrt(median / Math.PI), 6);
      expect(s.provenance.notes.features).toMatch(/95 .*of 100/);
      expect(s.image).toBeUndefined();
    },
  );
});

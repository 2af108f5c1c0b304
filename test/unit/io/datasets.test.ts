/**
 * Imports every real dataset in ../shared/data that has counts and checks the numbers against
 * values derived here with plain code (line counting) or stated in the data README.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import { sharedData } from '../../helpers/paths';

function text(path: string): string {
  const b = readFileSync(path);
  return (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b).toString('utf8');
}

/** Spots kept by the ST rule (selected == 1 and present in counts) and genes, counted naively. */
function expectedSt(countsPath: string, selectionPath: string): { spots: number; genes: number } {
  const countLines = text(countsPath).trimEnd().split('\n');
  const genes = countLines[0]!.split('\t').length - 1;
  const counted = new Set(countLines.slice(1).map((l) => l.split('\t')[0]));
  let spots = 0;
  for (const l of text(selectionPath).trim().split('\n').slice(1)) {
    const [x, y, , , , , sel] = l.split('\t');
    if (sel?.trim() === '1' && counted.has(`${x}x${y}`)) spots++;
  }
  return { spots, genes };
}

function expectInsideImage(s: Sample): void {
  const img = s.image!;
  const w = img.width * img.scaleToFullRes;
  const h = img.height * img.scaleToFullRes;
  const outside = s.spots.filter((p) => p.x < 0 || p.y < 0 || p.x > w || p.y > h);
  expect(outside).toEqual([]);
}

function expectConsistent(s: Sample): void {
  expect(s.counts.nRows).toBe(s.spots.length);
  expect(s.counts.nCols).toBe(s.genes.length);
  expect(s.counts.indptr.length).toBe(s.spots.length + 1);
  expect(s.counts.indptr[s.spots.length]).toBe(s.counts.data.length);
  expect(new Set(s.genes.map((g) => g.symbol)).size).toBe(s.genes.length);
  expect(new Set(s.spots.map((p) => p.id)).size).toBe(s.spots.length);
}

describe('HER2ST legacy ST samples (real data)', () => {
  const withImage = { B4: 'BT10737_D2_HE.jpg', C2: '5714_HE_BT_C2.jpg', C3: '5714_HE_BT_D1.jpg' } as const;
  for (const id of ['B4', 'C2', 'C3'] as const) {
    it(`${id}: spots, genes, image and ≈0.69 µm/px`, async () => {
      const dir = sharedData('her2st', id);
      const exp = expectedSt(
        sharedData('her2st', id, `${id}.tsv.gz`),
        sharedData('her2st', id, `${id}_selection.tsv`),
      );
      const s = await readSample(dir);
      expect(s.provenance.reader).toBe('legacy-st');
      expect(s.platform).toBe('legacy-st');
      expect(s.spots.length).toBe(exp.spots);
      expect(s.genes.length).toBe(exp.genes);
      expectConsistent(s);
      expect(s.image?.path.endsWith(withImage[id])).toBe(true);
      expect(s.image?.scaleToFullRes).toBe(1);
      expect(s.image!.width).toBeGreaterThan(9000);
      expectInsideImage(s);
      // data README: ~290 px per array unit at 200 µm per unit → ≈0.69 µm/px
      expect(Math.abs(s.umPerPx - 0.69) / 0.69).toBeLessThan(0.03);
      expect(s.lattice).toBe('square');
      expect(s.provenance.notes.latticeResidual).toMatch(/px RMS/);
      expect(s.spotDiameterUm).toBe(100);
    });
  }

  for (const id of ['A1', 'B1', 'C1'] as const) {
    it(`${id}: spots, genes and pathologist labels, no image`, async () => {
      const dir = sharedData('her2st', id);
      const exp = expectedSt(
        sharedData('her2st', id, `${id}.tsv.gz`),
        sharedData('her2st', id, `${id}_selection.tsv`),
      );
      const s = await readSample(dir);
      expect(s.spots.length).toBe(exp.spots);
      expect(s.genes.length).toBe(exp.genes);
      expectConsistent(s);
      expect(s.image).toBeUndefined();
      expect(s.provenance.warnings.join(' ')).toMatch(/No H&E image/);
      const labels = s.annotations?.label;
      expect(labels?.length).toBe(s.spots.length);
      const known = new Set([
        'invasive cancer',
        'cancer in situ',
        'connective tissue',
        'adipose tissue',
        'breast glands',
        'immune infiltrate',
        'undetermined',
        '',
      ]);
      expect(labels!.every((l) => known.has(l))).toBe(true);
      // most spots carry a label
      expect(labels!.filter((l) => l !== '').length / labels!.length).toBeGreaterThan(0.9);
    });
  }

  it('the umPerPx override wins and the estimate stays in the provenance', async () => {
    const s = await readSample(sharedData('her2st', 'C2'), { umPerPx: 0.5, name: 'mine' });
    expect(s.umPerPx).toBe(0.5);
    expect(s.name).toBe('mine');
    expect(s.provenance.notes.umPerPx).toMatch(/override.*0\.68/);
  });
});

describe('MOB legacy ST samples (real data, hex-packed)', () => {
  for (const id of ['MOB1', 'MOB2'] as const) {
    it(`${id}: spots, genes with symbols, image`, async () => {
      const dir = sharedData('mob', id);
      const exp = expectedSt(
        sharedData('mob', id, `${id}.tsv`),
        sharedData('mob', id, `alignment_table_${id}.tsv`),
      );
      const s = await readSample(dir);
      expect(s.spots.length).toBe(exp.spots);
      expect(s.genes.length).toBe(1000);
      expect(s.genes.length).toBe(exp.genes);
      expectConsistent(s);
      expect(s.lattice).toBe('hex');
      expect(s.genes[0]!.id).toMatch(/^ENSMUSG/);
      // symbols come from mouse_genes.tsv.gz, not the ids
      expect(s.genes.filter((g) => g.symbol.startsWith('ENSMUSG')).length).toBe(0);
      expect(s.image).toMatchObject({ width: 1905, height: 1905 });
      expectInsideImage(s);
      // README: ≈3.3 µm/px assuming 100 µm between neighbours and an isotropic 21.6 px unit; the
      // lattice here is 21.6 px (x) by 24.1 px (y), so the nearest-neighbour estimate is ≈3.1.
      expect(s.umPerPx).toBeGreaterThan(2.9);
      expect(s.umPerPx).toBeLessThan(3.4);
      expect(s.provenance.warnings.join(' ')).toMatch(/not in alignment_table/);
    });
  }
});

describe('Visium Space Ranger samples (real data)', () => {
  it('seurat anterior: h5 matrix, positions v1, lowres image, µm/px from scalefactors', async () => {
    const dir = sharedData('visium', 'seurat-mouse-brain-sagittal-anterior');
    const s = await readSample(dir);
    expect(s.provenance.reader).toBe('spaceranger');
    // data README: 100 genes × 2695 spots
    expect(s.spots.length).toBe(2695);
    expect(s.genes.length).toBe(100);
    expectConsistent(s);
    const sf = JSON.parse(readFileSync(`${dir}/spatial/scalefactors_json.json`, 'utf8')) as Record<
      string,
      number
    >;
    expect(Math.abs(s.umPerPx - 55 / sf.spot_diameter_fullres!) / s.umPerPx).toBeLessThan(0.03);
    expect(s.image?.path.endsWith('tissue_lowres_image.png')).toBe(true);
    expect(s.image!.scaleToFullRes).toBeCloseTo(1 / sf.tissue_lowres_scalef!, 6);
    expectInsideImage(s);
    // the first line of the v1 file: ACGCCTGACACGCGCT-1,0,0,0,1487,1480 (row, col order swapped to x, y)
    const first = s.spots.find((p) => p.id === 'AAACAAGTATCTCCCA-1')!;
    expect(first).toMatchObject({ row: 50, col: 102 });
    expect(s.genes[0]).toEqual({ id: 'ENSMUSG00000051951', symbol: 'Xkr4' });
  });

  it('spaniel posterior: MEX folder, duplicate symbols made unique like scanpy', async () => {
    const dir = sharedData('visium', 'spaniel-mouse-brain-sagittal-posterior');
    const s = await readSample(dir);
    const barcodes = text(`${dir}/outs/filtered_feature_bc_matrix/barcodes.tsv.gz`).trim().split('\n').length;
    const features = text(`${dir}/outs/filtered_feature_bc_matrix/features.tsv.gz`).trim().split('\n');
    expect(s.spots.length).toBe(barcodes);
    expect(s.spots.length).toBe(3352);
    expect(s.genes.length).toBe(815);
    expectConsistent(s);
    // names duplicated in features.tsv get "-1" on their second occurrence
    const names = features.map((l) => l.split('\t')[1]!);
    const dup = names.find((n, i) => names.indexOf(n) !== i)!;
    expect(s.genes.map((g) => g.symbol)).toContain(`${dup}-1`);
    expect(s.provenance.warnings.join(' ')).toMatch(/var_names_make_unique/);
    const sf = JSON.parse(readFileSync(`${dir}/outs/spatial/scalefactors_json.json`, 'utf8')) as Record<
      string,
      number
    >;
    expect(s.umPerPx).toBeCloseTo(55 / sf.spot_diameter_fullres!, 6);
    expectInsideImage(s);
    expect(s.name).toBe('spaniel-mouse-brain-sagittal-posterior');
  });
});

describe('detection by content', () => {
  it('a 10x .h5 file picks the Space Ranger reader of its folder; a counts TSV the ST reader', async () => {
    const { detectFormat } = await import('../../../main/engine/io');
    const h5 = sharedData('visium', 'seurat-mouse-brain-sagittal-anterior', 'filtered_feature_bc_matrix.h5');
    expect(await detectFormat(h5)).toMatchObject({ reader: 'spaceranger' });
    const spaniel = sharedData('visium', 'spaniel-mouse-brain-sagittal-posterior');
    expect(await detectFormat(spaniel)).toMatchObject({ reader: 'spaceranger' });
    expect(await detectFormat(`${spaniel}/outs`)).toMatchObject({ reader: 'spaceranger' });
    const tsv = sharedData('her2st', 'B1', 'B1.tsv.gz');
    expect(await detectFormat(tsv)).toMatchObject({ reader: 'legacy-st', path: tsv });
    const s = await readSample(tsv);
    expect(s.name).toBe('B1');
    expect(s.provenance.notes.detectedBy).toMatch(/ST counts table/);
    // DLPFC has positions but no counts: refused with the missing matrix named
    await expect(readSample(sharedData('dlpfc', '151507'))).rejects.toMatchObject({
      problem: 'missing-file',
    });
  });
});

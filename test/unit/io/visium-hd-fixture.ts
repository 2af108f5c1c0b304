/**
 * A Visium HD `outs/` folder built to Space Ranger 3's documented layout (there is no HD data in
 * ../shared/data, and a real run is gigabytes):
 *
 *   outs/spatial/{tissue_hires_image.png, tissue_lowres_image.png, scalefactors_json.json}
 *   outs/binned_outputs/square_{002,008,016}um/
 *       filtered_feature_bc_matrix.h5          (10x HDF5 v3, in-tissue bins only)
 *       spatial/tissue_positions.parquet        (every bin: barcode, in_tissue, array_row, array_col,
 *                                                pxl_row_in_fullres, pxl_col_in_fullres)
 *       spatial/scalefactors_json.json          (bin_size_um, microns_per_pixel, spot_diameter_fullres, …)
 *
 * Counts are drawn once on the 2 µm grid (seeded Poisson) from cells of three types with
 * type-specific genes, a smooth gradient gene, a housekeeping gene and 24 low background genes (each
 * with its own level and a weak preference for one cell type), so there is structure below
 * a Visium spot; the 8 and 16 µm bins are exact sums of the 2 µm bins they cover, as Space Ranger
 * makes them. Barcodes follow 10x's `s_008um_00012_00034-1` (row, col). The H&E stand-in colours
 * each cell by its type (nuclei purple on pink stroma), so image-using methods have a signal.
 * `raw_feature_bc_matrix.h5`, the CytAssist image and the segmented-cell outputs of Space Ranger 4
 * are not built (no reader uses them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import { Rng } from '../../../main/engine/analysis/random';
import type { CsrMatrix } from '../../../main/engine/io';
import { writeTenxH5 } from './fixtures';

export const HD_BINS_UM = [2, 8, 16] as const;

export interface HdFixture {
  outs: string;
  /** full-res µm per pixel (microns_per_pixel) */
  umPerPx: number;
  /** 2 µm bins per side of the capture area */
  side2: number;
  genes: string[];
  /** counts on the 2 µm grid, row-major (r * side2 + c) × genes, and the in-tissue mask */
  counts2: Uint16Array;
  inTissue2: Uint8Array;
  /** full-res px of the top-left corner of bin (0, 0) */
  origin: { x: number; y: number };
  hiresScale: number;
  /** the full-resolution H&E stand-in (outside outs/, as a real slide is) */
  fullRes: string;
}

export interface HdFixtureOptions {
  /** capture area side in µm (a multiple of 16); default 448 (56 × 56 bins of 8 µm) */
  sideUm?: number;
  seed?: number;
}

const MARKERS = ['Epi1', 'Epi2', 'Imm1', 'Imm2', 'Str1', 'Str2', 'Grad', 'Actb'];
/** background genes (seurat_v3's loess needs a few dozen genes): low, unpatterned or weakly typed */
const GENES = [...MARKERS, ...Array.from({ length: 24 }, (_, i) => `Bg${String(i + 1).padStart(2, '0')}`)];

function poisson(rng: Rng, lambda: number): number {
  // Knuth's method: λ here is < 2
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng.random();
  while (p > l) {
    k++;
    p *= rng.random();
  }
  return k;
}

export async function buildVisiumHd(dir: string, opts: HdFixtureOptions = {}): Promise<HdFixture> {
  const sideUm = opts.sideUm ?? 448;
  if (sideUm % 16 !== 0) throw new Error('sideUm must be a multiple of 16');
  const rng = new Rng(opts.seed ?? 7);
  const side2 = sideUm / 2;
  const umPerPx = 0.2737;
  const origin = { x: 180, y: 240 };
  const G = GENES.length;

  // cells: centres on a jittered 12 µm grid, radius 5 µm, a type from a coarse spatial pattern
  // plus noise, so cell types mix at the scale of a 55 µm spot
  const cellType = new Int8Array(side2 * side2).fill(-1);
  const cells: { x: number; y: number; t: number }[] = [];
  for (let y = 6; y < sideUm; y += 12)
    for (let x = 6; x < sideUm; x += 12) {
      const cx = x + rng.uniform(-3, 3);
      const cy = y + rng.uniform(-3, 3);
      const zone = Math.sin(cx / 40) + Math.cos(cy / 55);
      const t = rng.random() < 0.3 ? rng.int(3) : zone > 0.6 ? 0 : zone < -0.6 ? 1 : 2;
      cells.push({ x: cx, y: cy, t });
    }
  for (const c of cells)
    for (let r = Math.floor((c.y - 5) / 2); r <= Math.ceil((c.y + 5) / 2); r++)
      for (let q = Math.floor((c.x - 5) / 2); q <= Math.ceil((c.x + 5) / 2); q++) {
        if (r < 0 || q < 0 || r >= side2 || q >= side2) continue;
        if ((q * 2 + 1 - c.x) ** 2 + (r * 2 + 1 - c.y) ** 2 <= 25) cellType[r * side2 + q] = c.t;
      }

  const bgLevel = Array.from(
    { length: GENES.length - MARKERS.length },
    () => 0.004 * Math.exp(rng.uniform(0, 3)),
  );
  const bgType = bgLevel.map(() => rng.int(3));

  // tissue: an ellipse covering most of the area
  const inTissue2 = new Uint8Array(side2 * side2);
  const counts2 = new Uint16Array(side2 * side2 * G);
  for (let r = 0; r < side2; r++)
    for (let q = 0; q < side2; q++) {
      const i = r * side2 + q;
      const u = (q + 0.5) / side2 - 0.5;
      const v = (r + 0.5) / side2 - 0.5;
      if ((u / 0.47) ** 2 + (v / 0.4) ** 2 > 1) continue;
      inTissue2[i] = 1;
      const t = cellType[i]!;
      const rates = [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.3 * ((q + 0.5) / side2), 0.25, ...bgLevel];
      if (t >= 0) {
        rates[2 * t] = 0.9;
        rates[2 * t + 1] = 0.5;
        rates[7] = 0.6;
        for (let b = 0; b < bgLevel.length; b++) if (bgType[b] === t) rates[MARKERS.length + b]! *= 2;
      }
      for (let g = 0; g < G; g++) counts2[i * G + g] = poisson(rng, rates[g]!);
    }

  const outs = join(dir, 'outs');
  const binned = join(outs, 'binned_outputs');
  // hires ≈ 1000 px across the capture area, lowres ¼ of it (Space Ranger: 6000/600 px per slide)
  const fullPx = origin.x + sideUm / umPerPx + 200;
  const hiresScale = 1000 / fullPx;
  const lowresScale = hiresScale / 4;
  for (const bin of HD_BINS_UM)
    await writeBin(join(binned, `square_${String(bin).padStart(3, '0')}um`), bin, {
      side2,
      counts2,
      inTissue2,
      G,
      umPerPx,
      origin,
      hiresScale,
      lowresScale,
    });
  mkdirSync(join(outs, 'spatial'), { recursive: true });
  writeFileSync(
    join(outs, 'spatial', 'scalefactors_json.json'),
    JSON.stringify(scalefactors(2, umPerPx, hiresScale, lowresScale)),
  );
  await writeHe(join(outs, 'spatial'), { side2, cellType, inTissue2, umPerPx, origin, hiresScale, fullPx });
  // the slide itself, at full resolution, beside outs/ (Space Ranger takes it as input, never
  // copies it into outs): what a user passes with --image
  const fullRes = join(dir, 'he_fullres.png');
  await writeHe(dir, { side2, cellType, inTissue2, umPerPx, origin, hiresScale: 1, fullPx }, fullRes);
  return { outs, umPerPx, side2, genes: GENES, counts2, inTissue2, origin, hiresScale, fullRes };
}

function scalefactors(bin: number, umPerPx: number, hires: number, lowres: number): Record<string, number> {
  return {
    spot_diameter_fullres: bin / umPerPx,
    bin_size_um: bin,
    microns_per_pixel: umPerPx,
    tissue_hires_scalef: hires,
    tissue_lowres_scalef: lowres,
    fiducial_diameter_fullres: 1000,
    regist_target_img_scalef: hires,
  };
}

async function writeBin(
  folder: string,
  bin: number,
  s: {
    side2: number;
    counts2: Uint16Array;
    inTissue2: Uint8Array;
    G: number;
    umPerPx: number;
    origin: { x: number; y: number };
    hiresScale: number;
    lowresScale: number;
  },
): Promise<void> {
  const f = bin / 2;
  const side = s.side2 / f;
  const tag = `${String(bin).padStart(3, '0')}um`;
  const barcode = (r: number, c: number): string =>
    `s_${tag}_${String(r).padStart(5, '0')}_${String(c).padStart(5, '0')}-1`;
  const rows: { b: string; t: number; r: number; c: number; y: number; x: number }[] = [];
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  const kept: string[] = [];
  const acc = new Float64Array(s.G);
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      acc.fill(0);
      let tissue = 0;
      for (let dr = 0; dr < f; dr++)
        for (let dc = 0; dc < f; dc++) {
          const i = (r * f + dr) * s.side2 + c * f + dc;
          tissue += s.inTissue2[i]!;
          for (let g = 0; g < s.G; g++) acc[g]! += s.counts2[i * s.G + g]!;
        }
      // a bin is in tissue when any of its 2 µm bins is
      const t = tissue > 0 ? 1 : 0;
      rows.push({
        b: barcode(r, c),
        t,
        r,
        c,
        y: s.origin.y + ((r + 0.5) * bin) / s.umPerPx,
        x: s.origin.x + ((c + 0.5) * bin) / s.umPerPx,
      });
      if (!t) continue;
      kept.push(barcode(r, c));
      for (let g = 0; g < s.G; g++)
        if (acc[g]! > 0) {
          indices.push(g);
          data.push(acc[g]!);
        }
      indptr.push(indices.length);
    }
  const counts: CsrMatrix = {
    nRows: kept.length,
    nCols: s.G,
    indptr: Uint32Array.from(indptr),
    indices: Uint32Array.from(indices),
    data: Float32Array.from(data),
  };
  mkdirSync(join(folder, 'spatial'), { recursive: true });
  await writeTenxH5(join(folder, 'filtered_feature_bc_matrix.h5'), {
    barcodes: kept,
    ids: GENES.map((g) => `ENSSYN${g.toUpperCase()}`),
    names: GENES,
    counts,
  });
  await parquetWriteFile({
    filename: join(folder, 'spatial', 'tissue_positions.parquet'),
    columnData: [
      { name: 'barcode', data: rows.map((p) => p.b), type: 'STRING' },
      { name: 'in_tissue', data: rows.map((p) => p.t), type: 'INT32' },
      { name: 'array_row', data: rows.map((p) => p.r), type: 'INT32' },
      { name: 'array_col', data: rows.map((p) => p.c), type: 'INT32' },
      { name: 'pxl_row_in_fullres', data: rows.map((p) => p.y), type: 'DOUBLE' },
      { name: 'pxl_col_in_fullres', data: rows.map((p) => p.x), type: 'DOUBLE' },
    ],
  });
  writeFileSync(
    join(folder, 'spatial', 'scalefactors_json.json'),
    JSON.stringify(scalefactors(bin, s.umPerPx, s.hiresScale, s.lowresScale)),
  );
}

/** The H&E stand-in: pink stroma, purple nuclei tinted by cell type, white outside the tissue. */
async function writeHe(
  folder: string,
  s: {
    side2: number;
    cellType: Int8Array;
    inTissue2: Uint8Array;
    umPerPx: number;
    origin: { x: number; y: number };
    hiresScale: number;
    fullPx: number;
  },
  /** write only this one file (the full-res slide) instead of the hires + lowres pair */
  only?: string,
): Promise<void> {
  const W = Math.round(s.fullPx * s.hiresScale);
  const rgb = new Uint8Array(W * W * 3).fill(245);
  const tint: [number, number, number][] = [
    [90, 40, 140],
    [60, 50, 110],
    [150, 80, 170],
  ];
  for (let py = 0; py < W; py++)
    for (let px = 0; px < W; px++) {
      const um = (v: number, o: number): number => (v / s.hiresScale - o) * s.umPerPx;
      const q = Math.floor(um(px + 0.5, s.origin.x) / 2);
      const r = Math.floor(um(py + 0.5, s.origin.y) / 2);
      if (q < 0 || r < 0 || q >= s.side2 || r >= s.side2) continue;
      const i = r * s.side2 + q;
      if (!s.inTissue2[i]) continue;
      const t = s.cellType[i]!;
      // eosin pink saturated enough that the tissue mask (Otsu on saturation) keeps the stroma
      const c = t >= 0 ? tint[t]! : ([225, 130, 175] as const);
      rgb.set(c, (py * W + px) * 3);
    }
  const img = sharp(Buffer.from(rgb), { raw: { width: W, height: W, channels: 3 } });
  if (only) {
    await img.png().toFile(only);
    return;
  }
  await img.clone().png().toFile(join(folder, 'tissue_hires_image.png'));
  await img
    .clone()
    .resize(Math.round(W / 4))
    .png()
    .toFile(join(folder, 'tissue_lowres_image.png'));
}

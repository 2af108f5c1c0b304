/**
 * CSV, GeoJSON and figure exports on real data (HER2ST A1 labels, Visium anterior with its image,
 * superpixels interpolated from the Visium spots) plus hand-made label grids with holes and pinches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import {
  domainsGeoJson,
  figureLayout,
  gridOf,
  ringArea,
  renderFigurePng,
  renderFigureSvg,
  spotFigure,
  spotsGeoJson,
  srFigure,
  traceLabelGrid,
  viridis,
  writeFigure,
  wrapText,
  writeGeoJson,
  writeSpotCsv,
  writeSrCsv,
  type FeatureCollection,
  type FigureSpec,
  type Position,
} from '../../../main/engine/export';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';
import { srFixture, type SrFixture } from './sr-fixture';

const tmp = makeTempDir('stsr-export-out-');
afterAll(() => tmp.cleanup());

let a1: Sample;
let visium: Sample;
let sr: SrFixture;
beforeAll(async () => {
  a1 = await readSample(sharedData('her2st', 'A1'));
  visium = await readSample(sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'));
  sr = srFixture(visium, 40, 12);
});

function parseCsv(text: string): string[][] {
  // our fields never contain quotes or newlines except quoted ones; enough for these checks
  return text
    .trim()
    .split('\n')
    .map((l) =>
      l
        .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
        .filter((x) => x !== '')
        .map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '')),
    );
}

describe('CSV', () => {
  it('writes A1 spots with labels and chosen genes equal to the counts', async () => {
    const genes = ['ERBB2', 'GAPDH'].filter((g) => a1.genes.some((x) => x.symbol === g));
    expect(genes.length).toBeGreaterThan(0);
    const out = join(tmp.dir, 'a1.csv');
    const r = await writeSpotCsv(a1, out, { genes });
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual(['id', 'x', 'y', 'x_um', 'y_um', 'array_row', 'array_col', 'label', ...genes]);
    expect(rows.length - 1).toBe(a1.spots.length);
    expect(r.rows).toBe(a1.spots.length);
    const gi = a1.genes.findIndex((g) => g.symbol === genes[0]);
    for (const i of [0, 100, a1.spots.length - 1]) {
      const row = rows[i + 1]!;
      expect(row[0]).toBe(a1.spots[i]!.id);
      expect(Number(row[1])).toBeCloseTo(a1.spots[i]!.x, 4);
      // µm = full-res px × µm/px (7 significant digits)
      expect(Number(row[3])).toBeCloseTo(a1.spots[i]!.x * a1.umPerPx, 2);
      expect(Number(row[4])).toBeCloseTo(a1.spots[i]!.y * a1.umPerPx, 2);
      expect(row[7]).toBe(a1.annotations!.label![i]);
      let v = 0;
      for (let k = a1.counts.indptr[i]!; k < a1.counts.indptr[i + 1]!; k++)
        if (a1.counts.indices[k] === gi) v = a1.counts.data[k]!;
      expect(Number(row[8])).toBe(v);
    }
    await expect(writeSpotCsv(a1, out, { genes: ['NOT_A_GENE'] })).rejects.toThrow(/NOT_A_GENE/);
  });

  it('streams SR rows from the source in blocks', async () => {
    const out = join(tmp.dir, 'sr.csv');
    sr.reads.length = 0;
    await writeSrCsv(sr.input, out, { blockRows: 100 });
    const n = sr.input.superpixels.x.length;
    expect(sr.reads.length).toBe(Math.ceil(n / 100));
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]!.slice(0, 8)).toEqual([
      'id',
      'x',
      'y',
      'x_um',
      'y_um',
      'array_row',
      'array_col',
      'domain',
    ]);
    expect(rows.length - 1).toBe(n);
    expect(Number(rows[1]![3])).toBeCloseTo(sr.input.superpixels.x[0]! * sr.input.umPerPx, 2);
    const want = sr.expected(321, 322);
    rows[322]!.slice(8).forEach((v, j) => expect(Number(v)).toBeCloseTo(want[j]!, 5));
  });
});

function checkRings(fc: FeatureCollection): void {
  for (const f of fc.features) {
    const polys: Position[][][] =
      f.geometry.type === 'MultiPolygon'
        ? f.geometry.coordinates
        : f.geometry.type === 'Polygon'
          ? [f.geometry.coordinates]
          : [];
    for (const poly of polys) {
      poly.forEach((ring, k) => {
        expect(ring.length).toBeGreaterThanOrEqual(4);
        expect(ring[0]).toEqual(ring.at(-1));
        // RFC 7946: exterior counter-clockwise (positive), holes clockwise (negative)
        if (k === 0) expect(ringArea(ring)).toBeGreaterThan(0);
        else expect(ringArea(ring)).toBeLessThan(0);
      });
    }
  }
}

describe('GeoJSON', () => {
  it('traces a region with a hole and keeps corner-touching cells apart', () => {
    // label 0: a 4×4 ring with a hole in the middle; label 1: the hole; label 2: two diagonal cells
    const L = [
      [0, 0, 0, 0, -1, -1],
      [0, 1, 1, 0, 2, -1],
      [0, 1, 1, 0, -1, 2],
      [0, 0, 0, 0, -1, -1],
    ];
    const g = traceLabelGrid({ rows: 4, cols: 6, labels: Int32Array.from(L.flat()) });
    const zero = g.get(0)!;
    expect(zero).toHaveLength(1);
    expect(zero[0]).toHaveLength(2); // exterior + hole
    expect(ringArea(zero[0]![0]!)).toBe(16);
    expect(ringArea(zero[0]![1]!)).toBe(-4);
    expect(zero[0]![0]).toEqual([
      [0, 0],
      [4, 0],
      [4, 4],
      [0, 4],
      [0, 0],
    ]);
    expect(g.get(1)!.map((p) => ringArea(p[0]!))).toEqual([4]);
    const two = g.get(2)!;
    expect(two).toHaveLength(2);
    expect(two.map((p) => p[0]!.length)).toEqual([5, 5]);
  });

  it('writes SR domains as one MultiPolygon per domain whose area is cells × cell area', async () => {
    const grid = gridOf(sr.input.superpixels, sr.input.umPerPx);
    const domain = sr.input.domains!.domain!;
    const fc = domainsGeoJson(grid, domain, sr.input.umPerPx);
    expect(fc.features.map((f) => f.properties.name)).toEqual(['left', 'centre', 'right']);
    checkRings(fc);
    for (const f of fc.features) {
      const code = f.properties.code as number;
      const count = Array.from(domain.codes).filter((c) => c === code).length;
      let area = 0;
      if (f.geometry.type !== 'MultiPolygon') throw new Error('expected MultiPolygon');
      for (const poly of f.geometry.coordinates) for (const ring of poly) area += ringArea(ring);
      expect(area).toBeCloseTo(count * grid.sizePx * grid.sizePx, 3);
      expect(f.properties.n_superpixels).toBe(count);
      expect(f.properties.classification).toMatchObject({ name: f.properties.name });
    }
    expect(String(fc.properties.coordinateSystem)).toMatch(/full-resolution image pixels/);
    const out = join(tmp.dir, 'domains.geojson');
    const w = await writeGeoJson(out, fc);
    const back = JSON.parse(readFileSync(out, 'utf8')) as FeatureCollection;
    expect(back).toEqual(fc);
    expect(w.features).toBe(3);
  });

  it('writes A1 spots as points (or circles) with radius and pathologist labels', () => {
    const pts = spotsGeoJson(a1, { classifyBy: 'label' });
    expect(pts.features).toHaveLength(a1.spots.length);
    const f0 = pts.features[0]!;
    expect(f0.geometry).toEqual({ type: 'Point', coordinates: [a1.spots[0]!.x, a1.spots[0]!.y] });
    expect(f0.properties.radius_px).toBeCloseTo(50 / a1.umPerPx, 9);
    expect(f0.properties.label).toBe(a1.annotations!.label![0]);
    const circles = spotsGeoJson(a1, { shape: 'circle', circleVertices: 64 });
    checkRings(circles);
    const ring = (circles.features[3]!.geometry as { coordinates: Position[][] }).coordinates[0]!;
    const r = 50 / a1.umPerPx;
    // a 64-gon inscribed in the circle: area within 0.2 % of πr²
    expect(ringArea(ring) / (Math.PI * r * r)).toBeGreaterThan(0.998);
  });
});

function pixel(raw: Buffer, width: number, x: number, y: number): [number, number, number] {
  const o = (Math.round(y) * width + Math.round(x)) * 4;
  return [raw[o]!, raw[o + 1]!, raw[o + 2]!];
}

function close(a: number[], b: number[], tol = 12): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= tol);
}

describe('figures', () => {
  it('renders a Visium gene map as PNG with the slide, a colour bar and a scale bar', async () => {
    const gene = visium.genes[0]!.symbol;
    const spec = spotFigure(visium, { gene }, { width: 900, height: 600, title: `Mouse brain ${gene}` });
    const png = await renderFigurePng(spec);
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([900, 600]);
    const L = figureLayout(spec);
    const key = L.keys[0]!;
    if (key.kind !== 'colorbar') throw new Error('expected a colour bar');
    const cb = key.box;
    // top of the colour bar = viridis(1), bottom = viridis(0) (sampled 3 px inside the frame)
    expect(close(pixel(data, 900, cb.x + cb.w / 2, cb.y + 3), viridis(1 - 3 / cb.h))).toBe(true);
    expect(close(pixel(data, 900, cb.x + cb.w / 2, cb.y + cb.h - 3), viridis(3 / cb.h))).toBe(true);
    // the scale bar is black on the slide
    const s = L.scalebar!;
    expect(close(pixel(data, 900, s.x + s.w / 2, s.y + s.h / 2), [0, 0, 0], 30)).toBe(true);
    // the slide is drawn in the plot box: not all white there
    const p = pixel(data, 900, L.plot.x + 5, L.plot.y + 5);
    expect(close(p, [255, 255, 255], 5)).toBe(false);
    expect(s.um).toBeGreaterThan(0);
  });

  it('renders A1 pathologist labels with a legend whose swatches carry the category colours', async () => {
    const spec = spotFigure(
      a1,
      { annotation: 'label' },
      { width: 800, height: 700, title: 'HER2ST A1 labels' },
    );
    const png = await renderFigurePng(spec);
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([800, 700]);
    const L = figureLayout(spec);
    const color = spec.layers[0]!.color;
    const cats = color.kind === 'categorical' ? color.categories : [];
    const key = L.keys[0]!;
    if (key.kind !== 'legend') throw new Error('expected a legend');
    expect(key.swatches).toHaveLength(cats.length);
    const palette = ['#1f77b4', '#ff7f0e', '#279e68', '#d62728', '#aa40fc', '#8c564b'];
    key.swatches.forEach((b, i) => {
      const want = [1, 3, 5].map((k) => parseInt(palette[i]!.slice(k, k + 2), 16));
      expect(close(pixel(data, 800, b.x + b.w / 2, b.y + b.h / 2), want)).toBe(true);
    });
  });

  it('writes an SR raster figure as well-formed SVG with title, scale bar text and embedded images', async () => {
    const grid = gridOf(sr.input.superpixels, sr.input.umPerPx);
    const values = sr.expected(0, sr.input.superpixels.x.length).filter((_, k) => k % 12 === 0);
    const spec: FigureSpec = {
      width: 700,
      height: 500,
      title: 'SR <interp> & Xkr4',
      umPerPx: sr.input.umPerPx,
      image: visium.image!,
      layers: [{ layer: { kind: 'raster', grid, values }, color: { kind: 'continuous', label: 'Xkr4' } }],
    };
    const out = join(tmp.dir, 'sr.svg');
    await writeFigure(spec, out);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('SR &lt;interp&gt; &amp; Xkr4');
    const L = figureLayout(spec);
    expect(svg).toContain(`${L.scalebar!.um} µm`);
    expect(svg.match(/data:image\/png;base64,/g)).toHaveLength(2);
    // librsvg (through sharp) is a strict XML parser: it renders only well-formed SVG
    const { data, info } = await sharp(Buffer.from(svg))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([700, 500]);
    // a superpixel's colour shows at its place in the plot
    const i = 0;
    const v = values[i]!;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const px = L.plot.x + (sr.input.superpixels.x[i]! - L.region.x) * L.scale;
    const py = L.plot.y + (sr.input.superpixels.y[i]! - L.region.y) * L.scale;
    const want = viridis((v - lo) / (hi - lo || 1));
    const got = pixel(data, 700, px, py);
    // 90 % opacity over the slide: within ~10 % of the colour
    expect(close(got, want, 40)).toBe(true);
    const png = join(tmp.dir, 'sr.png');
    await writeFigure(spec, png);
    expect((await sharp(png).metadata()).width).toBe(700);
    await expect(renderFigureSvg({ ...spec, width: 50 })).rejects.toThrow(/out of range/);
  });

  it('renders SR domains from the input with a legend in the domain colours', async () => {
    const spec = await srFigure(
      sr.input,
      { domain: 'domain' },
      { width: 600, height: 450, title: 'Domains' },
    );
    const { data } = await sharp(await renderFigurePng(spec))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const L = figureLayout(spec);
    const colors = sr.input.domains!.domain!.colors!;
    const key = L.keys[0]!;
    if (key.kind !== 'legend') throw new Error('expected a legend');
    key.swatches.forEach((b, i) => {
      const want = [1, 3, 5].map((k) => parseInt(colors[i]!.slice(k, k + 2), 16));
      expect(close(pixel(data, 600, b.x + b.w / 2, b.y + b.h / 2), want)).toBe(true);
    });
    const i = 5;
    const code = sr.input.domains!.domain!.codes[i]!;
    const px = L.plot.x + (sr.input.superpixels.x[i]! - L.region.x) * L.scale;
    const py = L.plot.y + (sr.input.superpixels.y[i]! - L.region.y) * L.scale;
    const want = [1, 3, 5].map((k) => parseInt(colors[code]!.slice(k, k + 2), 16));
    expect(close(pixel(data, 600, px, py), want, 40)).toBe(true);
  });

  it('stacks layers with their own colour map and range, crops to a region with its outline, fits the title', async () => {
    const grid = gridOf(sr.input.superpixels, sr.input.umPerPx);
    const values = sr.expected(0, sr.input.superpixels.x.length).filter((_, k) => k % 12 === 0);
    const gene = visium.genes[0]!.symbol;
    const spots = spotFigure(visium, { gene }, { width: 10, height: 10 }).layers[0]!;
    const region = {
      x: grid.originX,
      y: grid.originY,
      width: grid.width * grid.sizePx * 0.5,
      height: grid.height * grid.sizePx * 0.5,
    };
    const ring: [number, number][] = [
      [region.x + region.width * 0.2, region.y + region.height * 0.2],
      [region.x + region.width * 0.8, region.y + region.height * 0.2],
      [region.x + region.width * 0.5, region.y + region.height * 0.8],
    ];
    const title =
      'A very long figure title that would run off a small figure if it were not fitted to its width';
    const spec: FigureSpec = {
      width: 600,
      height: 400,
      title,
      umPerPx: sr.input.umPerPx,
      image: visium.image!,
      region,
      layers: [
        {
          layer: { kind: 'raster', grid, values },
          color: { kind: 'continuous', label: 'SR', colormap: 'magma', vmin: 1, vmax: 3 },
        },
        {
          ...spots,
          color: {
            kind: 'continuous',
            label: `${gene} log1p CP10k`,
            colormap: 'cividis',
            vmin: 0,
            vmax: 2.5,
          },
        },
      ],
      outline: { rings: [ring], color: '#00ff00' },
      dpi: 150,
    };
    const L = figureLayout(spec);
    // two colour bars, the top layer's (spots) first, each with the given map and range
    expect(L.keys.map((k) => (k.kind === 'colorbar' ? [k.colormap, k.vmin, k.vmax] : null))).toEqual([
      ['cividis', 0, 2.5],
      ['magma', 1, 3],
    ]);
    // the region fills the plot (aspect kept) and the title's font fits the width
    expect(L.region).toEqual(region);
    expect(L.title!.fontSize * title.length * 0.64).toBeLessThanOrEqual(600);
    const svg = await renderFigureSvg(spec);
    expect(svg).toContain(`width="${((600 / 150) * 25.4).toFixed(2)}mm"`);
    for (const t of ['0.00', '1.25', '2.50', '1.00', '2.00', '3.00']) expect(svg).toContain(`>${t}</text>`);
    const png = await renderFigurePng(spec);
    expect((await sharp(png).metadata()).density).toBe(150);
    const { data } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    // the colour bar ends are the chosen maps' ends
    const [top, second] = L.keys as Extract<(typeof L.keys)[number], { kind: 'colorbar' }>[];
    const end = (b: { x: number; y: number; w: number; h: number }, dy: number) =>
      pixel(data, 600, b.x + b.w / 2, b.y + dy);
    const { colorAt } = await import('../../../preload/contract/colormaps');
    const round = (c: number[]) => c.map((v) => Math.round(v));
    expect(close(end(top!.box, 3), round(colorAt('cividis', 1 - 3 / top!.box.h)))).toBe(true);
    expect(close(end(second!.box, second!.box.h - 3), round(colorAt('magma', 3 / second!.box.h)))).toBe(true);
    // the outline is drawn in its colour along the ring's first edge
    const [a, b] = [ring[0]!, ring[1]!];
    const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    const ox = L.plot.x + (mid[0]! - region.x) * L.scale;
    const oy = L.plot.y + (mid[1]! - region.y) * L.scale;
    expect(close(pixel(data, 600, ox, oy), [0, 255, 0], 60)).toBe(true);
  });

  it('wraps key labels to the panel by words', () => {
    const lines = wrapText('ERBB2 (HISTEX SR, counts per 8 µm)', 150, 15);
    expect(lines.join(' ')).toBe('ERBB2 (HISTEX SR, counts per 8 µm)');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length * 0.64 * 15).toBeLessThanOrEqual(150);
    expect(wrapText('Domains', 150, 15)).toEqual(['Domains']);
  });

  it('writes a PDF page of the PNG at the chosen DPI', async () => {
    const spec = {
      ...spotFigure(visium, { gene: visium.genes[0]!.symbol }, { width: 400, height: 300 }),
      dpi: 200,
    };
    const out = join(tmp.dir, 'fig.pdf');
    await writeFigure(spec, out);
    const pdf = readFileSync(out);
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    const text = pdf.toString('latin1');
    // page size in points = px · 72 / dpi
    expect(text).toContain(
      `/MediaBox [0 0 ${((400 * 72) / 200).toFixed(3)} ${((300 * 72) / 200).toFixed(3)}]`,
    );
    // every xref offset points at its object
    const start = Number(/startxref\n(\d+)/.exec(text)![1]);
    const rows = text.slice(start).split('\n').slice(3, 9);
    rows.forEach((r, i) =>
      expect(text.slice(Number(r.slice(0, 10)), Number(r.slice(0, 10)) + 8)).toBe(`${i + 1} 0 obj\n`),
    );
    // the image stream holds the PNG's pixels
    const s0 = text.indexOf('stream\n', text.indexOf('/Subtype /Image')) + 7;
    const len = Number(/\/Subtype \/Image.*?\/Length (\d+)/.exec(text)![1]);
    const { inflateSync } = await import('node:zlib');
    const rgb = inflateSync(pdf.subarray(s0, s0 + len));
    const want = await sharp(await renderFigurePng(spec))
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .raw()
      .toBuffer();
    expect(rgb.equals(want)).toBe(true);
  });
});

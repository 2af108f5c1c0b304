/**
 * Side-by-side figures: the layout by hand (panel offsets, plot boxes, colour bars, one scale bar)
 * and the drawing on real data (Visium mouse brain anterior: observed spots of a gene beside the
 * SR-level map of the same gene from the superpixel fixture, over the section's image).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSample, type Sample } from '../../../main/engine/io';
import {
  gridOf,
  inFigure,
  renderSideBySidePng,
  renderSideBySideSvg,
  sideBySideLayout,
  spotFigure,
  writeSideBySide,
  type FigureKey,
  type FigureLayer,
  type SideBySideSpec,
} from '../../../main/engine/export';
import { colorAt } from '../../../preload/contract/colormaps';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';
import { srFixture, type SrFixture } from './sr-fixture';

const tmp = makeTempDir('stsr-side-by-side-');
afterAll(() => tmp.cleanup());

let visium: Sample;
let sr: SrFixture;
beforeAll(async () => {
  visium = await readSample(sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'));
  sr = srFixture(visium, 40, 12);
});

type Colorbar = Extract<FigureKey, { kind: 'colorbar' }>;
const bar = (k: FigureKey | undefined): Colorbar => {
  if (k?.kind !== 'colorbar') throw new Error('expected a colour bar');
  return k;
};

/** Observed spots of gene 0 (cividis, 0–2.5) and its SR map (magma, 1–3), as the split view draws them. */
function panels(): { observed: FigureLayer; srMap: FigureLayer } {
  const gene = visium.genes[0]!.symbol;
  const spots = spotFigure(visium, { gene }, { width: 100, height: 100 }).layers[0]!;
  const grid = gridOf(sr.input.superpixels, sr.input.umPerPx);
  const values = sr.expected(0, sr.input.superpixels.x.length).filter((_, k) => k % 12 === 0);
  return {
    observed: {
      ...spots,
      color: { kind: 'continuous', label: 'Xkr4 log1p CP10k', colormap: 'cividis', vmin: 0, vmax: 2.5 },
    },
    srMap: {
      layer: { kind: 'raster', grid, values },
      color: { kind: 'continuous', label: 'Xkr4 SR', colormap: 'magma', vmin: 1, vmax: 3 },
    },
  };
}

describe('side-by-side layout', () => {
  it('places two equal panels over one region, each with its title and colour bar, one scale bar', () => {
    const { observed, srMap } = panels();
    const spec: SideBySideSpec = {
      width: 1000,
      height: 500,
      title: 'Visium Xkr4',
      umPerPx: 1,
      region: { x: 0, y: 0, width: 1000, height: 500 },
      panels: [
        { title: 'Xkr4 observed', layers: [observed] },
        { title: 'Xkr4 SR', layers: [srMap] },
      ],
    };
    const L = sideBySideLayout(spec);
    // Worked by hand. Whole figure: font max(10, round(500·0.025)) = 13; the title fits at
    // round(13·1.3) = 17, band round(17·2.2) = 37. Panels: floor(1000 / 2) = 500 wide, 463 high.
    expect(L.title).toEqual({ x: 0, y: 0, w: 1000, h: 37, fontSize: 17 });
    expect(L.panels.map((p) => [p.x, p.y, p.spec.width, p.spec.height])).toEqual([
      [0, 37, 500, 463],
      [500, 37, 500, 463],
    ]);
    // Each panel: font round(463·0.025) = 12, pad 14, title band round(16·2.2) = 35 (title font
    // round(12·1.3) = 16 for both), key column max(100, 96) = 100. Plot area 372 × 400 at
    // (14, 49); the region 1000 × 500 scales by min(372/1000, 400/500) = 0.372 → 372 × 186,
    // centred vertically: y = 49 + floor((400 − 186) / 2) = 156.
    for (const p of L.panels) {
      expect(p.layout.title).toEqual({ x: 0, y: 0, w: 500, h: 35, fontSize: 16 });
      expect(p.layout.plot).toEqual({ x: 14, y: 156, w: 372, h: 186 });
      expect(p.layout.scale).toBeCloseTo(0.372, 12);
      // the same region in both panels: the one given
      expect(p.layout.region).toEqual(spec.region);
    }
    expect(inFigure(L, 0, L.panels[0]!.layout.plot)).toEqual({ x: 14, y: 193, w: 372, h: 186 });
    expect(inFigure(L, 1, L.panels[1]!.layout.plot)).toEqual({ x: 514, y: 193, w: 372, h: 186 });
    // Keys: the column starts at x = 500 − 100 + 12 = 412, y = 49 + 24 = 73. "Xkr4 log1p CP10k"
    // wraps to 3 lines of ≤ floor(76 / 7.68) = 9 characters, so its bar starts 2 · 14.4 lower
    // (round(101.8) = 102); "Xkr4 SR" is one line. Bars are 14 wide, 120 high, with the
    // requested maps and ranges.
    const [k0, k1] = [bar(L.panels[0]!.layout.keys[0]), bar(L.panels[1]!.layout.keys[0])];
    expect([k0.box, k0.colormap, k0.vmin, k0.vmax, k0.lines]).toEqual([
      { x: 412, y: 102, w: 14, h: 120 },
      'cividis',
      0,
      2.5,
      ['Xkr4', 'log1p', 'CP10k'],
    ]);
    expect([k1.box, k1.colormap, k1.vmin, k1.vmax]).toEqual([
      { x: 412, y: 73, w: 14, h: 120 },
      'magma',
      1,
      3,
    ]);
    expect(inFigure(L, 1, k1.box)).toEqual({ x: 912, y: 110, w: 14, h: 120 });
    // One scale bar, in the first panel: niceLength(0.25 · 372 / 0.372 · 1 µm) = 200 µm,
    // round(200 · 0.372) = 74 px long.
    expect(L.panels[0]!.layout.scalebar).toMatchObject({ um: 200, w: 74 });
    expect(L.panels[1]!.layout.scalebar).toBeUndefined();
  });

  it('shares the default region (all panels’ data) and one title font, and refuses what cannot be drawn', () => {
    const { observed, srMap } = panels();
    const base = { width: 1200, height: 600, umPerPx: visium.umPerPx };
    const L = sideBySideLayout({
      ...base,
      panels: [
        { title: 'observed', layers: [observed] },
        { title: 'a much longer SR panel title that has to shrink to fit', layers: [srMap] },
      ],
    });
    const [a, b] = L.panels;
    expect(a!.layout.region).toEqual(b!.layout.region);
    // the spots cover the SR window: the shared region is the spots' box plus 3 % of its longer side
    const r = visium.spotDiameterUm / visium.umPerPx / 2;
    const xs = visium.spots.map((s) => s.x);
    const ys = visium.spots.map((s) => s.y);
    const [x0, x1, y0, y1] = [
      Math.min(...xs) - r,
      Math.max(...xs) + r,
      Math.min(...ys) - r,
      Math.max(...ys) + r,
    ];
    const m = 0.03 * Math.max(x1 - x0, y1 - y0);
    expect(L.region.x).toBeCloseTo(x0 - m, 6);
    expect(L.region.y).toBeCloseTo(y0 - m, 6);
    expect(L.region.width).toBeCloseTo(x1 - x0 + 2 * m, 6);
    expect(L.region.height).toBeCloseTo(y1 - y0 + 2 * m, 6);
    expect(a!.layout.title!.fontSize).toBe(b!.layout.title!.fontSize);
    expect(a!.layout.plot).toEqual(b!.layout.plot);
    expect(() => sideBySideLayout({ ...base, panels: [{ title: 'one', layers: [observed] }] })).toThrow(
      /2 to 4 panels/,
    );
    expect(() =>
      sideBySideLayout({
        ...base,
        width: 150,
        panels: [
          { title: 'a', layers: [observed] },
          { title: 'b', layers: [srMap] },
        ],
      }),
    ).toThrow(/too small for 2 panels/);
  });
});

function pixel(raw: Buffer, width: number, x: number, y: number): number[] {
  const o = (Math.round(y) * width + Math.round(x)) * 4;
  return [raw[o]!, raw[o + 1]!, raw[o + 2]!];
}
const close = (a: number[], b: number[], tol = 12) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

describe('side-by-side drawing on Visium', () => {
  it('draws both panels over the same slide region, each bar in its map, the SR panel unlike the observed', async () => {
    const { observed, srMap } = panels();
    const grid = gridOf(sr.input.superpixels, sr.input.umPerPx);
    // the SR window, so both panels show data over most of the plot
    const region = {
      x: grid.originX,
      y: grid.originY,
      width: grid.width * grid.sizePx,
      height: grid.height * grid.sizePx,
    };
    const spec: SideBySideSpec = {
      width: 1200,
      height: 600,
      title: 'Mouse brain Xkr4',
      umPerPx: visium.umPerPx,
      image: visium.image!,
      region,
      dpi: 200,
      panels: [
        { title: 'Xkr4 observed', layers: [observed] },
        { title: 'Xkr4 SR', layers: [srMap] },
      ],
    };
    const L = sideBySideLayout(spec);
    const png = await renderSideBySidePng(spec);
    expect((await sharp(png).metadata()).density).toBe(200);
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1200, 600]);
    // each colour bar's top is its own map's top colour, at its place in the whole figure
    const round = (c: number[]) => c.map((v) => Math.round(v));
    for (const [i, map] of [
      [0, 'cividis'],
      [1, 'magma'],
    ] as const) {
      const b = inFigure(L, i, bar(L.panels[i]!.layout.keys[0]).box);
      expect(close(pixel(data, 1200, b.x + b.w / 2, b.y + 3), round(colorAt(map, 1 - 3 / b.h)))).toBe(true);
    }
    // Compare the two plots pixel by pixel: where neither panel draws data the slide shows, the
    // same in both (same region, same scale); the SR map differs from the spots elsewhere.
    const [p0, p1] = [0, 1].map((i) => inFigure(L, i, L.panels[i]!.layout.plot));
    expect([p0!.w, p0!.h]).toEqual([p1!.w, p1!.h]);
    let same = 0;
    let differ = 0;
    for (let y = 2; y < p0!.h - 2; y += 3)
      for (let x = 2; x < p0!.w - 2; x += 3) {
        const a = pixel(data, 1200, p0!.x + x, p0!.y + y);
        const b = pixel(data, 1200, p1!.x + x, p1!.y + y);
        if (close(a, b, 2)) same++;
        else differ++;
      }
    expect(differ / (same + differ)).toBeGreaterThan(0.3);
    // Without layers the two plots are the same picture (one slide region at one scale) but for
    // the one scale bar and its label, bottom left of the first panel.
    const bare = await sharp(
      await renderSideBySidePng({ ...spec, panels: spec.panels.map((p) => ({ ...p, layers: [] })) }),
    )
      .ensureAlpha()
      .raw()
      .toBuffer();
    const s = inFigure(L, 0, L.panels[0]!.layout.scalebar!);
    const fs = L.panels[0]!.layout.fontSize;
    const inScalebar = (x: number, y: number) =>
      x >= s.x - 2 && x <= s.x + Math.max(s.w, 6 * fs) && y >= s.y - 1.6 * fs && y <= s.y + s.h + 2;
    let mismatched = 0;
    let inBar = 0;
    let nonWhite = 0;
    for (let y = 0; y < p0!.h; y++)
      for (let x = 0; x < p0!.w; x++) {
        const a = pixel(bare, 1200, p0!.x + x, p0!.y + y);
        if (!close(a, pixel(bare, 1200, p1!.x + x, p1!.y + y), 0)) {
          if (inScalebar(p0!.x + x, p0!.y + y)) inBar++;
          else mismatched++;
        }
        if (!close(a, [255, 255, 255], 5)) nonWhite++;
      }
    expect(mismatched).toBe(0);
    expect(inBar).toBeGreaterThan(s.w * s.h);
    expect(nonWhite / (p0!.w * p0!.h)).toBeGreaterThan(0.9);
    // the title band spans the figure and holds dark text pixels
    const t = L.title!;
    let dark = 0;
    for (let y = t.y; y < t.y + t.h; y++)
      for (let x = 0; x < 1200; x++) if (pixel(data, 1200, x, y).every((v) => v < 100)) dark++;
    expect(dark).toBeGreaterThan(50);
  });

  it('writes a well-formed SVG with both panels’ titles and per-panel ids, and a PDF', async () => {
    const { observed, srMap } = panels();
    const spec: SideBySideSpec = {
      width: 900,
      height: 400,
      umPerPx: visium.umPerPx,
      image: visium.image!,
      panels: [
        { title: 'Xkr4 observed', layers: [observed] },
        { title: 'Xkr4 SR <interp>', layers: [srMap] },
      ],
    };
    const out = join(tmp.dir, 'sbs.svg');
    await writeSideBySide(spec, out);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('>Xkr4 observed</text>');
    expect(svg).toContain('>Xkr4 SR &lt;interp&gt;</text>');
    const ids = [...svg.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['p0-plot', 'p0-cbar0', 'p1-plot', 'p1-cbar0']);
    // one scale bar: one "µm"/"mm" label
    expect(svg.match(/ (µm|mm)<\/text>/g)).toHaveLength(1);
    // two slide images and the SR raster
    expect(svg.match(/data:image\/png;base64,/g)).toHaveLength(3);
    const { info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([900, 400]);
    const pdf = join(tmp.dir, 'sbs.pdf');
    await writeSideBySide({ ...spec, dpi: 150 }, pdf);
    expect(readFileSync(pdf, 'latin1')).toContain(
      `/MediaBox [0 0 ${((900 * 72) / 150).toFixed(3)} ${((400 * 72) / 150).toFixed(3)}]`,
    );
    await expect(renderSideBySideSvg({ ...spec, width: 20001 })).rejects.toThrow(/out of range/);
  });
});

/**
 * Publication figures at a chosen output size and resolution, independent of any viewport: the
 * slide (cropped to the data, a view or a drawn region), any stack of layers over it — spots or
 * superpixel rasters, coloured by a value (a shared colour map over a given range, with a colour
 * bar) or by categories (legend) — a drawn region's outline, a scale bar in µm and a title.
 *
 * SVG is built by hand (slide and rasters embedded as base64 PNGs at the drawn size); the PNG is
 * the same SVG overlay composited by sharp (librsvg) over the resized slide, so both look alike;
 * the PDF is one page holding that PNG at the chosen DPI (raster, not vectors).
 */
import sharp, { type OverlayOptions } from 'sharp';
import { extname } from 'node:path';
import { COLORMAP_STOPS, colorAt, type ColormapName } from '../../../preload/contract/colormaps';
import { decodeFailure } from '../io/problems';
import type { ImageRef, Sample } from '../io/sample';
import { writeFileAtomic } from '../store/atomic-file';
import { DEFAULT_PALETTE, hex, parseHex } from './colormap';
import { geneColumns } from './csv';
import { logNormalize } from '../analysis/normalise';
import { pdfOfPng } from './pdf';
import { gridOf, type LabelGrid, type SrExportInput } from './sr-input';

export interface SpotsLayer {
  kind: 'spots';
  /** centres, full-res px */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  diameterPx: number;
  /** continuous value, or category code (−1 = none) for categorical colouring */
  values: ArrayLike<number>;
}

export interface RasterLayer {
  kind: 'raster';
  grid: LabelGrid;
  /** per superpixel (index in grid.cellToIndex); NaN / −1 = not drawn */
  values: ArrayLike<number>;
}

export type FigureColor =
  | {
      kind: 'continuous';
      label: string;
      /** default viridis */
      colormap?: ColormapName;
      /** default: the values' min and max */
      vmin?: number;
      vmax?: number;
    }
  | { kind: 'categorical'; label?: string; categories: string[]; colors?: string[] }
  /** one colour, no key (plain spots) */
  | { kind: 'plain'; color: string };

/** One drawn layer: geometry, how it is coloured, and its opacity (default 0.9). */
export interface FigureLayer {
  layer: SpotsLayer | RasterLayer;
  color: FigureColor;
  opacity?: number;
}

export interface FigureSpec {
  width: number;
  height: number;
  title?: string;
  umPerPx: number;
  image?: ImageRef;
  /** 0 hides the slide (default 1) */
  slideOpacity?: number;
  /** part of the slide to show, full-res px; default: the data's bounding box plus a margin */
  region?: { x: number; y: number; width: number; height: number };
  /** bottom to top */
  layers: FigureLayer[];
  /** a drawn region's rings (full-res px), stroked in its colour */
  outline?: { rings: [number, number][][]; color: string };
  /** pixels per inch (default 300): PNG pHYs, the SVG's and PDF's physical size */
  dpi?: number;
  /** false: no scale bar (side-by-side panels draw one for all) */
  scalebar?: boolean;
  /** the title's font size instead of one fitted to the width (panels share one, so their plots align) */
  titleFontSize?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The key of one layer in the panel right of the plot: a colour bar or a legend. */
export type FigureKey =
  | {
      kind: 'colorbar';
      layer: number;
      label: string;
      /** the label wrapped to the panel, drawn above the bar */
      lines: string[];
      box: Box;
      vmin: number;
      vmax: number;
      colormap: ColormapName;
    }
  | {
      kind: 'legend';
      layer: number;
      label?: string;
      lines: string[];
      /** baseline of the label's last line */
      titleY: number;
      swatches: Box[];
      fontSize: number;
    };

export interface FigureLayout {
  width: number;
  height: number;
  fontSize: number;
  title?: Box & { fontSize: number };
  /** where the slide region is drawn */
  plot: Box;
  /** output px per full-res px */
  scale: number;
  region: { x: number; y: number; width: number; height: number };
  /** top layer's key first */
  keys: FigureKey[];
  /** absent when the spec asks for none */
  scalebar?: Box & { um: number };
}

function dataBounds(layers: FigureLayer[]): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const { layer } of layers) {
    if (layer.kind === 'raster') {
      const g = layer.grid;
      if (g.height === 0 || g.width === 0) continue;
      x0 = Math.min(x0, g.originX);
      y0 = Math.min(y0, g.originY);
      x1 = Math.max(x1, g.originX + g.width * g.sizePx);
      y1 = Math.max(y1, g.originY + g.height * g.sizePx);
      continue;
    }
    const r = layer.diameterPx / 2;
    for (let i = 0; i < layer.x.length; i++) {
      x0 = Math.min(x0, layer.x[i]! - r);
      x1 = Math.max(x1, layer.x[i]! + r);
      y0 = Math.min(y0, layer.y[i]! - r);
      y1 = Math.max(y1, layer.y[i]! + r);
    }
  }
  if (!(x1 > x0 && y1 > y0)) throw new Error('the figure has nothing to draw: no layer has data');
  return { x0, y0, x1, y1 };
}

function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** 1, 2 or 5 × 10^k µm, the largest not above `target`. */
export function niceLength(target: number): number {
  const p = 10 ** Math.floor(Math.log10(target));
  for (const m of [5, 2, 1]) if (m * p <= target) return m * p;
  return p;
}

/** Average advance of DejaVu Sans (bold) per em: enough to keep a line inside its box. */
const EM_PER_CHAR = 0.64;

/** Words of `text` in lines of at most `width` px at `fontSize` (a longer word keeps its own line). */
export function wrapText(text: string, width: number, fontSize: number): string[] {
  const max = Math.max(1, Math.floor(width / (fontSize * EM_PER_CHAR)));
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= max)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.length ? lines : [''];
}

/** The font size at which `text` fits `width` px, at most `max`. */
export function fitFont(text: string, width: number, max: number): number {
  return Math.max(6, Math.min(max, Math.floor(width / Math.max(1, text.length * EM_PER_CHAR))));
}

/** The text size of a figure of W × H px (titles, ticks, legends scale from it). */
export function baseFontSize(W: number, H: number): number {
  return Math.max(10, Math.round(Math.min(W, H) * 0.025));
}

/** The largest title font of a figure (or panel) `W` px wide at base size `fontSize`. */
export function titleFontFor(title: string, W: number, fontSize: number): number {
  return fitFont(title, W - 2 * Math.round(fontSize * 1.2), Math.round(fontSize * 1.3));
}

/** What a figure shows without a chosen region: the layers' data plus a 3 % margin. */
export function defaultRegion(layers: FigureLayer[]): FigureLayout['region'] {
  const b = dataBounds(layers);
  const margin = 0.03 * Math.max(b.x1 - b.x0, b.y1 - b.y0);
  return {
    x: b.x0 - margin,
    y: b.y0 - margin,
    width: b.x1 - b.x0 + 2 * margin,
    height: b.y1 - b.y0 + 2 * margin,
  };
}

export function figureLayout(spec: FigureSpec): FigureLayout {
  const W = Math.round(spec.width);
  const H = Math.round(spec.height);
  if (!(W >= 100 && H >= 100 && W <= 20000 && H <= 20000))
    throw new Error(`figure size ${W}×${H} is out of range`);
  const fontSize = baseFontSize(W, H);
  const pad = Math.round(fontSize * 1.2);
  const titleFont = spec.title ? (spec.titleFontSize ?? titleFontFor(spec.title, W, fontSize)) : 0;
  const titleH = spec.title ? Math.round(Math.max(titleFont, fontSize) * 2.2) : 0;
  const panelW = Math.max(Math.round(W * 0.2), fontSize * 8);
  const region = spec.region ?? defaultRegion(spec.layers);
  const avail = { x: pad, y: titleH + pad, w: W - panelW - 2 * pad, h: H - titleH - 2 * pad };
  if (avail.w < 20 || avail.h < 20) throw new Error('figure too small for its title and legend');
  const scale = Math.min(avail.w / region.width, avail.h / region.height);
  const pw = Math.max(1, Math.round(region.width * scale));
  const ph = Math.max(1, Math.round(region.height * scale));
  const plot = {
    x: avail.x + Math.floor((avail.w - pw) / 2),
    y: avail.y + Math.floor((avail.h - ph) / 2),
    w: pw,
    h: ph,
  };
  const um = niceLength(((0.25 * pw) / scale) * spec.umPerPx);
  const barW = Math.max(1, Math.round((um / spec.umPerPx) * scale));
  const barH = Math.max(3, Math.round(fontSize * 0.4));
  const keys = layoutKeys(
    spec,
    {
      x: W - panelW + fontSize,
      y: avail.y + fontSize * 2,
      w: panelW - 2 * fontSize,
      h: H - avail.y - fontSize * 2 - pad,
    },
    fontSize,
  );
  const layout: FigureLayout = {
    width: W,
    height: H,
    fontSize,
    plot,
    scale,
    region,
    keys,
  };
  if (spec.scalebar !== false)
    layout.scalebar = { x: plot.x + pad * 0.5, y: plot.y + plot.h - pad * 0.5 - barH, w: barW, h: barH, um };
  if (spec.title) layout.title = { x: 0, y: 0, w: W, h: titleH, fontSize: titleFont };
  return layout;
}

/**
 * The keys stacked down the right panel, top layer first. Colour bars are a fixed share of the
 * panel; legends take one row per category. When they do not fit, rows and bars shrink together
 * (down to half size) rather than run off the figure.
 */
function layoutKeys(spec: FigureSpec, panel: Box, fontSize: number): FigureKey[] {
  const order = spec.layers
    .map((l, i) => ({ l, i }))
    .reverse()
    .filter(({ l }) => l.color.kind !== 'plain');
  const barH = Math.min(fontSize * 10, panel.h * 0.45);
  const gap = fontSize * 2.6;
  const lineH = fontSize * 1.2;
  const labelOf = (c: FigureColor) => (c.kind === 'plain' ? '' : (c.label ?? ''));
  const linesOf = (c: FigureColor) => (labelOf(c) ? wrapText(labelOf(c), panel.w, fontSize) : []);
  // labels and gaps keep their size (text must stay legible); bars and legend rows give way
  const fixed = order.reduce((s, { l }) => s + gap + Math.max(0, linesOf(l.color).length - 1) * lineH, 0);
  const flexible = order.reduce(
    (s, { l }) => s + (l.color.kind === 'categorical' ? l.color.categories.length * fontSize * 1.6 : barH),
    0,
  );
  const k = Math.max(0.5, Math.min(1, (panel.h - fixed) / Math.max(1, flexible)));
  const fs = Math.max(6, Math.round(fontSize * k));
  const keys: FigureKey[] = [];
  let y = panel.y;
  for (const { l, i } of order) {
    const c = l.color;
    const lines = linesOf(c);
    y += Math.max(0, lines.length - 1) * lineH;
    if (c.kind === 'continuous') {
      const [lo, hi] = range(l.layer.values);
      const h = Math.round(barH * k);
      keys.push({
        kind: 'colorbar',
        layer: i,
        label: c.label,
        lines,
        box: { x: panel.x, y: Math.round(y), w: Math.round(fontSize * 1.2), h },
        vmin: c.vmin ?? lo,
        vmax: c.vmax ?? hi,
        colormap: c.colormap ?? 'viridis',
      });
      y += h + gap;
    } else if (c.kind === 'categorical') {
      const step = Math.round(fs * 1.6);
      const sw = Math.round(fs * 1.1);
      keys.push({
        kind: 'legend',
        layer: i,
        ...(c.label ? { label: c.label } : {}),
        lines,
        titleY: Math.round(y - fs * 0.8),
        swatches: c.categories.map((_, j) => ({ x: panel.x, y: Math.round(y + j * step), w: sw, h: sw })),
        fontSize: fs,
      });
      y += c.categories.length * step + gap;
    }
  }
  return keys;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tick labels as the viewer's colour bar writes them (two decimals), so the two can be compared. */
export function tickLabel(v: number): string {
  return v.toFixed(2);
}

type Rgb = [number, number, number];

function colourFn(l: FigureLayer, key: FigureKey | undefined): (v: number) => Rgb | undefined {
  const c = l.color;
  if (c.kind === 'plain') {
    const rgb = parseHex(c.color);
    return () => rgb;
  }
  if (c.kind === 'continuous') {
    const k = key?.kind === 'colorbar' ? key : undefined;
    const [lo, hi] = k ? [k.vmin, k.vmax] : range(l.layer.values);
    const span = hi - lo || 1;
    const map = c.colormap ?? 'viridis';
    return (v) => {
      if (!Number.isFinite(v)) return undefined;
      const [r, g, b] = colorAt(map, (v - lo) / span);
      return [Math.round(r), Math.round(g), Math.round(b)];
    };
  }
  const rgb = c.categories.map((_, i) =>
    parseHex(c.colors?.[i] ?? DEFAULT_PALETTE[i % DEFAULT_PALETTE.length]!),
  );
  return (v) => (v >= 0 && Number.isInteger(v) ? rgb[v] : undefined);
}

const keyOf = (L: FigureLayout, i: number) => L.keys.find((k) => k.layer === i);

/** The slide region resized to the plot box, over white at the slide's opacity (PNG; none without an image). */
async function slidePng(spec: FigureSpec, L: FigureLayout): Promise<Buffer | undefined> {
  const im = spec.image;
  const opacity = spec.slideOpacity ?? 1;
  if (!im || opacity <= 0) return undefined;
  const k = im.scaleToFullRes;
  // region in image px, clipped to the image
  const left = Math.max(0, Math.floor(L.region.x / k));
  const top = Math.max(0, Math.floor(L.region.y / k));
  const right = Math.min(im.width, Math.ceil((L.region.x + L.region.width) / k));
  const bottom = Math.min(im.height, Math.ceil((L.region.y + L.region.height) / k));
  if (right <= left || bottom <= top) return undefined;
  const ox = Math.round((left * k - L.region.x) * L.scale);
  const oy = Math.round((top * k - L.region.y) * L.scale);
  const w = Math.max(1, Math.min(L.plot.w - Math.max(0, ox), Math.round((right - left) * k * L.scale)));
  const h = Math.max(1, Math.min(L.plot.h - Math.max(0, oy), Math.round((bottom - top) * k * L.scale)));
  let part = sharp(im.path, { limitInputPixels: false })
    .extract({ left, top, width: right - left, height: bottom - top })
    .removeAlpha()
    .resize(w, h, { fit: 'fill' });
  if (opacity < 1) part = part.ensureAlpha(opacity);
  const partPng = await part
    .png()
    .toBuffer()
    .catch((cause: unknown) => {
      throw decodeFailure(im.path, cause);
    });
  // place it on a white plot-sized canvas so both outputs share one image of the plot box
  return sharp({ create: { width: L.plot.w, height: L.plot.h, channels: 3, background: '#ffffff' } })
    .composite([{ input: partPng, left: Math.max(0, ox), top: Math.max(0, oy) }])
    .png()
    .toBuffer();
}

/** A raster layer drawn at plot resolution (nearest cell per output pixel), as RGBA PNG. */
async function rasterPng(L: FigureLayout, l: FigureLayer, key: FigureKey | undefined): Promise<Buffer> {
  const { plot, region, scale } = L;
  const layer = l.layer as RasterLayer;
  const g = layer.grid;
  const colour = colourFn(l, key);
  const alpha = Math.round(255 * (l.opacity ?? 0.9));
  const buf = Buffer.alloc(plot.w * plot.h * 4);
  const cellRgb: (Rgb | undefined)[] = new Array(g.height * g.width);
  for (let k = 0; k < g.cellToIndex.length; k++) {
    const i = g.cellToIndex[k]!;
    cellRgb[k] = i >= 0 ? colour(layer.values[i]!) : undefined;
  }
  for (let py = 0; py < plot.h; py++) {
    const fy = region.y + (py + 0.5) / scale;
    const r = Math.floor((fy - g.originY) / g.sizePx);
    if (r < 0 || r >= g.height) continue;
    for (let px = 0; px < plot.w; px++) {
      const fx = region.x + (px + 0.5) / scale;
      const c = Math.floor((fx - g.originX) / g.sizePx);
      if (c < 0 || c >= g.width) continue;
      const rgb = cellRgb[r * g.width + c];
      if (!rgb) continue;
      const o = (py * plot.w + px) * 4;
      buf[o] = rgb[0];
      buf[o + 1] = rgb[1];
      buf[o + 2] = rgb[2];
      buf[o + 3] = alpha;
    }
  }
  return sharp(buf, { raw: { width: plot.w, height: plot.h, channels: 4 } })
    .png()
    .toBuffer();
}

const FONT = `font-family="DejaVu Sans, Arial, Helvetica, sans-serif"`;

function spotsSvg(L: FigureLayout, l: FigureLayer, key: FigureKey | undefined, ids: string): string {
  const layer = l.layer as SpotsLayer;
  const colour = colourFn(l, key);
  const r = Math.max(0.5, (layer.diameterPx / 2) * L.scale);
  const parts = [`<g fill-opacity="${l.opacity ?? 0.9}" stroke="none" clip-path="url(#${ids}plot)">`];
  for (let i = 0; i < layer.x.length; i++) {
    const rgb = colour(layer.values[i]!);
    if (!rgb) continue;
    const cx = L.plot.x + (layer.x[i]! - L.region.x) * L.scale;
    const cy = L.plot.y + (layer.y[i]! - L.region.y) * L.scale;
    if (
      cx < L.plot.x - r ||
      cy < L.plot.y - r ||
      cx > L.plot.x + L.plot.w + r ||
      cy > L.plot.y + L.plot.h + r
    )
      continue;
    parts.push(
      `<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="${r.toFixed(2)}" fill="${hex(rgb)}"/>`,
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

function keySvg(
  spec: FigureSpec,
  L: FigureLayout,
  key: FigureKey,
  id: string,
): { defs: string; body: string } {
  const fs = L.fontSize;
  const parts: string[] = [];
  let defs = '';
  if (key.kind === 'colorbar') {
    const b = key.box;
    const stops = COLORMAP_STOPS[key.colormap];
    // top = vmax, bottom = vmin, with the map's own stops
    const grad = stops
      .map(
        (s, i) =>
          `<stop offset="${(1 - i / (stops.length - 1)).toFixed(4)}" stop-color="${hex([s[0], s[1], s[2]])}"/>`,
      )
      .reverse();
    defs += `<linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${grad.join('')}</linearGradient>`;
    const avail = L.width - b.x - fs * 0.5;
    const lf = Math.min(...key.lines.map((t) => fitFont(t, avail, fs)));
    key.lines.forEach((t, j) =>
      parts.push(
        `<text x="${b.x}" y="${(b.y - fs * 0.8 - (key.lines.length - 1 - j) * fs * 1.2).toFixed(1)}" font-size="${lf}" ${FONT} fill="#000">${xml(t)}</text>`,
      ),
    );
    parts.push(
      `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="url(#${id})" stroke="#444" stroke-width="1"/>`,
    );
    for (const t of [0, 0.5, 1]) {
      const y = b.y + b.h * (1 - t);
      const v = key.vmin + (key.vmax - key.vmin) * t;
      parts.push(`<line x1="${b.x + b.w}" y1="${y}" x2="${b.x + b.w + fs * 0.4}" y2="${y}" stroke="#000"/>`);
      parts.push(
        `<text x="${b.x + b.w + fs * 0.6}" y="${y + fs * 0.35}" font-size="${fs}" ${FONT} fill="#000" data-tick="${t}">${tickLabel(v)}</text>`,
      );
    }
  } else {
    const c = spec.layers[key.layer]!.color;
    if (c.kind !== 'categorical') return { defs, body: '' };
    const f = key.fontSize;
    const x0 = key.swatches[0]?.x ?? 0;
    const tf = Math.min(...key.lines.map((t) => fitFont(t, L.width - x0 - f * 0.5, f)));
    key.lines.forEach((t, j) =>
      parts.push(
        `<text x="${x0}" y="${(key.titleY - (key.lines.length - 1 - j) * f * 1.2).toFixed(1)}" font-size="${tf}" font-weight="bold" ${FONT} fill="#000">${xml(t)}</text>`,
      ),
    );
    key.swatches.forEach((b, i) => {
      const col = c.colors?.[i] ?? DEFAULT_PALETTE[i % DEFAULT_PALETTE.length]!;
      parts.push(
        `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="${col}" stroke="#444" stroke-width="0.5"/>`,
      );
      parts.push(
        `<text x="${b.x + b.w + f * 0.5}" y="${b.y + b.h * 0.85}" font-size="${f}" ${FONT} fill="#000">${xml(c.categories[i]!)}</text>`,
      );
    });
  }
  return { defs, body: parts.join('\n') };
}

/**
 * Everything drawn as vectors: spot layers, the region outline, title, keys, scale bar. `ids`
 * prefixes the SVG ids, so several figures (side-by-side panels) can share one document.
 */
function overlaySvgParts(
  spec: FigureSpec,
  L: FigureLayout,
  withRasters: Map<number, Buffer> | null,
  ids = '',
) {
  const parts: string[] = [];
  let defs = `<clipPath id="${ids}plot"><rect x="${L.plot.x}" y="${L.plot.y}" width="${L.plot.w}" height="${L.plot.h}"/></clipPath>`;
  const fs = L.fontSize;
  spec.layers.forEach((l, i) => {
    if (l.layer.kind === 'spots') parts.push(spotsSvg(L, l, keyOf(L, i), ids));
    else if (withRasters?.has(i)) parts.push(imageTag(withRasters.get(i)!, L.plot, true));
  });
  if (spec.outline) {
    const d = spec.outline.rings
      .map(
        (ring) =>
          ring
            .map(
              ([x, y], j) =>
                `${j ? 'L' : 'M'}${(L.plot.x + (x - L.region.x) * L.scale).toFixed(1)},${(L.plot.y + (y - L.region.y) * L.scale).toFixed(1)}`,
            )
            .join('') + 'Z',
      )
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${xml(spec.outline.color)}" stroke-width="${Math.max(1.5, fs * 0.2).toFixed(1)}" fill-rule="evenodd" clip-path="url(#${ids}plot)"/>`,
    );
  }
  parts.push(
    `<rect x="${L.plot.x}" y="${L.plot.y}" width="${L.plot.w}" height="${L.plot.h}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  if (L.title && spec.title) parts.push(titleSvg(spec.title, L.title));
  L.keys.forEach((k, n) => {
    const p = keySvg(spec, L, k, `${ids}cbar${n}`);
    defs += p.defs;
    parts.push(p.body);
  });
  const s = L.scalebar;
  if (s) {
    parts.push(`<rect x="${s.x - 1}" y="${s.y - 1}" width="${s.w + 2}" height="${s.h + 2}" fill="#fff"/>`);
    parts.push(`<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" fill="#000"/>`);
    parts.push(
      `<text x="${s.x}" y="${s.y - fs * 0.4}" font-size="${fs}" ${FONT} fill="#000" stroke="#fff" stroke-width="${(fs / 6).toFixed(1)}" paint-order="stroke">${scaleLabel(s.um)}</text>`,
    );
  }
  return { defs, body: parts.join('\n') };
}

/** A title centred in its box (bold). */
export function titleSvg(text: string, box: Box & { fontSize: number }): string {
  return `<text x="${box.x + box.w / 2}" y="${box.y + Math.round(box.h * 0.68)}" text-anchor="middle" font-size="${box.fontSize}" font-weight="bold" ${FONT} fill="#000">${xml(text)}</text>`;
}

/** The scale bar's text: µm, or mm from 1000 µm. */
export function scaleLabel(um: number): string {
  return um >= 1000 ? `${um / 1000} mm` : `${um} µm`;
}

export function svgDoc(
  L: { width: number; height: number },
  dpi: number | null,
  defs: string,
  images: string,
  body: string,
  background: boolean,
): string {
  // physical size from the DPI (journals ask for mm at a resolution); the viewBox stays in px
  const size =
    dpi === null
      ? `width="${L.width}" height="${L.height}"`
      : `width="${((L.width / dpi) * 25.4).toFixed(2)}mm" height="${((L.height / dpi) * 25.4).toFixed(2)}mm"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ${size} viewBox="0 0 ${L.width} ${L.height}">`,
    defs ? `<defs>${defs}</defs>` : '',
    background ? `<rect width="100%" height="100%" fill="#ffffff"/>` : '',
    images,
    body,
    `</svg>`,
  ].join('\n');
}

export function imageTag(png: Buffer, b: Box, pixelated: boolean): string {
  return `<image x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" preserveAspectRatio="none"${pixelated ? ' style="image-rendering:pixelated"' : ''} href="data:image/png;base64,${png.toString('base64')}"/>`;
}

async function rasters(spec: FigureSpec, L: FigureLayout): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for (const [i, l] of spec.layers.entries())
    if (l.layer.kind === 'raster') out.set(i, await rasterPng(L, l, keyOf(L, i)));
  return out;
}

/**
 * One figure's drawn parts in its own coordinates: the slide resized to the plot box (PNG, none
 * without an image) and the vector overlay with the rasters embedded between the spot layers.
 */
export async function figureParts(
  spec: FigureSpec,
  L: FigureLayout,
  ids = '',
): Promise<{ slide: Buffer | undefined; defs: string; body: string }> {
  const { defs, body } = overlaySvgParts(spec, L, await rasters(spec, L), ids);
  return { slide: await slidePng(spec, L), defs, body };
}

export async function renderFigureSvg(spec: FigureSpec): Promise<string> {
  const L = figureLayout(spec);
  const { slide, defs, body } = await figureParts(spec, L);
  return svgDoc(L, spec.dpi ?? null, defs, slide ? imageTag(slide, L.plot, false) : '', body, true);
}

/**
 * A figure as one PNG: the slide crops (PNG) at their boxes on white, under the overlay SVG (keys,
 * spots, rasters, text), at the figure's DPI. The SVG is rasterised by sharp (librsvg) so the PNG
 * and the SVG export draw the same thing.
 */
export function flattenFigure(
  size: { width: number; height: number },
  slides: { png: Buffer; x: number; y: number }[],
  overlaySvg: string,
  dpi: number | undefined,
): Promise<Buffer> {
  const layers: OverlayOptions[] = slides.map((s) => ({ input: s.png, left: s.x, top: s.y }));
  layers.push({ input: Buffer.from(overlaySvg), left: 0, top: 0 });
  return sharp({ create: { width: size.width, height: size.height, channels: 4, background: '#ffffff' } })
    .composite(layers)
    .withMetadata({ density: dpi ?? 300 })
    .png()
    .toBuffer();
}

/** Writes a figure as .png, .svg or .pdf (by the extension of `out`), atomically. */
export async function writeFigureFormat(
  out: string,
  dpi: number | undefined,
  render: { png: () => Promise<Buffer>; svg: () => Promise<string> },
): Promise<void> {
  const ext = extname(out).toLowerCase();
  if (ext === '.png') writeFileAtomic(out, await render.png());
  else if (ext === '.svg') writeFileAtomic(out, Buffer.from(await render.svg(), 'utf8'));
  else if (ext === '.pdf') writeFileAtomic(out, await pdfOfPng(await render.png(), dpi ?? 300));
  else throw new Error(`figure format "${ext}" is not supported (use .png, .svg or .pdf)`);
}

export async function renderFigurePng(spec: FigureSpec): Promise<Buffer> {
  const L = figureLayout(spec);
  const { slide, defs, body } = await figureParts(spec, L);
  // rasters and spots keep their order: the overlay SVG embeds the rasters between the spot layers
  const slides = slide ? [{ png: slide, x: L.plot.x, y: L.plot.y }] : [];
  return flattenFigure(L, slides, svgDoc(L, null, defs, '', body, false), spec.dpi);
}

/** Writes .png, .svg or .pdf (by extension) atomically. */
export async function writeFigure(
  spec: FigureSpec,
  out: string,
): Promise<{ path: string; width: number; height: number; layout: FigureLayout }> {
  await writeFigureFormat(out, spec.dpi, {
    png: () => renderFigurePng(spec),
    svg: () => renderFigureSvg(spec),
  });
  return {
    path: out,
    width: Math.round(spec.width),
    height: Math.round(spec.height),
    layout: figureLayout(spec),
  };
}

/**
 * A spot figure spec from a sample: coloured by a gene's log1p(CP10k) (continuous) or by a
 * categorical column (annotation name or a given domain).
 */
export function spotFigure(
  sample: Sample,
  by:
    | { gene: string }
    | { annotation: string }
    | { domain: { name: string; codes: ArrayLike<number>; categories: string[]; colors?: string[] } },
  size: { width: number; height: number; title?: string },
): FigureSpec {
  const base = {
    ...size,
    umPerPx: sample.umPerPx,
    ...(sample.image ? { image: sample.image } : {}),
  };
  const layerOf = (values: ArrayLike<number>): SpotsLayer => ({
    kind: 'spots',
    x: sample.spots.map((s) => s.x),
    y: sample.spots.map((s) => s.y),
    diameterPx: sample.spotDiameterUm / sample.umPerPx,
    values,
  });
  if ('gene' in by) {
    const [col] = geneColumns(sample.genes, [by.gene]);
    const m = logNormalize(sample.counts);
    const v = new Float64Array(sample.spots.length);
    for (let r = 0; r < m.nRows; r++)
      for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) if (m.indices[k] === col) v[r] = m.data[k]!;
    return {
      ...base,
      layers: [{ layer: layerOf(v), color: { kind: 'continuous', label: `${by.gene} log1p CP10k` } }],
    };
  }
  if ('annotation' in by) {
    const labels = sample.annotations?.[by.annotation];
    if (!labels) throw new Error(`sample has no annotation "${by.annotation}"`);
    const categories = [...new Set(labels.filter((l) => l))].sort((a, b) => a.localeCompare(b));
    const idx = new Map(categories.map((c, i) => [c, i]));
    const codes = labels.map((l) => idx.get(l) ?? -1);
    return {
      ...base,
      layers: [{ layer: layerOf(codes), color: { kind: 'categorical', label: by.annotation, categories } }],
    };
  }
  const d = by.domain;
  return {
    ...base,
    layers: [
      {
        layer: layerOf(d.codes),
        color: {
          kind: 'categorical',
          label: d.name,
          categories: d.categories,
          ...(d.colors ? { colors: d.colors } : {}),
        },
      },
    ],
  };
}

/** One gene's SR values, read block by block from the source (memory: one block + n floats). */
export async function srGeneValues(input: SrExportInput, gene: string): Promise<Float32Array> {
  const [col] = geneColumns(input.genes, [gene]);
  const src = input.expression;
  const out = new Float32Array(src.nRows);
  const step = Math.max(1, Math.floor((1 << 22) / Math.max(1, src.nCols)));
  for (let a = 0; a < src.nRows; a += step) {
    const b = Math.min(src.nRows, a + step);
    const block = await src.readRows(a, b);
    for (let i = a; i < b; i++) out[i] = block[(i - a) * src.nCols + col!]!;
  }
  return out;
}

/** An SR raster figure spec: a gene (continuous) or one of the input's domain columns. */
export async function srFigure(
  input: SrExportInput,
  by: { gene: string } | { domain: string },
  size: { width: number; height: number; title?: string },
): Promise<FigureSpec> {
  const grid = gridOf(input.superpixels, input.umPerPx);
  const base = { ...size, umPerPx: input.umPerPx, ...(input.image ? { image: input.image } : {}) };
  if ('gene' in by) {
    const values = await srGeneValues(input, by.gene);
    return {
      ...base,
      layers: [{ layer: { kind: 'raster', grid, values }, color: { kind: 'continuous', label: by.gene } }],
    };
  }
  const d = input.domains?.[by.domain];
  if (!d) throw new Error(`no domain column "${by.domain}"`);
  return {
    ...base,
    layers: [
      {
        layer: { kind: 'raster', grid, values: d.codes },
        color: {
          kind: 'categorical',
          label: by.domain,
          categories: d.categories,
          ...(d.colors ? { colors: d.colors } : {}),
        },
      },
    ],
  };
}

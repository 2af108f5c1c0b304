/**
 * Publication figures at a chosen output size, independent of any viewport: the slide (cropped to
 * the data), spots or an SR raster coloured by a gene (viridis + colour bar) or by categorical
 * domains (legend), a scale bar in µm and a title.
 *
 * SVG is built by hand (slide and raster embedded as base64 PNGs at the drawn size); the PNG is the
 * same SVG overlay composited by sharp (librsvg) over the resized slide, so both look alike.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { extname } from 'node:path';
import { decodeFailure } from '../io/problems';
import type { ImageRef, Sample } from '../io/sample';
import { writeFileAtomic } from '../store/atomic-file';
import { DEFAULT_PALETTE, VIRIDIS_STOPS, hex, parseHex, viridis } from './colormap';
import { geneColumns } from './csv';
import { logNormalize } from '../analysis/normalise';
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
  | { kind: 'continuous'; label: string; vmin?: number; vmax?: number }
  | { kind: 'categorical'; label?: string; categories: string[]; colors?: string[] };

export interface FigureSpec {
  width: number;
  height: number;
  title?: string;
  umPerPx: number;
  image?: ImageRef;
  /** part of the slide to show, full-res px; default: the data's bounding box plus a margin */
  region?: { x: number; y: number; width: number; height: number };
  layer: SpotsLayer | RasterLayer;
  color: FigureColor;
  /** layer opacity (default 0.9) */
  opacity?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FigureLayout {
  width: number;
  height: number;
  fontSize: number;
  title?: Box;
  /** where the slide region is drawn */
  plot: Box;
  /** output px per full-res px */
  scale: number;
  region: { x: number; y: number; width: number; height: number };
  colorbar?: Box;
  /** one swatch per category */
  legend?: Box[];
  scalebar: Box & { um: number };
  vmin: number;
  vmax: number;
}

function dataBounds(layer: SpotsLayer | RasterLayer): { x0: number; y0: number; x1: number; y1: number } {
  if (layer.kind === 'raster') {
    const g = layer.grid;
    return { x0: g.x0, y0: g.y0, x1: g.x0 + g.cols * g.cellPx, y1: g.y0 + g.rows * g.cellPx };
  }
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < layer.x.length; i++) {
    x0 = Math.min(x0, layer.x[i]!);
    x1 = Math.max(x1, layer.x[i]!);
    y0 = Math.min(y0, layer.y[i]!);
    y1 = Math.max(y1, layer.y[i]!);
  }
  const r = layer.diameterPx / 2;
  return { x0: x0 - r, y0: y0 - r, x1: x1 + r, y1: y1 + r };
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

export function figureLayout(spec: FigureSpec): FigureLayout {
  const W = Math.round(spec.width);
  const H = Math.round(spec.height);
  if (!(W >= 100 && H >= 100 && W <= 20000 && H <= 20000))
    throw new Error(`figure size ${W}×${H} is out of range`);
  const fontSize = Math.max(10, Math.round(Math.min(W, H) * 0.025));
  const pad = Math.round(fontSize * 1.2);
  const titleH = spec.title ? Math.round(fontSize * 2.2) : 0;
  const panelW = Math.max(Math.round(W * 0.2), fontSize * 8);
  const b = dataBounds(spec.layer);
  const margin = 0.03 * Math.max(b.x1 - b.x0, b.y1 - b.y0);
  const region = spec.region ?? {
    x: b.x0 - margin,
    y: b.y0 - margin,
    width: b.x1 - b.x0 + 2 * margin,
    height: b.y1 - b.y0 + 2 * margin,
  };
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
  const panelX = W - panelW;
  const [vmin0, vmax0] = spec.color.kind === 'continuous' ? range(spec.layer.values) : [0, 1];
  const vmin = spec.color.kind === 'continuous' ? (spec.color.vmin ?? vmin0) : 0;
  const vmax = spec.color.kind === 'continuous' ? (spec.color.vmax ?? vmax0) : 1;
  const um = niceLength(((0.25 * pw) / scale) * spec.umPerPx);
  const barW = Math.max(1, Math.round((um / spec.umPerPx) * scale));
  const barH = Math.max(3, Math.round(fontSize * 0.4));
  const layout: FigureLayout = {
    width: W,
    height: H,
    fontSize,
    plot,
    scale,
    region,
    scalebar: { x: plot.x + pad * 0.5, y: plot.y + plot.h - pad * 0.5 - barH, w: barW, h: barH, um },
    vmin,
    vmax,
  };
  if (spec.title) layout.title = { x: 0, y: 0, w: W, h: titleH };
  const top = plot.y + fontSize * 2;
  if (spec.color.kind === 'continuous') {
    layout.colorbar = {
      x: panelX + fontSize,
      y: top,
      w: Math.round(fontSize * 1.2),
      h: Math.round(Math.min(plot.h * 0.6, H - top - pad)),
    };
  } else {
    const step = Math.round(fontSize * 1.6);
    const sw = Math.round(fontSize * 1.1);
    layout.legend = spec.color.categories.map((_, i) => ({
      x: panelX + fontSize,
      y: top + i * step,
      w: sw,
      h: sw,
    }));
  }
  return layout;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || v === Math.round(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(3);
}

type Rgb = [number, number, number];

function colourFn(spec: FigureSpec, layout: FigureLayout): (v: number) => Rgb | undefined {
  const c = spec.color;
  if (c.kind === 'continuous') {
    const span = layout.vmax - layout.vmin || 1;
    return (v) => (Number.isFinite(v) ? viridis((v - layout.vmin) / span) : undefined);
  }
  const rgb = c.categories.map((_, i) =>
    parseHex(c.colors?.[i] ?? DEFAULT_PALETTE[i % DEFAULT_PALETTE.length]!),
  );
  return (v) => (v >= 0 && Number.isInteger(v) ? rgb[v] : undefined);
}

/** The slide region resized to the plot box, as PNG (undefined when there is no image). */
async function slidePng(spec: FigureSpec, L: FigureLayout): Promise<Buffer | undefined> {
  const im = spec.image;
  if (!im) return undefined;
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
  const part = await sharp(im.path, { limitInputPixels: false })
    .extract({ left, top, width: right - left, height: bottom - top })
    .removeAlpha()
    .resize(w, h, { fit: 'fill' })
    .png()
    .toBuffer()
    .catch((cause: unknown) => {
      throw decodeFailure(im.path, cause);
    });
  // place it on a white plot-sized canvas so both outputs share one image of the plot box
  return sharp({ create: { width: L.plot.w, height: L.plot.h, channels: 3, background: '#ffffff' } })
    .composite([{ input: part, left: Math.max(0, ox), top: Math.max(0, oy) }])
    .png()
    .toBuffer();
}

/** The SR raster drawn at plot resolution (nearest cell per output pixel), as RGBA PNG. */
async function rasterPng(spec: FigureSpec, L: FigureLayout, layer: RasterLayer): Promise<Buffer> {
  const { plot, region, scale } = L;
  const g = layer.grid;
  const colour = colourFn(spec, L);
  const alpha = Math.round(255 * (spec.opacity ?? 0.9));
  const buf = Buffer.alloc(plot.w * plot.h * 4);
  const cellRgb: (Rgb | undefined)[] = new Array(g.rows * g.cols);
  for (let k = 0; k < g.cellToIndex.length; k++) {
    const i = g.cellToIndex[k]!;
    cellRgb[k] = i >= 0 ? colour(layer.values[i]!) : undefined;
  }
  for (let py = 0; py < plot.h; py++) {
    const fy = region.y + (py + 0.5) / scale;
    const r = Math.floor((fy - g.y0) / g.cellPx);
    if (r < 0 || r >= g.rows) continue;
    for (let px = 0; px < plot.w; px++) {
      const fx = region.x + (px + 0.5) / scale;
      const c = Math.floor((fx - g.x0) / g.cellPx);
      if (c < 0 || c >= g.cols) continue;
      const rgb = cellRgb[r * g.cols + c];
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

/** Everything drawn as vectors: spots, title, colour bar or legend, scale bar. */
function overlaySvgParts(spec: FigureSpec, L: FigureLayout): { defs: string; body: string } {
  const parts: string[] = [];
  let defs = '';
  const fs = L.fontSize;
  const font = `font-family="DejaVu Sans, Arial, Helvetica, sans-serif"`;
  if (spec.layer.kind === 'spots') {
    const layer = spec.layer;
    const colour = colourFn(spec, L);
    const r = Math.max(0.5, (layer.diameterPx / 2) * L.scale);
    const op = spec.opacity ?? 0.9;
    parts.push(`<g fill-opacity="${op}" stroke="none">`);
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
  }
  parts.push(
    `<rect x="${L.plot.x}" y="${L.plot.y}" width="${L.plot.w}" height="${L.plot.h}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  if (L.title && spec.title)
    parts.push(
      `<text x="${L.width / 2}" y="${Math.round(L.title.h * 0.68)}" text-anchor="middle" font-size="${Math.round(fs * 1.3)}" font-weight="bold" ${font} fill="#000">${xml(spec.title)}</text>`,
    );
  const c = spec.color;
  if (L.colorbar && c.kind === 'continuous') {
    const b = L.colorbar;
    // gradient from vmax (top) to vmin (bottom), with the same stops as the colour map
    const stops = VIRIDIS_STOPS.map(
      (s, i) =>
        `<stop offset="${(1 - i / (VIRIDIS_STOPS.length - 1)).toFixed(4)}" stop-color="${hex([s[0], s[1], s[2]])}"/>`,
    ).reverse();
    defs += `<linearGradient id="cbar" x1="0" y1="0" x2="0" y2="1">${stops.join('')}</linearGradient>`;
    parts.push(
      `<text x="${b.x}" y="${b.y - fs * 0.8}" font-size="${fs}" ${font} fill="#000">${xml(c.label)}</text>`,
    );
    parts.push(
      `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="url(#cbar)" stroke="#444" stroke-width="1"/>`,
    );
    for (const t of [0, 0.5, 1]) {
      const y = b.y + b.h * (1 - t);
      const v = L.vmin + (L.vmax - L.vmin) * t;
      parts.push(`<line x1="${b.x + b.w}" y1="${y}" x2="${b.x + b.w + fs * 0.4}" y2="${y}" stroke="#000"/>`);
      parts.push(
        `<text x="${b.x + b.w + fs * 0.6}" y="${y + fs * 0.35}" font-size="${fs}" ${font} fill="#000">${fmt(v)}</text>`,
      );
    }
  }
  if (L.legend && c.kind === 'categorical') {
    if (c.label && L.legend[0])
      parts.push(
        `<text x="${L.legend[0].x}" y="${L.legend[0].y - fs * 0.8}" font-size="${fs}" font-weight="bold" ${font} fill="#000">${xml(c.label)}</text>`,
      );
    L.legend.forEach((b, i) => {
      const col = c.colors?.[i] ?? DEFAULT_PALETTE[i % DEFAULT_PALETTE.length]!;
      parts.push(
        `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="${col}" stroke="#444" stroke-width="0.5"/>`,
      );
      parts.push(
        `<text x="${b.x + b.w + fs * 0.5}" y="${b.y + b.h * 0.85}" font-size="${fs}" ${font} fill="#000">${xml(c.categories[i]!)}</text>`,
      );
    });
  }
  const s = L.scalebar;
  const label = s.um >= 1000 ? `${s.um / 1000} mm` : `${s.um} µm`;
  parts.push(`<rect x="${s.x - 1}" y="${s.y - 1}" width="${s.w + 2}" height="${s.h + 2}" fill="#fff"/>`);
  parts.push(`<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" fill="#000"/>`);
  parts.push(
    `<text x="${s.x}" y="${s.y - fs * 0.4}" font-size="${fs}" ${font} fill="#000" stroke="#fff" stroke-width="${(fs / 6).toFixed(1)}" paint-order="stroke">${label}</text>`,
  );
  return { defs, body: parts.join('\n') };
}

function svgDoc(L: FigureLayout, defs: string, images: string, body: string, background: boolean): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}">`,
    defs ? `<defs>${defs}</defs>` : '',
    background ? `<rect width="100%" height="100%" fill="#ffffff"/>` : '',
    images,
    body,
    `</svg>`,
  ].join('\n');
}

function imageTag(png: Buffer, b: Box, pixelated: boolean): string {
  return `<image x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" preserveAspectRatio="none"${pixelated ? ' style="image-rendering:pixelated"' : ''} href="data:image/png;base64,${png.toString('base64')}"/>`;
}

export async function renderFigureSvg(spec: FigureSpec): Promise<string> {
  const L = figureLayout(spec);
  const { defs, body } = overlaySvgParts(spec, L);
  const slide = await slidePng(spec, L);
  const raster = spec.layer.kind === 'raster' ? await rasterPng(spec, L, spec.layer) : undefined;
  const images = [
    slide ? imageTag(slide, L.plot, false) : '',
    raster ? imageTag(raster, L.plot, true) : '',
  ].join('\n');
  return svgDoc(L, defs, images, body, true);
}

export async function renderFigurePng(spec: FigureSpec): Promise<Buffer> {
  const L = figureLayout(spec);
  const { defs, body } = overlaySvgParts(spec, L);
  const layers: OverlayOptions[] = [];
  const slide = await slidePng(spec, L);
  if (slide) layers.push({ input: slide, left: L.plot.x, top: L.plot.y });
  if (spec.layer.kind === 'raster')
    layers.push({ input: await rasterPng(spec, L, spec.layer), left: L.plot.x, top: L.plot.y });
  layers.push({ input: Buffer.from(svgDoc(L, defs, '', body, false)), left: 0, top: 0 });
  return sharp({ create: { width: L.width, height: L.height, channels: 4, background: '#ffffff' } })
    .composite(layers)
    .png()
    .toBuffer();
}

/** Writes .png or .svg (by extension) atomically. */
export async function writeFigure(
  spec: FigureSpec,
  out: string,
): Promise<{ path: string; width: number; height: number }> {
  const ext = extname(out).toLowerCase();
  if (ext === '.png') writeFileAtomic(out, await renderFigurePng(spec));
  else if (ext === '.svg') writeFileAtomic(out, Buffer.from(await renderFigureSvg(spec), 'utf8'));
  else throw new Error(`figure format "${ext}" is not supported (use .png or .svg)`);
  return { path: out, width: Math.round(spec.width), height: Math.round(spec.height) };
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
    return { ...base, layer: layerOf(v), color: { kind: 'continuous', label: `${by.gene} log1p(CP10k)` } };
  }
  if ('annotation' in by) {
    const labels = sample.annotations?.[by.annotation];
    if (!labels) throw new Error(`sample has no annotation "${by.annotation}"`);
    const categories = [...new Set(labels.filter((l) => l))].sort((a, b) => a.localeCompare(b));
    const idx = new Map(categories.map((c, i) => [c, i]));
    const codes = labels.map((l) => idx.get(l) ?? -1);
    return {
      ...base,
      layer: layerOf(codes),
      color: { kind: 'categorical', label: by.annotation, categories },
    };
  }
  const d = by.domain;
  return {
    ...base,
    layer: layerOf(d.codes),
    color: {
      kind: 'categorical',
      label: d.name,
      categories: d.categories,
      ...(d.colors ? { colors: d.colors } : {}),
    },
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
      layer: { kind: 'raster', grid, values },
      color: { kind: 'continuous', label: by.gene },
    };
  }
  const d = input.domains?.[by.domain];
  if (!d) throw new Error(`no domain column "${by.domain}"`);
  return {
    ...base,
    layer: { kind: 'raster', grid, values: d.codes },
    color: {
      kind: 'categorical',
      label: by.domain,
      categories: d.categories,
      ...(d.colors ? { colors: d.colors } : {}),
    },
  };
}

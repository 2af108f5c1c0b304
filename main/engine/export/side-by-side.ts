/**
 * Side-by-side figures: two or more panels (observed spots | an SR map of the same gene, as the
 * viewer's linked split view shows them) composed into one image. Every panel is an ordinary
 * figure (figure.ts) of the same size over the same slide region at the same scale, with its own
 * title and keys; one scale bar (in the first panel) serves all, and an optional title spans the
 * top. Composition only: each panel is laid out and drawn by figure.ts, then placed at its offset.
 */
import {
  baseFontSize,
  defaultRegion,
  figureLayout,
  figureParts,
  flattenFigure,
  imageTag,
  svgDoc,
  titleFontFor,
  titleSvg,
  type Box,
  type FigureLayer,
  type FigureLayout,
  type FigureSpec,
  writeFigureFormat,
} from './figure';

export interface FigurePanel {
  title: string;
  /** bottom to top, as in FigureSpec */
  layers: FigureLayer[];
}

/** What every panel shares (slide, region, outline, DPI) plus the panels, left to right. */
export interface SideBySideSpec extends Omit<FigureSpec, 'layers' | 'scalebar' | 'titleFontSize'> {
  panels: FigurePanel[];
}

export interface SideBySideLayout {
  width: number;
  height: number;
  /** the title across the top */
  title?: Box & { fontSize: number };
  /** the one slide region every panel shows (full-res px) */
  region: { x: number; y: number; width: number; height: number };
  /** left to right: where each panel sits and its layout in its own coordinates */
  panels: { x: number; y: number; spec: FigureSpec; layout: FigureLayout }[];
}

/** Panels side by side: equal widths, one region, one title font, so every plot box is the same. */
export function sideBySideLayout(spec: SideBySideSpec): SideBySideLayout {
  const n = spec.panels.length;
  if (n < 2 || n > 4) throw new Error(`a side-by-side figure has 2 to 4 panels, not ${n}`);
  const W = Math.round(spec.width);
  const H = Math.round(spec.height);
  if (!(W <= 20000 && H <= 20000)) throw new Error(`figure size ${W}×${H} is out of range`);
  const fontSize = baseFontSize(W, H);
  const titleFont = spec.title ? titleFontFor(spec.title, W, fontSize) : 0;
  const titleH = spec.title ? Math.round(Math.max(titleFont, fontSize) * 2.2) : 0;
  const pw = Math.floor(W / n);
  const ph = H - titleH;
  if (!(pw >= 100 && ph >= 100))
    throw new Error(`figure size ${W}×${H} is too small for ${n} panels of at least 100×100 px`);
  const region = spec.region ?? defaultRegion(spec.panels.flatMap((p) => p.layers));
  // the smallest fitted panel title font for all, so the plots below the titles line up
  const pf = baseFontSize(pw, ph);
  const panelTitleFont = Math.min(...spec.panels.map((p) => titleFontFor(p.title, pw, pf)));
  const { panels: _panels, title: _title, ...shared } = spec;
  const panels = spec.panels.map((p, i) => {
    const ps: FigureSpec = {
      ...shared,
      width: pw,
      height: ph,
      title: p.title,
      titleFontSize: panelTitleFont,
      region,
      layers: p.layers,
      scalebar: i === 0,
    };
    return { x: i * pw, y: titleH, spec: ps, layout: figureLayout(ps) };
  });
  const layout: SideBySideLayout = { width: W, height: H, region, panels };
  if (spec.title) layout.title = { x: 0, y: 0, w: W, h: titleH, fontSize: titleFont };
  return layout;
}

/** A box of panel `i` (its own coordinates) in the whole figure's pixels. */
export function inFigure(L: SideBySideLayout, i: number, b: Box): Box {
  const p = L.panels[i]!;
  return { x: b.x + p.x, y: b.y + p.y, w: b.w, h: b.h };
}

/** Each panel's slide images and overlay, translated to its place; ids are prefixed per panel. */
async function composed(spec: SideBySideSpec, L: SideBySideLayout) {
  const slides: { png: Buffer; box: Box }[] = [];
  let defs = '';
  const body: string[] = [];
  for (const [i, p] of L.panels.entries()) {
    const parts = await figureParts(p.spec, p.layout, `p${i}-`);
    if (parts.slide) slides.push({ png: parts.slide, box: inFigure(L, i, p.layout.plot) });
    defs += parts.defs;
    body.push(`<g transform="translate(${p.x},${p.y})">\n${parts.body}\n</g>`);
  }
  if (L.title && spec.title) body.push(titleSvg(spec.title, L.title));
  return { slides, defs, body: body.join('\n') };
}

export async function renderSideBySideSvg(spec: SideBySideSpec): Promise<string> {
  const L = sideBySideLayout(spec);
  const { slides, defs, body } = await composed(spec, L);
  const images = slides.map((s) => imageTag(s.png, s.box, false)).join('\n');
  return svgDoc(L, spec.dpi ?? null, defs, images, body, true);
}

export async function renderSideBySidePng(spec: SideBySideSpec): Promise<Buffer> {
  const L = sideBySideLayout(spec);
  const { slides, defs, body } = await composed(spec, L);
  const crops = slides.map((s) => ({ png: s.png, x: s.box.x, y: s.box.y }));
  return flattenFigure(L, crops, svgDoc(L, null, defs, '', body, false), spec.dpi);
}

/** Writes .png, .svg or .pdf (by extension) atomically. */
export async function writeSideBySide(
  spec: SideBySideSpec,
  out: string,
): Promise<{ path: string; layout: SideBySideLayout }> {
  await writeFigureFormat(out, spec.dpi, {
    png: () => renderSideBySidePng(spec),
    svg: () => renderSideBySideSvg(spec),
  });
  return { path: out, layout: sideBySideLayout(spec) };
}

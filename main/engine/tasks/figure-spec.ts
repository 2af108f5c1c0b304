/**
 * The figure the user asked for (a contract FigureRequest: the viewer's visible layers with their
 * colour maps, ranges and opacities, a view or a drawn region, size and DPI) as a FigureSpec of
 * the project's data: observed spots, SR maps through the run's reader, spot or superpixel domains
 * in their own colours, the pathologist labels in the viewer's palette, a region's outline. A
 * request with panels becomes a SideBySideSpec (the split view's observed | SR), and
 * writeRequestedFigure draws either and reports its keys as drawn.
 */
import { join } from 'node:path';
import type { FigureLayerRequest, FigureRequest } from '../../../preload/contract/schemas';
import { categoricalColor } from '../../../preload/contract/colormaps';
import { effectiveLabels } from '../analysis';
import { regionBounds, type RegionGeometry } from '../analysis/regions';
import { EngineError, badInput } from '../errors';
import {
  writeFigure,
  type Box,
  type FigureKey,
  type FigureLayer,
  type FigureSpec,
  type SpotsLayer,
} from '../export/figure';
import { inFigure, writeSideBySide, type SideBySideSpec } from '../export/side-by-side';
import type { LabelGrid } from '../export/sr-input';
import type { Sample } from '../io/sample';
import { srValueLabel } from '../layers';
import { methodLabel, openSuperpixels } from '../methods/registry';
import { parseRun } from '../methods/runs';
import { readArrayFile } from '../store/array-file';
import type { Project } from '../store/project';
import { getAnnotation } from '../store/repos/annotations';
import { getClustering } from '../store/repos/clusterings';
import { getRun } from '../store/repos/runs';
import { geneColumn } from '../service/sample-queries';

function findGene(sample: Sample, name: string): number {
  const q = name.trim().toLowerCase();
  const g = sample.genes.findIndex((x) => x.symbol.toLowerCase() === q || x.id.toLowerCase() === q);
  if (g < 0) throw new EngineError('NOT_FOUND', `Gene "${name}" is not in sample ${sample.name}.`);
  return g;
}

/** The viewer's colour of the pathologist labels: sorted names, the categorical palette in order. */
export function labelCategories(labels: readonly string[]): { categories: string[]; colors: string[] } {
  const categories = [...new Set(labels.filter((l) => l !== ''))].sort();
  return { categories, colors: categories.map((_, i) => categoricalColor(i)) };
}

/** One requested layer as drawn data, and the title a panel of it gets by default. */
function figureLayers(
  project: Project,
  sampleId: number,
  sample: Sample,
  requested: FigureLayerRequest[],
): { layers: FigureLayer[]; names: string[] } {
  const names: string[] = [];
  const spots = (values: ArrayLike<number>): SpotsLayer => ({
    kind: 'spots',
    x: sample.spots.map((s) => s.x),
    y: sample.spots.map((s) => s.y),
    diameterPx: sample.spotDiameterUm / sample.umPerPx,
    values,
  });
  const layers = requested.map((l): FigureLayer => {
    const opacity = l.opacity ?? 0.9;
    switch (l.kind) {
      case 'spots': {
        if (!l.gene) {
          names.push('Spots');
          return {
            layer: spots(new Float64Array(sample.spots.length)),
            color: { kind: 'plain', color: '#7a2e5a' },
            opacity,
          };
        }
        const g = findGene(sample, l.gene);
        names.push(`${sample.genes[g]!.symbol} observed`);
        return {
          layer: spots(geneColumn(sample.counts, g, 'log1p-cp10k')),
          color: {
            kind: 'continuous',
            label: `${sample.genes[g]!.symbol} log1p CP10k`,
            ...(l.colormap ? { colormap: l.colormap } : {}),
            ...(l.range ? { vmin: l.range[0], vmax: l.range[1] } : {}),
          },
          opacity,
        };
      }
      case 'sr': {
        const row = getRun(project.db, l.runId);
        const run = row ? parseRun(row, methodLabel) : undefined;
        if (!run || run.sampleId !== sampleId || run.kind !== 'superpixels')
          throw badInput(`Run ${l.runId} is not a superpixel SR run of sample ${sample.name}.`);
        const reader = openSuperpixels(run, project.arraysDir, sample);
        const g = findGene(sample, l.gene);
        if (!reader.genes.includes(g))
          throw badInput(`Run ${run.id} did not model ${sample.genes[g]!.symbol}: pick a gene it modelled.`);
        const m = reader.geneMap(g);
        names.push(`${sample.genes[g]!.symbol} ${run.label} SR (run #${run.id})`);
        const grid: LabelGrid = {
          ...m.grid,
          cellToIndex: Int32Array.from(m.present, (p, k) => (p ? k : -1)),
        };
        return {
          layer: { kind: 'raster', grid, values: m.values },
          color: {
            kind: 'continuous',
            label: srValueLabel(sample.genes[g]!.symbol, run.label),
            ...(l.colormap ? { colormap: l.colormap } : {}),
            ...(l.range ? { vmin: l.range[0], vmax: l.range[1] } : {}),
          },
          opacity,
        };
      }
      case 'domains': {
        const c = getClustering(project.db, l.clusteringId);
        if (!c || c.sampleId !== sampleId)
          throw badInput(`Clustering ${l.clusteringId} does not belong to sample ${sample.name}.`);
        const raw = readArrayFile(join(project.arraysDir, c.labelsArray)).data as Int32Array;
        const eff = effectiveLabels(c.domains, raw);
        const shown = c.domains.filter((d) => d.mergedInto === null);
        const code = new Map(shown.map((d, i) => [d.label, i]));
        const codes = Int32Array.from(eff, (v) => code.get(v) ?? -1);
        const color = {
          kind: 'categorical' as const,
          label: c.runId === null ? 'Domains' : `SR domains (k = ${c.k})`,
          categories: shown.map((d) => d.name),
          colors: shown.map((d) => d.color),
        };
        names.push(color.label);
        if (c.runId === null) return { layer: spots(codes), color, opacity };
        const row = getRun(project.db, c.runId);
        const run = row ? parseRun(row, methodLabel) : undefined;
        if (!run || run.kind !== 'superpixels')
          throw badInput(`Clustering ${c.id}'s run ${c.runId} is gone.`);
        const { grid, index } = openSuperpixels(run, project.arraysDir, sample);
        const cellToIndex = new Int32Array(grid.width * grid.height).fill(-1);
        index.forEach((sp, k) => (cellToIndex[sp] = k));
        return {
          layer: {
            kind: 'raster',
            grid: { ...grid, cellToIndex },
            values: codes,
          },
          color,
          opacity,
        };
      }
      case 'labels': {
        const [name, labels] = Object.entries(sample.annotations ?? {})[0] ?? [];
        if (!name || !labels) throw badInput(`Sample ${sample.name} has no pathologist labels.`);
        names.push(name);
        const { categories, colors } = labelCategories(labels);
        const idx = new Map(categories.map((c, i) => [c, i]));
        return {
          layer: spots(labels.map((v) => idx.get(v) ?? -1)),
          color: { kind: 'categorical', label: name, categories, colors },
          opacity,
        };
      }
    }
  });
  return { layers, names };
}

/** What every panel of a figure shares: size, DPI, title, the slide, the view or a region's box and outline. */
function frame(
  project: Project,
  sampleId: number,
  sample: Sample,
  req: FigureRequest,
): Omit<FigureSpec, 'layers'> {
  const spec: Omit<FigureSpec, 'layers'> = {
    width: req.width,
    height: req.height,
    umPerPx: sample.umPerPx,
    dpi: req.dpi ?? 300,
    slideOpacity: req.slideOpacity ?? 1,
    ...(req.title ? { title: req.title } : {}),
    ...(sample.image ? { image: sample.image } : {}),
  };
  const r = req.region;
  if (r?.kind === 'view') spec.region = { x: r.x, y: r.y, width: r.width, height: r.height };
  else if (r?.kind === 'annotation') {
    const a = getAnnotation(project.db, r.annotationId);
    if (!a || a.sampleId !== sampleId)
      throw badInput(`Region ${r.annotationId} is not a drawn region of sample ${sample.name}.`);
    const geometry = a.feature.geometry as RegionGeometry;
    const [x0, y0, x1, y1] = regionBounds(geometry);
    const m = 0.05 * Math.max(x1 - x0, y1 - y0);
    spec.region = { x: x0 - m, y: y0 - m, width: x1 - x0 + 2 * m, height: y1 - y0 + 2 * m };
    const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    spec.outline = { rings: (polys as [number, number][][][]).flat(), color: a.feature.properties.color };
  }
  return spec;
}

export function figureSpec(
  project: Project,
  sampleId: number,
  sample: Sample,
  req: FigureRequest,
): FigureSpec {
  const spec = {
    ...frame(project, sampleId, sample, req),
    ...figureLayers(project, sampleId, sample, req.layers),
  };
  if (spec.layers.length === 0 && !spec.region)
    throw badInput('The figure has no layer to draw: show a layer, or choose a view or a region.');
  const { names: _names, ...figure } = spec;
  return figure;
}

/** A request with panels: each panel's layers over the one region, titled as asked or by its content. */
export function sideBySideSpec(
  project: Project,
  sampleId: number,
  sample: Sample,
  req: FigureRequest,
): SideBySideSpec {
  if (!req.panels) throw badInput('A side-by-side figure needs panels.');
  if (req.layers.length > 0)
    throw badInput('A side-by-side figure takes its layers per panel: leave `layers` empty.');
  return {
    ...frame(project, sampleId, sample, req),
    panels: req.panels.map((p, i) => {
      const { layers, names } = figureLayers(project, sampleId, sample, p.layers);
      return { title: p.title?.trim() || names.at(-1) || `Panel ${i + 1}`, layers };
    }),
  };
}

/** One key of a written figure as drawn, so a caller can check it against the screen. */
export interface FigureKeyInfo {
  label: string;
  /** side-by-side: the panel (left to right) the key belongs to */
  panel?: number;
  /** colour bars: the range drawn, and where (output px) */
  range?: [number, number];
  colormap?: string;
  box?: Box;
  /** legends: the categories in order */
  categories?: string[];
}

export interface FigureInfo {
  keys: FigureKeyInfo[];
  /** side-by-side: each panel's title, title box and plot box (output px), left to right */
  panels?: { title: string; titleBox: Box; plot: Box }[];
}

function keyInfo(spec: FigureSpec, k: FigureKey, at: (b: Box) => Box): FigureKeyInfo {
  if (k.kind === 'colorbar')
    return { label: k.label, range: [k.vmin, k.vmax], colormap: k.colormap, box: at(k.box) };
  const c = spec.layers[k.layer]!.color;
  return { label: k.label ?? '', categories: c.kind === 'categorical' ? c.categories : [] };
}

/** Draws the request (one figure or side-by-side panels) to `out` (.png/.svg/.pdf by its ending). */
export async function writeRequestedFigure(
  project: Project,
  sampleId: number,
  sample: Sample,
  req: FigureRequest,
  out: string,
): Promise<FigureInfo> {
  if (!req.panels) {
    const spec = figureSpec(project, sampleId, sample, req);
    const { layout } = await writeFigure(spec, out);
    return { keys: layout.keys.map((k) => keyInfo(spec, k, (b) => b)) };
  }
  const { layout } = await writeSideBySide(sideBySideSpec(project, sampleId, sample, req), out);
  return {
    keys: layout.panels.flatMap((p, i) =>
      p.layout.keys.map((k) => ({ ...keyInfo(p.spec, k, (b) => inFigure(layout, i, b)), panel: i })),
    ),
    panels: layout.panels.map((p, i) => ({
      title: p.spec.title!,
      titleBox: inFigure(layout, i, p.layout.title!),
      plot: inFigure(layout, i, p.layout.plot),
    })),
  };
}

/**
 * The figure of a request made without the viewer (`stsr figure`): spots coloured by `gene`, or
 * that gene's SR map of run `runId`, or both side by side (observed | SR), or the clustering's
 * domains. Ranges are each layer's own (min to max), as the CLI has no screen to match.
 */
export function defaultFigureRequest(
  p: { gene?: string; runId?: number; sideBySide?: boolean; width?: number; height?: number; title?: string },
  clusteringId: number | undefined,
): FigureRequest {
  const frame = {
    width: p.width ?? (p.sideBySide ? 2400 : 1600),
    height: p.height ?? 1200,
    ...(p.title ? { title: p.title } : {}),
  };
  if (p.sideBySide && !(p.gene && p.runId !== undefined))
    throw badInput('A side-by-side figure needs --gene G and --run ID (observed | that run’s SR map).');
  if (p.runId !== undefined && !p.gene) throw badInput('A figure of an SR run needs --gene G.');
  if (p.gene && p.runId !== undefined) {
    const observed: FigureLayerRequest = { kind: 'spots', gene: p.gene };
    const sr: FigureLayerRequest = { kind: 'sr', runId: p.runId, gene: p.gene };
    return p.sideBySide
      ? { ...frame, layers: [], panels: [{ layers: [observed] }, { layers: [sr] }] }
      : { ...frame, layers: [sr] };
  }
  if (p.gene) return { ...frame, layers: [{ kind: 'spots', gene: p.gene }] };
  if (clusteringId !== undefined) return { ...frame, layers: [{ kind: 'domains', clusteringId }] };
  throw badInput('A figure needs --gene G or a clustering (--clustering ID).');
}

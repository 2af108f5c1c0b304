/**
 * The figure the user asked for (a contract FigureRequest: the viewer's visible layers with their
 * colour maps, ranges and opacities, a view or a drawn region, size and DPI) as a FigureSpec of
 * the project's data: observed spots, SR maps through the run's reader, spot or superpixel domains
 * in their own colours, the pathologist labels in the viewer's palette, a region's outline.
 */
import { join } from 'node:path';
import type { FigureRequest } from '../../../preload/contract/schemas';
import { categoricalColor } from '../../../preload/contract/colormaps';
import { effectiveLabels } from '../analysis';
import { regionBounds, type RegionGeometry } from '../analysis/regions';
import { EngineError, badInput } from '../errors';
import type { FigureLayer, FigureSpec, SpotsLayer } from '../export/figure';
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

export function figureSpec(
  project: Project,
  sampleId: number,
  sample: Sample,
  req: FigureRequest,
): FigureSpec {
  const spots = (values: ArrayLike<number>): SpotsLayer => ({
    kind: 'spots',
    x: sample.spots.map((s) => s.x),
    y: sample.spots.map((s) => s.y),
    diameterPx: sample.spotDiameterUm / sample.umPerPx,
    values,
  });
  const layers: FigureLayer[] = req.layers.map((l): FigureLayer => {
    const opacity = l.opacity ?? 0.9;
    switch (l.kind) {
      case 'spots': {
        if (!l.gene)
          return {
            layer: spots(new Float64Array(sample.spots.length)),
            color: { kind: 'plain', color: '#7a2e5a' },
            opacity,
          };
        const g = findGene(sample, l.gene);
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
  const spec: FigureSpec = {
    width: req.width,
    height: req.height,
    umPerPx: sample.umPerPx,
    layers,
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
  if (layers.length === 0 && !spec.region)
    throw badInput('The figure has no layer to draw: show a layer, or choose a view or a region.');
  return spec;
}

/**
 * GeoJSON exports for QuPath and GIS tools: spots (Point features with their radius, or circle
 * polygons) with annotations/domains as properties, and domains on the superpixel grid as one
 * MultiPolygon per domain traced from the label grid (label-polygons.ts).
 *
 * Coordinates are full-resolution image pixels, x right and y down — QuPath's convention for
 * GeoJSON import/export — and every collection says so in its top-level `properties`.
 */
import type { Sample } from '../io/sample';
import { writeTextAtomic } from './atomic';
import type { CategoricalColumn } from './h5/dataframe';
import { DEFAULT_PALETTE, parseHex } from './colormap';
import type { LabelGrid } from './sr-input';
import { ringArea, traceLabelGrid } from './label-polygons';

export type Position = [number, number];

export interface Feature {
  type: 'Feature';
  id?: string;
  geometry:
    | { type: 'Point'; coordinates: Position }
    | { type: 'Polygon'; coordinates: Position[][] }
    | { type: 'MultiPolygon'; coordinates: Position[][][] };
  properties: Record<string, unknown>;
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  /** a foreign member (RFC 7946 §6.1): units and provenance of the coordinates */
  properties: Record<string, unknown>;
  features: Feature[];
}

function coordinateProps(umPerPx: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    coordinateSystem: 'full-resolution image pixels (x right, y down; QuPath convention)',
    umPerPx,
    ...extra,
  };
}

export interface SpotsGeoJsonOptions {
  /** 'point' (default) or a circle polygon of the spot's true footprint */
  shape?: 'point' | 'circle';
  circleVertices?: number;
  /** extra categorical columns (domains) to put in each feature's properties */
  domains?: Record<string, CategoricalColumn>;
  /** one category column whose name/colour becomes QuPath's `classification` */
  classifyBy?: string;
}

function classification(name: string, color: string | undefined): Record<string, unknown> {
  return { name, ...(color ? { color: parseHex(color) } : {}) };
}

/** Spots with annotations and domains; radius_px is the footprint radius in full-res px. */
export function spotsGeoJson(sample: Sample, opts: SpotsGeoJsonOptions = {}): FeatureCollection {
  const radius = sample.spotDiameterUm / sample.umPerPx / 2;
  const nv = Math.max(8, opts.circleVertices ?? 32);
  const domains = opts.domains ?? {};
  const features = sample.spots.map((s, i): Feature => {
    const props: Record<string, unknown> = { id: s.id, radius_px: radius };
    if (s.row !== undefined) props.array_row = s.row;
    if (s.col !== undefined) props.array_col = s.col;
    for (const [k, labels] of Object.entries(sample.annotations ?? {})) props[k] = labels[i] ?? '';
    for (const [k, c] of Object.entries(domains)) {
      const code = c.codes[i]!;
      props[k] = code >= 0 ? c.categories[code]! : '';
    }
    if (opts.classifyBy) {
      const v = props[opts.classifyBy];
      const dom = domains[opts.classifyBy];
      if (typeof v === 'string' && v) {
        const ci = dom ? dom.categories.indexOf(v) : -1;
        props.classification = classification(
          v,
          ci >= 0 ? (dom?.colors?.[ci] ?? DEFAULT_PALETTE[ci % 20]) : undefined,
        );
      }
    }
    props.objectType = 'detection';
    const geometry: Feature['geometry'] =
      opts.shape === 'circle'
        ? { type: 'Polygon', coordinates: [circle(s.x, s.y, radius, nv)] }
        : { type: 'Point', coordinates: [s.x, s.y] };
    return { type: 'Feature', id: s.id, geometry, properties: props };
  });
  return {
    type: 'FeatureCollection',
    properties: coordinateProps(sample.umPerPx, {
      sample: sample.name,
      spotDiameterUm: sample.spotDiameterUm,
    }),
    features,
  };
}

/** Counter-clockwise (positive shoelace area) closed ring approximating a circle. */
export function circle(cx: number, cy: number, r: number, n: number): Position[] {
  const ring: Position[] = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    ring.push([cx + r * Math.cos(t), cy + r * Math.sin(t)]);
  }
  ring.push(ring[0]!);
  return ring;
}

/**
 * Domains on the superpixel grid: one MultiPolygon feature per category, QuPath annotation
 * objects with `classification` {name, color}. Areas are reported in px² and µm².
 */
export function domainsGeoJson(
  grid: LabelGrid,
  domain: CategoricalColumn,
  umPerPx: number,
  extra: Record<string, unknown> = {},
): FeatureCollection {
  const labels = new Int32Array(grid.height * grid.width).fill(-1);
  for (let k = 0; k < labels.length; k++) {
    const i = grid.cellToIndex[k]!;
    if (i >= 0) labels[k] = domain.codes[i]!;
  }
  const traced = traceLabelGrid({ rows: grid.height, cols: grid.width, labels });
  const toPx = ([c, r]: [number, number]): Position => [
    grid.originX + c * grid.sizePx,
    grid.originY + r * grid.sizePx,
  ];
  const features: Feature[] = [];
  for (let code = 0; code < domain.categories.length; code++) {
    const polys = traced.get(code);
    if (!polys) continue;
    let cells = 0;
    for (const poly of polys) for (const ring of poly) cells += ringArea(ring);
    const name = domain.categories[code]!;
    const color = domain.colors?.[code] ?? DEFAULT_PALETTE[code % DEFAULT_PALETTE.length];
    features.push({
      type: 'Feature',
      id: `domain-${code}`,
      geometry: { type: 'MultiPolygon', coordinates: polys.map((p) => p.map((ring) => ring.map(toPx))) },
      properties: {
        objectType: 'annotation',
        name,
        classification: classification(name, color),
        code,
        n_superpixels: Math.round(cells),
        area_px2: cells * grid.sizePx * grid.sizePx,
        area_um2: cells * grid.sizePx * grid.sizePx * umPerPx * umPerPx,
      },
    });
  }
  return {
    type: 'FeatureCollection',
    properties: coordinateProps(umPerPx, { superpixelSizePx: grid.sizePx, ...extra }),
    features,
  };
}

/** Writes a collection one feature per line (bounded strings even for large collections), atomically. */
export async function writeGeoJson(
  path: string,
  fc: FeatureCollection,
): Promise<{ path: string; features: number; bytes: number }> {
  const bytes = await writeTextAtomic(path, (sink) => {
    sink.write(`{"type":"FeatureCollection","properties":${JSON.stringify(fc.properties)},"features":[\n`);
    fc.features.forEach((f, i) => sink.write(`${i ? ',\n' : ''}${JSON.stringify(f)}`));
    sink.write('\n]}\n');
  });
  return { path, features: fc.features.length, bytes };
}

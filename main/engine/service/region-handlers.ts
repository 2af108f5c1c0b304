/**
 * Handlers for drawn regions (annotations) and their statistics, kept out of app-service.ts so
 * that file only spreads them in. Regions are stored one per row in the `annotations` table and
 * travel as QuPath-readable GeoJSON (FeatureCollection, `classification` in properties,
 * full-resolution image px).
 */
import type { z } from 'zod';
import {
  Annotation as AnnotationSchema,
  RegionGeometry as RegionGeometrySchema,
  type Annotation,
  type Inputs,
  type RegionStats,
} from '../../../preload/contract/schemas';
import { categoricalColor } from '../../../preload/contract/colormaps';
import { pointInRegion, rankRegionGenes, regionAreaPx } from '../analysis/regions';
import { EngineError, badInput } from '../errors';
import { hex, parseHex } from '../export/colormap';
import type { Sample } from '../io/sample';
import type { SuperpixelReader } from '../methods/entry';
import { parseRun, type SuperpixelRun } from '../methods/runs';
import { methodLabel } from '../methods/registry';
import type { Db } from '../store/database';
import {
  deleteAnnotation,
  getAnnotation,
  insertAnnotation,
  listAnnotations,
  updateAnnotation,
  type AnnotationRow,
} from '../store/repos/annotations';
import { getRun } from '../store/repos/runs';
import type { SampleRow } from '../store/repos/samples';
import { geneColumn } from './sample-queries';

export interface RegionContext {
  db(): Db;
  sampleRow(id: number): SampleRow;
  cachedSample(id: number): { sample: Sample; lib: Float64Array };
  superpixelReader(run: SuperpixelRun): SuperpixelReader;
}

type In<M extends keyof typeof Inputs> = z.output<(typeof Inputs)[M]>;

function toApi(r: AnnotationRow): Annotation {
  return {
    id: r.id,
    sampleId: r.sampleId,
    name: r.name,
    color: r.feature.properties.color,
    kind: r.feature.properties.kind,
    geometry: r.feature.geometry as Annotation['geometry'],
  };
}

/** A FeatureCollection QuPath imports: one annotation per region, its label as classification. */
export function annotationsGeoJson(rows: AnnotationRow[], umPerPx: number): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    properties: {
      coordinateSystem: 'full-resolution image pixels (x right, y down; QuPath convention)',
      umPerPx,
    },
    features: rows.map((r) => ({
      type: 'Feature',
      id: `stsr-annotation-${r.id}`,
      geometry: r.feature.geometry,
      properties: {
        objectType: 'annotation',
        name: r.name,
        classification: { name: r.name, color: parseHex(r.feature.properties.color) },
        drawnAs: r.feature.properties.kind,
      },
    })),
  });
}

/** Polygon/MultiPolygon features of a GeoJSON text (FeatureCollection, Feature or array of them). */
export function parseRegionsGeoJson(
  text: string,
  existing: number,
): { name: string; color: string; geometry: Annotation['geometry'] }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw badInput(`The GeoJSON is not valid JSON: ${(e as Error).message}`);
  }
  const d = doc as { type?: string; features?: unknown[] };
  const features: unknown[] = Array.isArray(doc)
    ? doc
    : d.type === 'FeatureCollection' && Array.isArray(d.features)
      ? d.features
      : d.type === 'Feature'
        ? [doc]
        : [];
  if (features.length === 0) throw badInput('The GeoJSON holds no features (expected a FeatureCollection).');
  const out: { name: string; color: string; geometry: Annotation['geometry'] }[] = [];
  features.forEach((f, i) => {
    const feat = f as { geometry?: { type?: string }; properties?: Record<string, unknown> };
    const type = feat.geometry?.type;
    // points, lines and detections are not regions: skipped rather than refused (QuPath exports mix them)
    if (type !== 'Polygon' && type !== 'MultiPolygon') return;
    const parsed = RegionGeometrySchema.safeParse(feat.geometry);
    if (!parsed.success)
      throw badInput(`Feature ${i} has a malformed ${type}: ${parsed.error.issues[0]?.message}`);
    const props = feat.properties ?? {};
    const cls = props.classification as { name?: unknown; color?: unknown } | undefined;
    const name = String(cls?.name ?? props.name ?? 'Region').trim() || 'Region';
    const c = cls?.color;
    const color =
      Array.isArray(c) && c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)
        ? hex(c as [number, number, number])
        : categoricalColor(existing + out.length);
    out.push({ name, color, geometry: parsed.data });
  });
  if (out.length === 0) throw badInput('The GeoJSON holds no Polygon or MultiPolygon features to import.');
  return out;
}

function findGene(sample: Sample, name: string): number {
  const q = name.trim().toLowerCase();
  const g = sample.genes.findIndex((x) => x.symbol.toLowerCase() === q || x.id.toLowerCase() === q);
  if (g < 0) throw new EngineError('NOT_FOUND', `Gene "${name}" is not in sample ${sample.name}.`);
  return g;
}

export function regionHandlers(ctx: RegionContext) {
  const annotation = (id: number): AnnotationRow => {
    const r = getAnnotation(ctx.db(), id);
    if (!r) throw new EngineError('NOT_FOUND', `No annotation with id ${id} in this project.`);
    return r;
  };
  return {
    'annotations.list': (i: In<'annotations.list'>): Annotation[] => {
      ctx.sampleRow(i.sampleId);
      return listAnnotations(ctx.db(), i.sampleId).map(toApi);
    },
    'annotations.save': (i: In<'annotations.save'>): Annotation => {
      ctx.sampleRow(i.sampleId);
      const db = ctx.db();
      const feature = {
        type: 'Feature' as const,
        geometry: i.geometry,
        properties: { color: i.color.toLowerCase(), kind: i.kind },
      };
      if (!(regionAreaPx(i.geometry) > 0)) throw badInput('The region has no area.');
      let id = i.id;
      if (id !== undefined) {
        const prev = annotation(id);
        if (prev.sampleId !== i.sampleId)
          throw badInput(`Annotation ${id} belongs to another sample (${prev.sampleId}).`);
        db.transaction(() => updateAnnotation(db, id!, { name: i.name, feature }))();
      } else
        id = db.transaction(() => insertAnnotation(db, { sampleId: i.sampleId, name: i.name, feature }))();
      return AnnotationSchema.parse(toApi(annotation(id)));
    },
    'annotations.delete': (i: In<'annotations.delete'>) => {
      annotation(i.id);
      const db = ctx.db();
      db.transaction(() => deleteAnnotation(db, i.id))();
      return { id: i.id };
    },
    'annotations.importGeojson': (i: In<'annotations.importGeojson'>): Annotation[] => {
      ctx.sampleRow(i.sampleId);
      const db = ctx.db();
      const parsed = parseRegionsGeoJson(i.text, listAnnotations(db, i.sampleId).length);
      // all or nothing: a bad feature leaves the project as it was
      const ids = db.transaction(() =>
        parsed.map((p) =>
          insertAnnotation(db, {
            sampleId: i.sampleId,
            name: p.name,
            feature: {
              type: 'Feature',
              geometry: p.geometry,
              properties: { color: p.color, kind: 'polygon' },
            },
          }),
        ),
      )();
      return ids.map((id) => toApi(annotation(id)));
    },
    'annotations.exportGeojson': (i: In<'annotations.exportGeojson'>) => {
      const row = ctx.sampleRow(i.sampleId);
      return { text: annotationsGeoJson(listAnnotations(ctx.db(), i.sampleId), row.umPerPx) };
    },
    'regions.stats': (i: In<'regions.stats'>): RegionStats => {
      const a = annotation(i.annotationId);
      const row = ctx.sampleRow(a.sampleId);
      const { sample, lib } = ctx.cachedSample(a.sampleId);
      const geometry = a.feature.geometry as Annotation['geometry'];
      const inRegion = Uint8Array.from(sample.spots, (s) => (pointInRegion(geometry, s.x, s.y) ? 1 : 0));
      const nIn = inRegion.reduce((x, y) => x + y, 0);
      let run: SuperpixelRun | undefined;
      if (i.runId !== undefined) {
        const runRow = getRun(ctx.db(), i.runId);
        const parsed = runRow ? parseRun(runRow, methodLabel) : undefined;
        if (!parsed || parsed.sampleId !== a.sampleId)
          throw new EngineError('NOT_FOUND', `Run ${i.runId} is not an SR run of sample ${row.name}.`);
        if (parsed.kind === 'superpixels') run = parsed;
      }
      const stored = run ? ctx.superpixelReader(run) : undefined;
      let spIn: Int32Array | null = null;
      if (stored) {
        // A superpixel is in the region when its centre is (full-res px).
        const { originX, originY, sizePx, width } = stored.grid;
        const inside: number[] = [];
        for (const sp of stored.index) {
          const x = originX + ((sp % width) + 0.5) * sizePx;
          const y = originY + (Math.floor(sp / width) + 0.5) * sizePx;
          if (pointInRegion(geometry, x, y)) inside.push(sp);
        }
        spIn = Int32Array.from(inside);
      }
      const mean = (v: ArrayLike<number>) => {
        let s = 0;
        for (let r = 0; r < v.length; r++) if (inRegion[r]) s += v[r]!;
        return nIn ? s / nIn : null;
      };
      const genes = i.genes.map((name) => {
        const g = findGene(sample, name);
        let meanSr: number | null = null;
        if (stored && spIn && spIn.length && stored.genes.includes(g)) {
          const m = stored.geneMap(g);
          let s = 0;
          for (const sp of spIn) s += m.values[sp]!;
          meanSr = s / spIn.length;
        }
        return {
          symbol: sample.genes[g]!.symbol,
          meanCounts: mean(geneColumn(sample.counts, g, 'counts')),
          meanLog1p: mean(geneColumn(sample.counts, g, 'log1p-cp10k', lib)),
          meanSr,
        };
      });
      const top =
        nIn > 0 && nIn < sample.spots.length
          ? rankRegionGenes(sample.counts, inRegion, { nTop: i.nTop ?? 20 })
          : [];
      return {
        annotationId: a.id,
        spots: nIn,
        superpixels: spIn ? spIn.length : null,
        areaMm2: (regionAreaPx(geometry) * row.umPerPx * row.umPerPx) / 1e6,
        genes,
        topGenes: top.map((t) => ({
          symbol: sample.genes[t.gene]!.symbol,
          score: t.score,
          pValue: t.pValue,
          pAdj: t.pAdj,
          logFoldChange: t.logFoldChange,
          fractionIn: t.fractionIn,
          fractionOut: t.fractionOut,
        })),
      };
    },
  };
}

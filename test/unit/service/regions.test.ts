import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outputs, type ApiResult } from '../../../preload/contract';
import type { Annotation, RegionStats } from '../../../preload/contract/schemas';
import { AppService } from '../../../main/engine/service/app-service';
import { readSample } from '../../../main/engine/io';
import type { Sample } from '../../../main/engine/io/sample';
import { saveSample } from '../../../main/engine/store/sample-store';
import { openProject } from '../../../main/engine/store/project';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
let service: AppService;
let sample: Sample;
let sampleId: number;

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  process.env.STSR_HOME = join(tmp.dir, 'home');
  const dir = join(tmp.dir, 'proj');
  service = new AppService({ transport: 'http' });
  value(await service.dispatch('project.create', { dir }));
  await service.closeProject();
  // the sample's counts and positions without the slide pyramid: regions need no image
  sample = await readSample(sharedData('her2st', 'C2'));
  const p = openProject(dir);
  sampleId = saveSample(p, sample, sharedData('her2st', 'C2')).id;
  p.close();
  value(await service.dispatch('project.open', { dir }));
}, 120_000);
afterAll(async () => {
  await service.closeProject();
  tmp.cleanup();
});

/** a rectangle around the left half of the spots' bounding box */
function leftHalf(): Annotation['geometry'] {
  const xs = sample.spots.map((s) => s.x);
  const ys = sample.spots.map((s) => s.y);
  const x0 = Math.min(...xs) - 1;
  const x1 = (Math.min(...xs) + Math.max(...xs)) / 2;
  const y0 = Math.min(...ys) - 1;
  const y1 = Math.max(...ys) + 1;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  };
}

describe('annotations and region statistics on HER2ST C2', () => {
  it('saves, lists, edits, deletes and round-trips regions through QuPath GeoJSON', async () => {
    const geometry = leftHalf();
    const a = value<Annotation>(
      await service.dispatch('annotations.save', {
        sampleId,
        name: 'Tumour',
        color: '#E41A1C',
        kind: 'rectangle',
        geometry,
      }),
    );
    expect(Outputs['annotations.save'].safeParse(a).success).toBe(true);
    expect(a).toMatchObject({ name: 'Tumour', color: '#e41a1c', kind: 'rectangle' });
    const renamed = value<Annotation>(
      await service.dispatch('annotations.save', { ...a, sampleId, name: 'Invasive' }),
    );
    expect(renamed.id).toBe(a.id);
    expect(
      value<Annotation[]>(await service.dispatch('annotations.list', { sampleId })).map((x) => x.name),
    ).toEqual(['Invasive']);
    const { text } = value<{ text: string }>(
      await service.dispatch('annotations.exportGeojson', { sampleId }),
    );
    const fc = JSON.parse(text) as {
      type: string;
      features: { geometry: unknown; properties: { classification: { name: string; color: number[] } } }[];
    };
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features[0]!.properties.classification).toEqual({ name: 'Invasive', color: [228, 26, 28] });
    expect(fc.features[0]!.geometry).toEqual(geometry);
    const imported = value<Annotation[]>(
      await service.dispatch('annotations.importGeojson', { sampleId, text }),
    );
    expect(imported.map((x) => [x.name, x.color])).toEqual([['Invasive', '#e41a1c']]);
    expect(imported[0]!.geometry).toEqual(geometry);
    value(await service.dispatch('annotations.delete', { id: imported[0]!.id }));
    expect(value<Annotation[]>(await service.dispatch('annotations.list', { sampleId }))).toHaveLength(1);
    // a bad file changes nothing and says what is wrong
    const bad = await service.dispatch('annotations.importGeojson', {
      sampleId,
      text: JSON.stringify({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] } }],
      }),
    });
    expect(!bad.ok && bad.error.message).toMatch(/no Polygon or MultiPolygon/);
    expect(value<Annotation[]>(await service.dispatch('annotations.list', { sampleId }))).toHaveLength(1);
  });

  it('counts spots, area and mean expression inside a region as an independent computation does', async () => {
    const a = value<Annotation[]>(await service.dispatch('annotations.list', { sampleId }))[0]!;
    const s = value<RegionStats>(
      await service.dispatch('regions.stats', { annotationId: a.id, genes: ['ERBB2'], nTop: 5 }),
    );
    expect(Outputs['regions.stats'].safeParse(s).success).toBe(true);
    const ring = (a.geometry.coordinates as number[][][])[0]!;
    const [x0, y0] = ring[0]!;
    const [x1, y1] = ring[2]!;
    const inside = sample.spots.map((p) => p.x > x0! && p.x < x1! && p.y > y0! && p.y < y1!);
    expect(s.spots).toBe(inside.filter(Boolean).length);
    expect(s.spots).toBeGreaterThan(10);
    expect(s.areaMm2).toBeCloseTo(((x1! - x0!) * (y1! - y0!) * sample.umPerPx ** 2) / 1e6, 9);
    const g = sample.genes.findIndex((x) => x.symbol === 'ERBB2');
    let sum = 0;
    for (let r = 0; r < sample.counts.nRows; r++) {
      if (!inside[r]) continue;
      for (let p = sample.counts.indptr[r]!; p < sample.counts.indptr[r + 1]!; p++)
        if (sample.counts.indices[p] === g) sum += sample.counts.data[p]!;
    }
    expect(s.genes[0]!.meanCounts).toBeCloseTo(sum / s.spots, 9);
    expect(s.superpixels).toBeNull();
    expect(s.topGenes).toHaveLength(5);
    expect(s.topGenes[0]!.score).toBeGreaterThan(s.topGenes[4]!.score - 1e-12);
    for (const t of s.topGenes) expect(t.pAdj).toBeGreaterThanOrEqual(t.pValue);
  });
});

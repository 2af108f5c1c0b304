import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import type { Sample } from '../io/sample';
import { readArrayFile, writeArrayFile } from './array-file';
import { writeFileAtomic } from './atomic-file';
import type { Project } from './project';
import {
  findSampleByName,
  getSample,
  insertSample,
  type SampleArrays,
  type SampleRow,
} from './repos/samples';

interface SampleLabels {
  spotIds: string[];
  genes: Sample['genes'];
  annotations: Record<string, string[]>;
}

/** Lookups binary-search a row's columns, so stored rows keep their column indices ascending. */
export function sortCsrRows(m: Sample['counts']): void {
  for (let r = 0; r < m.nRows; r++) {
    const a = m.indptr[r]!;
    const b = m.indptr[r + 1]!;
    let sorted = true;
    for (let k = a + 1; k < b; k++) if (m.indices[k - 1]! >= m.indices[k]!) sorted = false;
    if (sorted) continue;
    const order = Array.from({ length: b - a }, (_, k) => a + k).sort(
      (p, q) => m.indices[p]! - m.indices[q]!,
    );
    const idx = order.map((k) => m.indices[k]!);
    const val = order.map((k) => m.data[k]!);
    m.indices.set(idx, a);
    m.data.set(val, a);
  }
}

/** A name not yet used in the project: "C2", then "C2 (2)", … */
export function uniqueSampleName(project: Project, wanted: string): string {
  let name = wanted;
  for (let i = 2; findSampleByName(project.db, name); i++) name = `${wanted} (${i})`;
  return name;
}

/**
 * Stores an imported sample: bulk arrays first (each atomic), then one row in one transaction.
 * A crash between the two leaves only unreferenced files, which no row can reach.
 */
export function saveSample(project: Project, sample: Sample, sourcePath: string): SampleRow {
  sortCsrRows(sample.counts);
  const uid = randomUUID();
  const name = (role: string) => `sample-${uid}-${role}.arr`;
  const arrays: SampleArrays = {
    countsIndptr: name('counts-indptr'),
    countsIndices: name('counts-indices'),
    countsData: name('counts-data'),
    xy: name('xy'),
    rowCol: name('rowcol'),
    labels: `sample-${uid}-labels.json`,
  };
  const n = sample.spots.length;
  const { counts } = sample;
  const at = (f: string) => join(project.arraysDir, f);
  writeArrayFile(at(arrays.countsIndptr), {
    dtype: 'uint32',
    shape: [counts.nRows + 1],
    data: counts.indptr,
  });
  writeArrayFile(at(arrays.countsIndices), {
    dtype: 'uint32',
    shape: [counts.indices.length],
    data: counts.indices,
  });
  writeArrayFile(at(arrays.countsData), {
    dtype: 'float32',
    shape: [counts.data.length],
    data: counts.data,
    meta: { nRows: counts.nRows, nCols: counts.nCols },
  });
  const xy = new Float64Array(n * 2);
  const rc = new Int32Array(n * 2);
  sample.spots.forEach((s, i) => {
    xy[2 * i] = s.x;
    xy[2 * i + 1] = s.y;
    rc[2 * i] = s.row ?? -1;
    rc[2 * i + 1] = s.col ?? -1;
  });
  writeArrayFile(at(arrays.xy), { dtype: 'float64', shape: [n, 2], data: xy });
  writeArrayFile(at(arrays.rowCol), { dtype: 'int32', shape: [n, 2], data: rc });
  const embeddings = Object.entries(sample.embeddings ?? {});
  if (embeddings.length > 0) {
    // files are numbered, not named after the key: obsm keys may hold any character
    arrays.embeddings = {};
    embeddings.forEach(([key, e], k) => {
      const file = name(`obsm-${k}`);
      writeArrayFile(at(file), { dtype: 'float32', shape: [n, e.nCols], data: e.data });
      arrays.embeddings![key] = file;
    });
  }
  const labels: SampleLabels = {
    spotIds: sample.spots.map((s) => s.id),
    genes: sample.genes,
    annotations: sample.annotations ?? {},
  };
  writeFileAtomic(at(arrays.labels), Buffer.from(JSON.stringify(labels)));

  const id = project.db.transaction(() =>
    insertSample(project.db, {
      name: uniqueSampleName(project, sample.name),
      platform: sample.platform,
      sourcePath,
      nSpots: n,
      nGenes: sample.genes.length,
      umPerPx: sample.umPerPx,
      spotDiameterUm: sample.spotDiameterUm,
      lattice: sample.lattice,
      image: sample.image ?? null,
      provenance: sample.provenance,
      arrays,
    }),
  )();
  return getSample(project.db, id)!;
}

/** Reads a stored sample back into the in-memory model (no source files are touched). */
export function loadSample(project: Project, id: number): Sample {
  const row = getSample(project.db, id);
  if (!row) throw new EngineError('NOT_FOUND', `No sample with id ${id} in this project.`);
  const at = (f: string) => join(project.arraysDir, f);
  const labels = JSON.parse(readFileSync(at(row.arrays.labels), 'utf8')) as SampleLabels;
  const xy = readArrayFile(at(row.arrays.xy)).data;
  const rc = readArrayFile(at(row.arrays.rowCol)).data;
  const data = readArrayFile(at(row.arrays.countsData));
  const sample: Sample = {
    name: row.name,
    platform: row.platform,
    spots: labels.spotIds.map((sid, i) => {
      const r = rc[2 * i]!;
      const c = rc[2 * i + 1]!;
      return { id: sid, x: xy[2 * i]!, y: xy[2 * i + 1]!, ...(r >= 0 ? { row: r, col: c } : {}) };
    }),
    genes: labels.genes,
    counts: {
      nRows: row.nSpots,
      nCols: row.nGenes,
      indptr: readArrayFile(at(row.arrays.countsIndptr)).data as Uint32Array,
      indices: readArrayFile(at(row.arrays.countsIndices)).data as Uint32Array,
      data: data.data as Float32Array,
    },
    spotDiameterUm: row.spotDiameterUm,
    lattice: row.lattice,
    umPerPx: row.umPerPx,
    provenance: row.provenance,
  };
  if (row.image) sample.image = row.image;
  if (Object.keys(labels.annotations).length > 0) sample.annotations = labels.annotations;
  const emb = Object.entries(row.arrays.embeddings ?? {});
  if (emb.length > 0)
    sample.embeddings = Object.fromEntries(
      emb.map(([key, file]) => {
        const a = readArrayFile(at(file));
        return [key, { nCols: a.shape[1]!, data: a.data as Float32Array }];
      }),
    );
  return sample;
}

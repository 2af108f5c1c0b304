/**
 * Test-only loader for a HER2ST section (counts TSV + spot selection + optional pathologist labels),
 * used until io's readSample lands. It reads the real files from ../shared/data and builds the same
 * shapes analysis/ works on: a CSR spots × genes matrix of raw counts and per-spot array row/col and
 * full-res pixel positions.
 */
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { CsrMatrix } from '../../../main/engine/io/sample';
import { sharedData } from '../../helpers/paths';

export interface Her2stSection {
  spotIds: string[];
  genes: string[];
  counts: CsrMatrix;
  /** array column (x) and row (y) from the spot id */
  col: Int32Array;
  row: Int32Array;
  /** full-res pixel positions from the selection file */
  px: Float64Array;
  py: Float64Array;
  /** pathologist label per spot ('' = none) when the section has them */
  labels?: string[];
}

const cache = new Map<string, Her2stSection>();

export function loadHer2st(section: string): Her2stSection {
  const hit = cache.get(section);
  if (hit) return hit;
  const dir = sharedData('her2st', section);
  const text = gunzipSync(readFileSync(`${dir}/${section}.tsv.gz`)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const genes = lines[0]!.split('\t').slice(1);
  const spotIds: string[] = [];
  const indptr: number[] = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    spotIds.push(f[0]!);
    for (let j = 1; j < f.length; j++) {
      const v = Number(f[j]);
      if (v !== 0) {
        indices.push(j - 1);
        data.push(v);
      }
    }
    indptr.push(indices.length);
  }
  const counts: CsrMatrix = {
    nRows: spotIds.length,
    nCols: genes.length,
    indptr: Uint32Array.from(indptr),
    indices: Uint32Array.from(indices),
    data: Float32Array.from(data),
  };
  const col = Int32Array.from(spotIds, (s) => Number(s.split('x')[0]));
  const row = Int32Array.from(spotIds, (s) => Number(s.split('x')[1]));
  const sel = new Map<string, [number, number]>();
  for (const line of readFileSync(`${dir}/${section}_selection.tsv`, 'utf8').split('\n').slice(1)) {
    const f = line.split('\t');
    if (f.length >= 6) sel.set(`${f[0]}x${f[1]}`, [Number(f[4]), Number(f[5])]);
  }
  const px = Float64Array.from(spotIds, (s) => sel.get(s)?.[0] ?? NaN);
  const py = Float64Array.from(spotIds, (s) => sel.get(s)?.[1] ?? NaN);
  const out: Her2stSection = { spotIds, genes, counts, col, row, px, py };
  const labelFile = `${dir}/${section}_labeled_coordinates.tsv`;
  if (existsSync(labelFile)) {
    const byId = new Map<string, string>();
    for (const line of readFileSync(labelFile, 'utf8').split('\n').slice(1)) {
      const f = line.split('\t');
      if (f.length < 6 || f[1] === 'NA') continue;
      byId.set(`${Math.round(Number(f[1]))}x${Math.round(Number(f[2]))}`, f[5]!.trim());
    }
    out.labels = spotIds.map((s) => byId.get(s) ?? '');
  }
  cache.set(section, out);
  return out;
}

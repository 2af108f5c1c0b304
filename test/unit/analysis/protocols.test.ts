import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  averageOverDraws,
  coarseBaseline,
  coarsenSpots,
  holdoutSplit,
  noisePrediction,
  permutedPrediction,
} from '../../../main/engine/analysis/protocols';
import type { SpotPosition } from '../../../main/engine/analysis/protocols';
import { latticeImageLayout, scoreCoarsen } from '../../../main/engine/analysis/metrics';
import type { BenchScores } from '../../../main/engine/analysis/metrics';
import type { DenseMatrix } from '../../../main/engine/analysis/matrix';
import { csrToDense } from '../../../main/engine/analysis/matrix';
import { Rng } from '../../../main/engine/analysis/random';
import type { CsrMatrix } from '../../../main/engine/io/sample';
import { sharedData } from '../../helpers/paths';
import { loadHer2st } from './her2st-fixture';

const her2stA1 = await loadHer2st('A1');
const her2stC2 = await loadHer2st('C2');

const emptyCounts = (n: number): CsrMatrix => ({
  nRows: n,
  nCols: 1,
  indptr: new Uint32Array(n + 1),
  indices: new Uint32Array(0),
  data: new Float32Array(0),
});

/**
 * Checks a hex coarsening: each group lies in the hexagon (centre + its six lattice neighbours) of
 * the sub-lattice centre its key names, even when the centre itself was not measured; ≤ 7 spots.
 * Keys are doubled coordinates "u,v" = "col,row" for these arrays.
 */
function checkHexGroups(spots: SpotPosition[], groups: { members: number[]; key: string }[]): void {
  const centres = new Set<string>();
  for (const g of groups) {
    expect(g.members.length).toBeLessThanOrEqual(7);
    const [cu, cv] = g.key.split(',').map(Number) as [number, number];
    centres.add(g.key);
    for (const m of g.members) {
      const dr = Math.abs(spots[m]!.row! - cv);
      const dc = Math.abs(spots[m]!.col! - cu);
      expect((dr === 0 && (dc === 0 || dc === 2)) || (dr === 1 && dc === 1)).toBe(true);
    }
  }
  // centres are never lattice neighbours of each other (they form the index-7 sub-lattice)
  for (const k of centres) {
    const [u, v] = k.split(',').map(Number) as [number, number];
    for (const [du, dv] of [
      [2, 0],
      [1, 1],
      [-1, 1],
    ] as const)
      expect(centres.has(`${u + du},${v + dv}`)).toBe(false);
  }
}

describe('coarsen protocol', () => {
  const s = her2stA1;
  const spots: SpotPosition[] = Array.from(s.spotIds, (_, i) => ({
    x: s.px[i]!,
    y: s.py[i]!,
    row: s.row[i]!,
    col: s.col[i]!,
  }));

  it('square lattice (HER2ST A1): 2×2 blocks, summed counts, mean positions, ≥ 2 members', () => {
    const c = coarsenSpots(spots, s.counts, 'square');
    for (const p of c.pseudoSpots) {
      expect(p.members.length).toBeGreaterThanOrEqual(2);
      expect(p.members.length).toBeLessThanOrEqual(4);
      const keys = new Set(p.members.map((i) => `${Math.floor(s.col[i]! / 2)},${Math.floor(s.row[i]! / 2)}`));
      expect(keys.size).toBe(1);
      expect(p.x).toBeCloseTo(p.members.reduce((a, i) => a + s.px[i]!, 0) / p.members.length, 9);
    }
    // counts are sums: check the total per pseudo-spot and one gene
    const dense = csrToDense(s.counts);
    const pdense = csrToDense(c.counts);
    const G = s.counts.nCols;
    const gene = s.genes.indexOf('ERBB2');
    c.pseudoSpots.forEach((p, k) => {
      expect(pdense.data[k * G + gene]).toBe(p.members.reduce((a, i) => a + dense.data[i * G + gene]!, 0));
    });
    // every evaluated spot belongs to a kept group, and the singletons are not evaluated
    expect(c.evaluated.length).toBe(c.pseudoSpots.reduce((a, p) => a + p.members.length, 0));
    // coarse baseline: pseudo-spot value / member count, so its group mean is the pseudo-spot mean
    const coarse = coarseBaseline(c, [gene]);
    c.evaluated.forEach((spot, r) => {
      const k = c.groupOf[spot]!;
      expect(coarse.data[r]).toBeCloseTo(pdense.data[k * G + gene]! / c.pseudoSpots[k]!.members.length, 5);
    });
  });

  it('hex lattice, real Visium positions (DLPFC 151673): 7-spot hexagons around a sub-lattice', () => {
    const lines = readFileSync(sharedData('dlpfc', '151673', 'spatial', 'tissue_positions_list.csv'), 'utf8')
      .trim()
      .split('\n');
    const vs: SpotPosition[] = [];
    for (const l of lines) {
      const f = l.split(',');
      if (f[1] !== '1' || !f[0]!.includes('-')) continue; // in tissue; skip the header row
      vs.push({ row: Number(f[2]), col: Number(f[3]), y: Number(f[4]), x: Number(f[5]) });
    }
    const c = coarsenSpots(vs, emptyCounts(vs.length), 'hex');
    checkHexGroups(vs, c.pseudoSpots);
    // in the tissue interior hexagons are full: most spots sit in a 7-group and ~1/7 are centres
    const full = c.pseudoSpots.filter((p) => p.members.length === 7).length;
    expect(full * 7).toBeGreaterThan(0.7 * vs.length);
    expect(c.pseudoSpots.length).toBeGreaterThan(vs.length / 7);
    expect(c.pseudoSpots.length).toBeLessThan(vs.length / 5);
  });

  it('hex lattice, MOB legacy ST array (x, y of one parity)', () => {
    const lines = readFileSync(sharedData('mob', 'MOB1', 'alignment_table_MOB1.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const ms: SpotPosition[] = lines.map((l) => {
      const f = l.split('\t');
      return { col: Number(f[0]), row: Number(f[1]), x: Number(f[4]), y: Number(f[5]) };
    });
    const c = coarsenSpots(ms, emptyCounts(ms.length), 'hex');
    // on this array the ±2 step along x (43 px) is shorter than along y (48 px), so rows run along x
    checkHexGroups(ms, c.pseudoSpots);
    expect(c.pseudoSpots.filter((p) => p.members.length === 7).length * 7).toBeGreaterThan(0.7 * ms.length);
  });

  it('rejects samples without lattice indices', () => {
    expect(() => coarsenSpots([{ x: 0, y: 0 }], emptyCounts(1), 'square')).toThrow(/row\/col/);
  });
});

describe('holdout split', () => {
  it('is seeded, half, disjoint and complete', () => {
    const a = holdoutSplit(347, 7);
    expect(a.test.length).toBe(173);
    expect(a.train.length).toBe(174);
    expect(new Set([...a.test, ...a.train]).size).toBe(347);
    expect(Array.from(holdoutSplit(347, 7).test)).toEqual(Array.from(a.test));
    expect(Array.from(holdoutSplit(347, 8).test)).not.toEqual(Array.from(a.test));
  });
});

describe('controls', () => {
  const s = her2stC2;
  const spots: SpotPosition[] = Array.from(s.spotIds, (_, i) => ({
    x: s.px[i]!,
    y: s.py[i]!,
    row: s.row[i]!,
    col: s.col[i]!,
  }));
  const c = coarsenSpots(spots, s.counts, 'square');
  const genes = Uint32Array.from([
    s.genes.indexOf('ERBB2'),
    s.genes.indexOf('GAPDH'),
    s.genes.indexOf('MUC1'),
  ]);
  const truth = csrToDense(s.counts, { columns: genes });
  const ev = { nRows: c.evaluated.length, nCols: 3, data: new Float64Array(c.evaluated.length * 3) };
  c.evaluated.forEach((spot, r) => ev.data.set(truth.data.subarray(spot * 3, spot * 3 + 3), r * 3));
  const coarse = coarseBaseline(c, genes);

  const groupMean = (m: { data: Float64Array | Float32Array }, k: number, j: number): number => {
    const rows = Array.from(c.evaluated.keys()).filter((r) => c.groupOf[c.evaluated[r]!] === k);
    return rows.reduce((a, r) => a + m.data[r * 3 + j]!, 0) / rows.length;
  };

  it('permuted: keeps every pseudo-spot mean, changes which spot gets which modulation', () => {
    const p = permutedPrediction(ev, c, new Rng(1));
    for (let k = 0; k < c.pseudoSpots.length; k += 7)
      for (let j = 0; j < 3; j++) expect(groupMean(p, k, j)).toBeCloseTo(groupMean(ev, k, j), 9);
    let changed = 0;
    for (let i = 0; i < ev.data.length; i++) if (Math.abs(p.data[i]! - ev.data[i]!) > 1e-9) changed++;
    expect(changed).toBeGreaterThan(ev.data.length / 2);
  });

  it('noise: keeps pseudo-spot means, ±20 % spread, and the truth beats both controls on PCC', () => {
    const nz = noisePrediction(coarse, c, new Rng(2));
    for (let k = 0; k < c.pseudoSpots.length; k += 5)
      expect(groupMean(nz, k, 0)).toBeCloseTo(groupMean(coarse, k, 0), 9);
    const layout = latticeImageLayout(
      Array.from(c.evaluated, (i) => s.row[i]!),
      Array.from(c.evaluated, (i) => s.col[i]!),
      'square',
    );
    const score = (pred: DenseMatrix): BenchScores => scoreCoarsen(ev, pred, layout);
    const perfect = score(ev);
    const noise = averageOverDraws(3, 5, (rng) => noisePrediction(coarse, c, rng), score);
    const permuted = averageOverDraws(4, 20, (rng) => permutedPrediction(ev, c, rng), score);
    expect(perfect.pcc).toBeCloseTo(1, 12);
    expect(noise.pcc).toBeLessThan(1);
    // the oracle's own modulations handed to other spots lose the information they carried
    expect(permuted.pcc).toBeLessThan(0.95);
    expect(score(coarse).pcc).toBeGreaterThan(noise.pcc - 0.2);
  });
});

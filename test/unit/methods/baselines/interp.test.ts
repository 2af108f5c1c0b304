/**
 * HISTEX expression enhancement (methods.md §3.1, ambiguity rows 5–6) against values worked out by
 * hand on tiny square and hexagonal lattices, the lattice-frame helpers, and interp as an SrMethod.
 */
import { describe, expect, it } from 'vitest';
import {
  enhance,
  hexAxialFromIndices,
  inferLatticeCoords,
  interpMethod,
  readEnhanced,
  type Enhanced,
} from '../../../../main/engine/methods/baselines/index';
import type { LatticeCoord, SrInput } from '../../../../main/engine/methods/types';
import { noProgress } from '../../../../main/engine/jobs/progress';
import { readSample } from '../../../../main/engine/io/index';
import { sharedData } from '../../../helpers/paths';

const PITCH = 100; // px per lattice step in the synthetic layouts
const one = (v: number[]) => ({ nRows: v.length, nCols: 1, data: Float64Array.from(v) });
const nodeValues = (e: Enhanced): Record<string, number> =>
  Object.fromEntries(e.nodes.map((n, i) => [`${n.A},${n.B}`, e.values.data[i]!]));

describe('enhancement on a square lattice (hand-computed)', () => {
  // (a, b) → value. 1, 3, 5, 7 follow f = 1 + 2a + 4b; (2, 0) = 11 does not; (2, 1) is missing.
  const coords: LatticeCoord[] = [
    { a: 0, b: 0 },
    { a: 1, b: 0 },
    { a: 0, b: 1 },
    { a: 1, b: 1 },
    { a: 2, b: 0 },
  ];
  const vals = one([1, 3, 5, 7, 11]);
  const pos = coords.map((c) => ({ x: 50 + PITCH * c.a, y: 80 + PITCH * c.b }));

  it("'all-parents' keeps exactly the nodes whose parents are all measured, at their mean", () => {
    const e = enhance('square', coords, pos, vals, 'all-parents');
    expect(nodeValues(e)).toEqual({
      '0,0': 1,
      '2,0': 3,
      '0,2': 5,
      '2,2': 7,
      '4,0': 11,
      '1,0': 2, // (1 + 3) / 2
      '0,1': 3, // (1 + 5) / 2
      '2,1': 5, // (3 + 7) / 2
      '1,2': 6, // (5 + 7) / 2
      '3,0': 7, // (3 + 11) / 2
      '1,1': 4, // 4-spot centroid (1 + 3 + 5 + 7) / 4
    });
    // positions are the midpoints of the parents
    const n = e.nodes[e.index.get('3,0')!]!;
    expect([n.x, n.y]).toEqual([50 + 150, 80]);
    expect(e.nodes.filter((x) => x.measured)).toHaveLength(5);
  });

  it("'fidelity' (released code): missing spots are 0, nodes with ≥ 2 measured parents kept", () => {
    const e = enhance('square', coords, pos, vals, 'fidelity');
    const v = nodeValues(e);
    expect(Object.keys(v)).toHaveLength(16);
    expect(v['3,1']).toBeCloseTo((3 + 11 + 7 + 0) / 4, 12); // 3 of 4 corners
    expect(v['1,-1']).toBeCloseTo((1 + 3) / 4, 12); // the zero-dilution at the tissue edge
    expect(v['3,-1']).toBeCloseTo((3 + 11) / 4, 12);
    expect(v['-1,1']).toBeCloseTo((1 + 5) / 4, 12);
    expect(v['1,3']).toBeCloseTo((5 + 7) / 4, 12);
    expect(v['4,1']).toBeUndefined(); // edge with one missing parent: 1 measured < 2
    expect(v['1,1']).toBe(4);
  });

  it('reads bilinearly inside the HR mesh and falls back to the nearest kept nodes', () => {
    const e = enhance('square', coords, pos, vals);
    const r = readEnhanced(e, [
      { a: 0.5, b: 0.25 }, // inside the linear part: f = 1 + 2·0.5 + 4·0.25 = 3
      { a: 1, b: 1 }, // on a measured node
      { a: 0.25, b: 0 }, // on the edge (0,0)–(1,0): 1 + 2·0.25 = 1.5
      { a: 1.75, b: 0.5 }, // its HR cell's corners (3,1), (4,1) were dropped → nearest kept: (3,0)=7 and (4,0)=11 tie
    ]);
    expect(Array.from(r.data)).toEqual([3, 7, 1.5, 9]);
  });
});

describe('enhancement on a hexagonal lattice (hand-computed)', () => {
  // axial (a, b); (0,0), (1,0), (0,1) follow f = 10 + 2a + 4b; (1,1) = 20 does not (f would give 16).
  const coords: LatticeCoord[] = [
    { a: 0, b: 0 },
    { a: 1, b: 0 },
    { a: 0, b: 1 },
    { a: 1, b: 1 },
  ];
  const vals = one([10, 12, 14, 20]);
  // axial → px with 60° between the a and b axes
  const pos = coords.map((c) => ({ x: PITCH * (c.a + c.b / 2), y: PITCH * c.b * (Math.sqrt(3) / 2) }));

  it('inserts midpoints along the three neighbour directions only', () => {
    const e = enhance('hex', coords, pos, vals);
    expect(nodeValues(e)).toEqual({
      '0,0': 10,
      '2,0': 12,
      '0,2': 14,
      '2,2': 20,
      '1,0': 11, // (0,0)–(1,0)
      '0,1': 12, // (0,0)–(0,1)
      '2,1': 16, // (1,0)–(1,1)
      '1,2': 17, // (0,1)–(1,1)
      '1,1': 13, // (0,1)–(1,0), direction (1,−1); a square lattice would put the 4-spot mean 14 here
    });
    const sq = enhance('square', coords, pos, vals);
    expect(nodeValues(sq)['1,1']).toBe(14);
  });

  it('reads barycentrically on HR triangles', () => {
    const e = enhance('hex', coords, pos, vals);
    const r = readEnhanced(e, [
      { a: 1 / 3, b: 1 / 3 }, // centroid of (0,0),(1,0),(0,1): f = 12
      { a: 2 / 3, b: 2 / 3 }, // centroid of (1,0),(0,1),(1,1): (12 + 14 + 20) / 3
    ]);
    expect(r.data[0]).toBeCloseTo(12, 12);
    expect(r.data[1]).toBeCloseTo(46 / 3, 12);
  });
});

describe('lattice frames', () => {
  it('Visium doubled indices → axial coordinates whose six neighbours are the lattice neighbours', () => {
    // Visium: array_col steps by 2 along a row (100 µm), rows 86.6 µm apart with the odd rows offset.
    const spots: { row: number; col: number; x: number; y: number }[] = [];
    for (let row = 0; row < 4; row++)
      for (let col = row % 2; col < 10; col += 2) spots.push({ row, col, x: 50 * col, y: 86.6 * row });
    const ax = hexAxialFromIndices(spots);
    const at = new Map(ax.map((c, i) => [`${c.a},${c.b}`, i]));
    // (row 1, col 3) has neighbours (1,1), (1,5), (0,2), (0,4), (2,2), (2,4)
    const i = spots.findIndex((s) => s.row === 1 && s.col === 3);
    const c = ax[i]!;
    const nb = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
      [1, -1],
      [-1, 1],
    ].map(([da, db]) => spots[at.get(`${c.a + da!},${c.b + db!}`)!]!);
    expect(nb.map((s) => `${s.row},${s.col}`).sort()).toEqual(['0,2', '0,4', '1,1', '1,5', '2,2', '2,4']);
  });

  it('infers the lattice of real HER2ST C2 positions (≈ 17 µm jitter) up to a translation', async () => {
    const s = await readSample(sharedData('her2st', 'C2'));
    const inf = inferLatticeCoords(s.spots, 'square');
    const da = s.spots[0]!.col! - inf[0]!.a;
    const db = s.spots[0]!.row! - inf[0]!.b;
    // The scan's axes are x = col, y = row; every spot must land on its own index.
    s.spots.forEach((p, i) => expect([inf[i]!.a + da, inf[i]!.b + db]).toEqual([p.col, p.row]));
  });

  it('infers a rotated, jittered hexagonal lattice', () => {
    const th = 0.3;
    const pts: { x: number; y: number }[] = [];
    const truth: LatticeCoord[] = [];
    let k = 0;
    for (let a = -6; a <= 6; a++)
      for (let b = -6; b <= 6; b++) {
        if (Math.abs(a + b) > 6) continue;
        const x = PITCH * (a + b / 2);
        const y = PITCH * b * (Math.sqrt(3) / 2);
        const j = 8 * Math.sin(k++ * 12.9898); // deterministic jitter up to 8 % of the pitch
        pts.push({ x: x * Math.cos(th) - y * Math.sin(th) + j, y: x * Math.sin(th) + y * Math.cos(th) - j });
        truth.push({ a, b });
      }
    const inf = inferLatticeCoords(pts, 'hex');
    // same lattice up to a lattice automorphism: neighbour pairs must be preserved
    const key = (c: LatticeCoord) => `${c.a},${c.b}`;
    const idx = new Map(inf.map((c, i) => [key(c), i]));
    expect(idx.size).toBe(pts.length);
    const hexNb = (p: LatticeCoord, q: LatticeCoord) => {
      const da = q.a - p.a;
      const db = q.b - p.b;
      return da * da + db * db + da * db === 1;
    };
    for (let i = 0; i < pts.length; i++)
      for (let j = i + 1; j < pts.length; j++)
        expect(hexNb(inf[i]!, inf[j]!)).toBe(hexNb(truth[i]!, truth[j]!));
  });
});

describe('interp as an SrMethod', () => {
  it('divides pseudo-spot sums by member count, then reads at targets in the given frame', async () => {
    const coords: LatticeCoord[] = [
      { a: 0, b: 0 },
      { a: 1, b: 0 },
      { a: 0, b: 1 },
      { a: 1, b: 1 },
    ];
    // member counts 1, 2, 1, 4: per-member values 2, 4, 6, 8 (= 2 + 2a + 4b, linear)
    const members = [1, 2, 1, 4];
    const sums = [2, 8, 6, 32];
    const input: SrInput = {
      sample: 'tiny',
      genes: ['g'],
      spots: coords.map((c, i) => ({
        x: PITCH * c.a,
        y: PITCH * c.b,
        lattice: c,
        members: Array.from({ length: members[i]! }, () => ({ x: PITCH * c.a, y: PITCH * c.b })),
      })),
      values: one(sums),
      space: 'counts',
      counts: one(sums),
      totalCounts: Float64Array.from(sums),
      lattice: 'square',
      spotDiameterPx: 55,
      umPerPx: 1,
      targets: [
        { x: 0, y: 0, lattice: { a: 0.25, b: 0.75 } },
        { x: 30, y: 40 }, // no frame given: from pixels through the fitted affine map, (0.3, 0.4)
      ],
    };
    const out = await interpMethod.predict(input, { seed: 0 }, noProgress);
    if (out.kind !== 'spot') throw new Error('interp answers per spot');
    expect(out.values.data[0]).toBeCloseTo(2 + 0.5 + 3, 12);
    expect(out.values.data[1]).toBeCloseTo(2 + 0.6 + 1.6, 9);
  });
});

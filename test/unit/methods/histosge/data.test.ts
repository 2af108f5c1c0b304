/**
 * HisToSGE on real HER2ST C2: 4× generation puts every new spot on the midpoint of two measured
 * lattice neighbours (or, on this square lattice, the centre of a fully measured 2 × 2 cell), on
 * tissue, without duplicates; and training through the ONNX engine lowers the loss.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample } from '../../../../main/engine/io';
import type { Sample } from '../../../../main/engine/io/sample';
import { csrToDense } from '../../../../main/engine/analysis/matrix';
import { logNormalize } from '../../../../main/engine/analysis/normalise';
import { seuratV3Hvg } from '../../../../main/engine/analysis/hvg';
import { openSlide, tissueMask, type TissueMask } from '../../../../main/engine/slide';
import {
  PRESETS,
  fitHistosge,
  generatePositions,
  heldOut,
  openSpotSource,
  predictAt,
  type HistosgeOptions,
  type LatticePoint,
} from '../../../../main/engine/methods/histosge';
import { sharedData } from '../../../helpers/paths';

let sample: Sample;
let spots: LatticePoint[];
let mask: TissueMask;

const onMask = (x: number, y: number) => {
  const i = Math.floor(y / mask.scaleY);
  const j = Math.floor(x / mask.scaleX);
  return i >= 0 && j >= 0 && i < mask.height && j < mask.width && mask.data[i * mask.width + j] === 1;
};

beforeAll(async () => {
  sample = await readSample(sharedData('her2st', 'C2'));
  expect(sample.lattice).toBe('square');
  spots = sample.spots.map((s) => ({ x: s.x, y: s.y, a: s.col!, b: s.row! }));
  const slide = await openSlide(sample.image!.path, { umPerPx: sample.umPerPx });
  mask = await tissueMask(slide);
  await slide.close();
}, 60_000);

describe('HisToSGE 4× generation on HER2ST C2', () => {
  it('puts new spots on midpoints of measured lattice neighbours, on tissue, once each', () => {
    const out = generatePositions(spots, 'square', 4, onMask);
    const measured = out.filter((s) => s.measured);
    const fresh = out.filter((s) => !s.measured);
    expect(measured).toHaveLength(spots.length);
    expect(fresh.length).toBeGreaterThan(spots.length); // most cells of a compact section are complete
    const byIdx = new Map(spots.map((s) => [`${s.a},${s.b}`, s]));
    // The lattice pitch measured from the data (never assumed): median distance to the right neighbour.
    const steps: number[] = [];
    for (const s of spots) {
      const r = byIdx.get(`${s.a + 1},${s.b}`);
      if (r) steps.push(Math.hypot(r.x - s.x, r.y - s.y));
    }
    steps.sort((p, q) => p - q);
    const pitch = steps[Math.floor(steps.length / 2)]!;
    const keys = new Set<string>();
    let edges = 0;
    let centres = 0;
    for (const s of fresh) {
      const key = `${s.a},${s.b}`;
      expect(keys.has(key)).toBe(false);
      keys.add(key);
      expect(onMask(s.x, s.y)).toBe(true);
      const fa = s.a - Math.floor(s.a);
      const fb = s.b - Math.floor(s.b);
      expect([fa, fb].every((f) => f === 0 || f === 0.5)).toBe(true);
      // Endpoints in lattice terms, then checked against their MEASURED pixel positions.
      const a0 = Math.floor(s.a);
      const b0 = Math.floor(s.b);
      const ends =
        fa === 0.5 && fb === 0.5
          ? [
              byIdx.get(`${a0},${b0}`),
              byIdx.get(`${a0 + 1},${b0 + 1}`),
              byIdx.get(`${a0 + 1},${b0}`),
              byIdx.get(`${a0},${b0 + 1}`),
            ]
          : [byIdx.get(`${a0},${b0}`), byIdx.get(`${a0 + 2 * fa},${b0 + 2 * fb}`)];
      expect(ends.every((e) => e !== undefined)).toBe(true);
      const e = ends as LatticePoint[];
      if (e.length === 2) edges++;
      else centres++;
      // Midpoint of the (diagonal) pair, in measured pixels.
      const mx = (e[0]!.x + e[1]!.x) / 2;
      const my = (e[0]!.y + e[1]!.y) / 2;
      expect(Math.hypot(s.x - mx, s.y - my)).toBeLessThan(0.15 * pitch);
      // And away from every measured spot by about half a pitch (not on top of an old spot).
      const nearest = Math.min(...spots.map((m) => Math.hypot(m.x - s.x, m.y - s.y)));
      expect(nearest).toBeGreaterThan(0.35 * pitch);
    }
    expect(edges).toBeGreaterThan(0);
    expect(centres).toBeGreaterThan(0);
    // Every complete, on-tissue cell yields its 3 new nodes: count them independently.
    let expected = 0;
    for (const s of spots)
      for (const [da, db] of [
        [0.5, 0],
        [0, 0.5],
        [0.5, 0.5],
      ] as const) {
        const need = [
          [0, 0],
          [2 * da, 2 * db],
          ...(da && db
            ? [
                [1, 0],
                [0, 1],
              ]
            : []),
        ].map(([p, q]) => byIdx.get(`${s.a + p!},${s.b + q!}`));
        if (need.some((n) => !n)) continue;
        const px = need.reduce((acc, n) => acc + n!.x, 0) / need.length;
        const py = need.reduce((acc, n) => acc + n!.y, 0) / need.length;
        if (onMask(px, py)) expected++;
      }
    expect(fresh.length).toBe(expected);
  });
});

/** HisToSGE trained on C2's 20 most variable genes with options `o`. */
async function fitC2(o: HistosgeOptions) {
  const source = await openSpotSource({ image: sample.image!, umPerPx: sample.umPerPx });
  const idx = seuratV3Hvg(sample.counts, { nTopGenes: 20 }).ranked;
  const values = csrToDense(logNormalize(sample.counts, 1e4), { columns: idx });
  const fit = await fitHistosge(
    {
      source,
      spots,
      values: values.data,
      genes: idx.length,
      lattice: 'square',
      spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    },
    o,
  );
  return { fit, values, idx };
}

describe('HisToSGE training on HER2ST C2', () => {
  it('lowers the MSE and predicts finite values at generated points', async () => {
    // every spot in the loss, every epoch: the released training (no early stopping)
    const { fit, values } = await fitC2({
      ...PRESETS.default,
      epochs: 40,
      headDim: 64,
      mlpDim: 64,
      validation: 0,
    });
    expect(fit.history).toHaveLength(40);
    expect(fit.validationHistory).toHaveLength(0);
    const first = fit.history[0]!;
    const last = fit.history.at(-1)!;
    expect(last).toBeLessThan(0.5 * first);
    // The trained model reproduces its own training loss when run through the inference graph.
    const pred = await predictAt(fit, spots);
    let se = 0;
    for (let q = 0; q < pred.length; q++) se += (pred[q]! - values.data[q]!) ** 2;
    expect(se / pred.length).toBeLessThan(first);
    const gen = generatePositions(spots, 'square', 4, onMask)
      .filter((s) => !s.measured)
      .slice(0, 60);
    const g = await predictAt(fit, gen);
    expect(g.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
  }, 120_000);

  it('holds spots out of the loss, stops when their MSE stops falling and keeps the best epoch', async () => {
    const o = { ...PRESETS.default, epochs: 150, headDim: 64, mlpDim: 64, validation: 0.2, patience: 5 };
    const held = heldOut(spots.length, o)!;
    expect(held.reduce((a, b) => a + b, 0)).toBe(Math.round(0.2 * spots.length));
    const { fit, values, idx } = await fitC2(o);
    const v = fit.validationHistory;
    expect(v).toHaveLength(fit.history.length);
    // A 20-gene model memorises 150 spots: the held-out MSE turns up and training stops early.
    expect(fit.history.length).toBeLessThan(150);
    const best = Math.min(...v);
    expect(v.indexOf(best)).toBe(v.length - 1 - o.patience);
    // The returned weights are the best epoch's: the held-out spots' MSE, predicted in the same
    // chunks as in training, is that epoch's validation loss.
    const pred = await predictAt(fit, spots);
    let se = 0;
    let n = 0;
    for (let i = 0; i < spots.length; i++)
      if (held[i] === 1)
        for (let g = 0; g < idx.length; g++) {
          se += (pred[i * idx.length + g]! - values.data[i * idx.length + g]!) ** 2;
          n++;
        }
    expect(se / n).toBeCloseTo(best, 4);
    // and the training loss never saw them: the last epoch's training MSE is below the held-out one
    expect(fit.history.at(-1)!).toBeLessThan(v.at(-1)!);
  }, 240_000);
});

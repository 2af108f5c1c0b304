/**
 * The ONNX graph computes HisToSGE's equations: its output equals an independent TypeScript forward
 * on random weights (every parameter randomised, including LayerNorm scales and the embeddings),
 * padded spots leave the real ones untouched, and a half-way point reads the mean of two embeddings.
 */
import { describe, expect, it } from 'vitest';
import { histosgeDefinition, type HistosgeModelOptions } from '../../../../models/histosge';
import { buildInference, modelParams } from '../../../../main/engine/onnx/model';
import { Rng } from '../../../../main/engine/onnx/init';
import { createSession, toOrt } from '../../../../main/engine/onnx/session';
import { referenceForward, type RefSpot } from './reference';

const dims: HistosgeModelOptions = {
  inDim: 7,
  genes: 5,
  seqLen: 6,
  embeddings: 9,
  heads: 2,
  dimHead: 3,
  mlpDim: 8,
  headDim: 10,
  depth: 1,
};

function randomParams(seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const p of modelParams(histosgeDefinition(dims))) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    // Head biases positive-leaning so the ReLUs do not zero most units (a vacuous check); a head
    // with few active units also makes LayerNorm's output a near-constant pattern.
    const shift = p.name === 'head/fc2/b' || p.name === 'head/fc1/b' ? 1.5 : 0;
    out.set(
      p.name,
      Float32Array.from({ length: n }, () => 0.6 * rng.normal() + shift),
    );
  }
  return out;
}

async function runGraph(params: Map<string, Float32Array>, batch: RefSpot[][], garbage: Rng) {
  const L = dims.seqLen;
  const D = dims.inDim;
  const B = batch.length;
  const x = new Float32Array(B * L * D);
  const pos = new Float32Array(B * L * 4);
  const posW = new Float32Array(B * L * 2);
  const valid = new Float32Array(B * L);
  batch.forEach((chunk, c) => {
    for (let t = 0; t < L; t++) {
      const r = c * L + t;
      const s = chunk[t];
      if (s) {
        x.set(s.x, r * D);
        pos.set(s.pos, r * 4);
        posW.set(s.posW, r * 2);
        valid[r] = 1;
      } else {
        // Padding with arbitrary content: the mask must make it irrelevant to the real spots.
        for (let k = 0; k < D; k++) x[r * D + k] = 5 * garbage.normal();
        pos.set([3, 4, 1, 2], r * 4);
      }
    }
  });
  const built = buildInference(histosgeDefinition(dims), params, 'batch');
  const { session } = await createSession(built.bytes, { provider: 'cpu', threads: 1 });
  try {
    const res = await session.run({
      x: toOrt('float32', x, [B, L, D]),
      pos: toOrt('float32', pos, [B, L, 4]),
      posW: toOrt('float32', posW, [B, L, 2]),
      valid: toOrt('float32', valid, [B, L]),
    });
    return res['pred']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function randomSpot(rng: Rng): RefSpot {
  const xl = Math.floor(rng.uniform(0, dims.embeddings - 1));
  const yl = Math.floor(rng.uniform(0, dims.embeddings - 1));
  const half = rng.uniform(0, 1) < 0.3;
  return {
    x: Array.from({ length: dims.inDim }, () => rng.normal()),
    pos: half ? [xl, xl + 1, yl, yl + 1] : [xl, xl, yl, yl],
    posW: half ? [0.5, 0.5] : [0, 0],
  };
}

describe('HisToSGE graph vs an independent TypeScript forward', () => {
  it('matches on a full chunk and on a padded chunk, and padding content is irrelevant', async () => {
    const rng = new Rng(7);
    const params = randomParams(11);
    const full = Array.from({ length: dims.seqLen }, () => randomSpot(rng));
    const padded = Array.from({ length: 4 }, () => randomSpot(rng));
    const a = await runGraph(params, [full, padded], new Rng(1));
    const b = await runGraph(params, [full, padded], new Rng(2));
    const G = dims.genes;
    let nonzero = 0;
    for (const [c, chunk] of [full, padded].entries()) {
      const ref = referenceForward(params, dims, chunk);
      chunk.forEach((_, t) => {
        for (let g = 0; g < G; g++) {
          const got = a[(c * dims.seqLen + t) * G + g]!;
          const want = ref[t]![g]!;
          if (want > 0) nonzero++;
          expect(Math.abs(got - want)).toBeLessThan(2e-4 * Math.max(1, Math.abs(want)));
          expect(b[(c * dims.seqLen + t) * G + g]).toBe(got);
        }
      });
    }
    // The comparison must exercise the ReLU's active side, not just agree on zeros.
    expect(nonzero).toBeGreaterThanOrEqual(20);
  });

  it('attends across spots: changing one spot changes the others (the mask is not blocking everything)', async () => {
    const rng = new Rng(3);
    const params = randomParams(5);
    const chunk = Array.from({ length: 4 }, () => randomSpot(rng));
    const before = await runGraph(params, [chunk], new Rng(1));
    // One channel only: adding a constant to every channel would vanish in LayerNorm.
    const changed = chunk.map((s, i) =>
      i === 3 ? { ...s, x: s.x.map((v, c) => (c === 0 ? v + 3 : v)) } : s,
    );
    const after = await runGraph(params, [changed], new Rng(1));
    let diff = 0;
    // spots 0–2 (not the changed one) over all genes
    for (let q = 0; q < 3 * dims.genes; q++) diff += Math.abs(before[q]! - after[q]!);
    expect(diff).toBeGreaterThan(1e-3);
  });
});

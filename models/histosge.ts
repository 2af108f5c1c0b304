/**
 * HisToSGE's network (methods.md §4.1; paper eq. 3–8), one attention sequence of L spots per row:
 *
 *   h₀ = M + PE,   PE = Σ_c w_c·Ex[ix_c] + Σ_c w'_c·Ey[iy_c]           (learned x/y embeddings)
 *   h₁ = h₀ + Wo·concat_h softmax(Q_h K_hᵀ/√64 + maskBias) V_h + bo,  [Q K V] = LN₁(h₀)·Wqkv
 *   h₂ = h₁ + W₂·GELU(W₁·LN₂(h₁) + b₁) + b₂                          (pre-LayerNorm, depth 1)
 *   ŷ  = ReLU(W₄·LN₃(ReLU(W₃·h₂ + b₃)) + b₄)                           (gene head)
 *
 * The original indexes nn.Embedding with truncated coordinates, so a generated half-way spot gets
 * the PE of the spot it came from. We interpolate instead: a spot at lattice coordinate a + f
 * (0 ≤ f < 1) reads (1 − f)·E[a] + f·E[a + 1]. Because PE is additive in x and y, a midpoint's PE is
 * exactly the mean of its two endpoints' PEs, and for measured spots (f = 0) it is the original PE.
 * The key padding mask adds −1e9 to the scores of padded keys, so a padded chunk tail never leaks
 * into the real spots' attention.
 */
import type { ModelDefinition } from '../main/engine/onnx/model';
import type { Graph, Tensor } from '../main/engine/onnx/graph';
import { init } from '../main/engine/onnx/init';
import { layerNorm, linear } from './layers';

export interface HistosgeModelOptions {
  /** width of the per-spot input M (1024 + 2 + 3 with UNI; dim + 5 with the built-in extractor) */
  inDim: number;
  genes: number;
  /** spots per attention sequence (50) */
  seqLen: number;
  /** rows of each embedding table (the original: 512) */
  embeddings: number;
  heads: number;
  dimHead: number;
  mlpDim: number;
  /** gene head hidden width (2048) */
  headDim: number;
  depth: number;
}

export const PAPER_MODEL: Omit<HistosgeModelOptions, 'inDim' | 'genes'> = {
  seqLen: 50,
  embeddings: 512,
  heads: 4,
  dimHead: 64,
  mlpDim: 1024,
  headDim: 2048,
  depth: 1,
};

/** Additive score bias for padded keys: large enough that exp() underflows to exactly 0 in float32. */
export const MASK_BIAS = -1e9;

/** Multi-head self-attention with a key padding mask (`keyMask` [B, L], 1 = real spot). */
export function maskedSelfAttention(
  g: Graph,
  name: string,
  x: Tensor,
  keyMask: Tensor,
  o: { heads: number; dimHead: number },
): Tensor {
  const d = x.shape[2] as number;
  const L = x.shape[1] as number;
  const inner = o.heads * o.dimHead;
  return g.scope(name, () => {
    // One bias-free projection to q, k, v (the original's to_qkv), then split per head.
    const qkv = linear(g, 'qkv', x, 3 * inner, { bias: false });
    const [q, k, v] = g.split(qkv, [inner, inner, inner], 2) as [Tensor, Tensor, Tensor];
    const Q = g.transpose(g.reshape(q, [0, L, o.heads, o.dimHead]), [0, 2, 1, 3]);
    const Kt = g.transpose(g.reshape(k, [0, L, o.heads, o.dimHead]), [0, 2, 3, 1]);
    const V = g.transpose(g.reshape(v, [0, L, o.heads, o.dimHead]), [0, 2, 1, 3]);
    // bias [B, 1, 1, L]: (1 − mask)·MASK_BIAS, broadcast over heads and queries.
    const bias = g.unsqueeze(g.mul(g.sub(1, keyMask), MASK_BIAS), [1, 2]);
    const scores = g.add(g.mul(g.matmul(Q, Kt), 1 / Math.sqrt(o.dimHead)), bias);
    const heads = g.matmul(g.softmax(scores, -1), V);
    const merged = g.reshape(g.transpose(heads, [0, 2, 1, 3]), [0, L, inner]);
    return linear(g, 'out', merged, d);
  });
}

/** Interpolated embedding lookup: idx [B, L, 2] (int64 lo, hi), w [B, L, 1] (weight of hi). */
function embed(g: Graph, table: Tensor, idx: Tensor, w: Tensor): Tensor {
  const e = g.gather(table, idx, 0); // [B, L, 2, d]
  const [lo, hi] = g.split(e, [1, 1], 2).map((t) => g.squeeze(t, [2])) as [Tensor, Tensor];
  return g.add(lo, g.mul(g.sub(hi, lo), w));
}

/** Forward pass; inputs as in histosgeDefinition. Returns ŷ [B, L, genes]. */
export function histosgeForward(g: Graph, inp: Record<string, Tensor>, o: HistosgeModelOptions): Tensor {
  const x = inp['x']!;
  // [B, L, 4] x lo, x hi, y lo, y hi as floats (exact integers < 2²⁴): the trainer's batch buffers
  // zero-fill with a number, which BigInt64Array refuses, so the indices are cast inside the graph.
  const pos = g.cast(inp['pos']!, 'int64');
  const posW = inp['posW']!; // [B, L, 2]: fraction towards x hi, y hi
  const keyMask = inp['valid']!; // [B, L]
  const d = o.inDim;
  const [ix, iy] = g.split(pos, [2, 2], 2) as [Tensor, Tensor];
  const [wx, wy] = g.split(posW, [1, 1], 2) as [Tensor, Tensor];
  // nn.Embedding's default init is N(0, 1).
  const ex = g.param('pe/x', [o.embeddings, d], init.normal(1));
  const ey = g.param('pe/y', [o.embeddings, d], init.normal(1));
  let h = g.add(x, g.add(embed(g, ex, ix, wx), embed(g, ey, iy, wy)));
  for (let layer = 0; layer < o.depth; layer++) {
    h = g.scope(`block${layer}`, () => {
      const a = maskedSelfAttention(g, 'attn', layerNorm(g, 'ln1', h), keyMask, o);
      const h1 = g.add(h, a);
      const m = linear(g, 'mlp2', g.gelu(linear(g, 'mlp1', layerNorm(g, 'ln2', h1), o.mlpDim)), d);
      return g.add(h1, m);
    });
  }
  return g.scope('head', () => {
    const z = g.relu(linear(g, 'fc1', h, o.headDim));
    return g.relu(linear(g, 'fc2', layerNorm(g, 'ln', z), o.genes));
  });
}

/**
 * The ModelDefinition: per row one chunk of L spots. `yMask` [L, 1] repeats `valid` for the loss,
 * which only sees targets: the MSE is the mean over real spots × genes (nn.MSELoss over the chunk).
 */
export function histosgeDefinition(o: HistosgeModelOptions): ModelDefinition {
  const L = o.seqLen;
  return {
    name: `histosge-d${o.inDim}-g${o.genes}-L${L}-e${o.embeddings}-h${o.heads}x${o.dimHead}-m${o.mlpDim}-f${o.headDim}-n${o.depth}`,
    dtype: 'float32',
    inputs: {
      x: { shape: [L, o.inDim] },
      pos: { shape: [L, 4] },
      posW: { shape: [L, 2] },
      valid: { shape: [L] },
    },
    targets: { y: { shape: [L, o.genes] }, yMask: { shape: [L, 1] } },
    forward: (g, inputs) => ({ pred: histosgeForward(g, inputs, o) }),
    loss: (g, out, t, mask) => {
      const d = g.sub(out['pred']!, t['y']!);
      // mask [B, 1] (padding rows of a partial batch) × yMask [B, L, 1] (padded spots of a chunk)
      const m = g.mul(t['yMask']!, g.unsqueeze(mask, [2]));
      const w = g.mul(g.mul(d, d), m);
      return g.div(g.reduceSum(w), g.max(g.mul(g.reduceSum(m), o.genes), 1e-30));
    },
  };
}

/**
 * HISTEX's regressor (methods.md §3.3) and its iStar-style ablation (§6.2) as ONNX graphs.
 *
 *   CA(q, kv)   = Wo·concat_h softmax(Q_h K_hᵀ·scale + keyBias) V_h + bo   (Q, K, V, o with bias)
 *   BCA(A, B)   : C = CA₁(A, B); D = CA₂(B, A); Z = CA₃(C, D); out = L(Z) + Z, L(x) = x·W + 0.01
 *   z₁ = BCA₁(his, gene); z₂ = BCA₂(z₁, gene); L = concat(z₂, his)
 *   head        : four bias-free Linear layers (+0.01 each, no activation) 1024, 512, 512, 512
 *   out         : ELU₀.₀₁(h·W₅) + 0.01, W₅ bias-free (+0.01 is the `beta` after the activation)
 *
 * Generalised to bags of any size: a bag is padded to `tokens` with a 0/1 `bag` mask; padded
 * tokens are removed from every attention whose keys are histology tokens (CA₂ of both layers) by an
 * additive −1e9 bias, and from the MIL mean. With a full mask this is exactly the released model.
 *
 * The head is activation-free, so `foldHead` multiplies W₁…W₅ (and their +0.01 terms) into one
 * matrix inside the step graph: the same function and, through autodiff, the same gradients for
 * every factor (matrix products are associative), at a fraction of the per-token cost.
 */
import type { Graph, Tensor } from '../main/engine/onnx/graph';
import { init } from '../main/engine/onnx/init';
import type { ModelDefinition } from '../main/engine/onnx/model';
import { linear } from './layers';

export interface HistexModelOptions {
  /** histology feature channels F (1029 with UNI + rgb + pos) */
  features: number;
  genes: number;
  /** padded bag size: histology tokens per sample */
  tokens: number;
  /** gene tokens per sample (k nearest enhanced spots; 5 in the code, 6 in the paper) */
  geneTokens: number;
  /** model width d (128) */
  dim?: number;
  /** attention heads (8) */
  heads?: number;
  /** 'code' = heads^−½ (1/√8, released code), 'paper' = d_h^−½ */
  scale?: 'code' | 'paper';
  /** output head widths (1024, 512, 512, 512) */
  head?: readonly number[];
  /** 'mse' (code) or 'l1' (paper text) on the bag mean */
  loss?: 'mse' | 'l1';
  /** compute the activation-free head as one folded matrix (identical maths); default true */
  foldHead?: boolean;
  /** 'histex' (two BCA layers) or 'istar' (pointwise MLP, the "without BCA" ablation) */
  arch?: 'histex' | 'istar';
  dtype?: 'float32' | 'float64';
}

export const HISTEX_HEAD = [1024, 512, 512, 512] as const;
export const ISTAR_HIDDEN = [256, 256, 256, 256] as const;
export const HEAD_BETA = 0.01;

export function resolvedOptions(o: HistexModelOptions): Required<HistexModelOptions> {
  return {
    dim: 128,
    heads: 8,
    scale: 'code',
    head: HISTEX_HEAD,
    loss: 'mse',
    foldHead: true,
    arch: 'histex',
    dtype: 'float32',
    ...o,
  };
}

/** HISTEX's custom `Linear` init: U(±1/√out_dim) (out, not fan-in: model.py:76-80). */
function histexInit(outDim: number) {
  const b = 1 / Math.sqrt(outDim);
  return init.uniform(-b, b);
}

/** Multi-head cross-attention with an optional additive key bias [B, 1, 1, n₂]. */
export function maskedCrossAttention(
  g: Graph,
  name: string,
  q: Tensor,
  kv: Tensor,
  o: { dim: number; heads: number; scale: number; keyBias?: Tensor },
): Tensor {
  const { dim, heads } = o;
  const dh = dim / heads;
  const n1 = q.shape[1] as number;
  const n2 = kv.shape[1] as number;
  return g.scope(name, () => {
    const Q = g.transpose(g.reshape(linear(g, 'q', q, dim), [0, n1, heads, dh]), [0, 2, 1, 3]);
    const Kt = g.transpose(g.reshape(linear(g, 'k', kv, dim), [0, n2, heads, dh]), [0, 2, 3, 1]);
    const V = g.transpose(g.reshape(linear(g, 'v', kv, dim), [0, n2, heads, dh]), [0, 2, 1, 3]);
    let scores = g.mul(g.matmul(Q, Kt), o.scale);
    if (o.keyBias) scores = g.add(scores, o.keyBias);
    const merged = g.reshape(g.transpose(g.matmul(g.softmax(scores, -1), V), [0, 2, 1, 3]), [0, n1, dim]);
    return linear(g, 'o', merged, dim);
  });
}

/** BCA layer with HISTEX's residual `L(Z) + Z`; `aBias` masks padded tokens of A when they are keys. */
export function bcaLayer(
  g: Graph,
  name: string,
  a: Tensor,
  b: Tensor,
  o: { dim: number; heads: number; scale: number; aBias?: Tensor },
): Tensor {
  return g.scope(name, () => {
    const base = { dim: o.dim, heads: o.heads, scale: o.scale };
    const c = maskedCrossAttention(g, 'ca1', a, b, base);
    const d = maskedCrossAttention(g, 'ca2', b, a, o.aBias ? { ...base, keyBias: o.aBias } : base);
    const z = maskedCrossAttention(g, 'ca3', c, d, base);
    const l = g.add(linear(g, 'l', z, o.dim, { bias: false, weightInit: histexInit(o.dim) }), HEAD_BETA);
    return g.add(l, z);
  });
}

/** Dimensions d₀…d_n of a chain of matrices (matrix i is d_{i−1} × d_i): the cheapest product order. */
interface ChainPlan {
  cost: number;
  /** product of matrices lo…hi (1-based, inclusive) */
  build: (ws: readonly Tensor[]) => Tensor;
}

/** Classic matrix-chain order (n ≤ 5 here): multiply-adds and the product tree of W_lo⋯W_hi. */
function chainPlan(g: Graph, dims: readonly number[], lo: number, hi: number): ChainPlan {
  if (lo === hi) return { cost: 0, build: (ws) => ws[lo - 1] as Tensor };
  let best: ChainPlan | null = null;
  for (let s = lo; s < hi; s++) {
    const l = chainPlan(g, dims, lo, s);
    const r = chainPlan(g, dims, s + 1, hi);
    const cost = l.cost + r.cost + (dims[lo - 1] as number) * (dims[s] as number) * (dims[hi] as number);
    if (!best || cost < best.cost) best = { cost, build: (ws) => g.matmul(l.build(ws), r.build(ws)) };
  }
  return best as ChainPlan;
}

/**
 * The affine head x → (((x·W₁ + β)·W₂ + β)…)·W_n (the last, gene layer has its β after the ELU), either
 * layer by layer or folded: x·W₁⋯W_n + b with b = (((β·1ᵀW₂ + β)·W₃ + β)⋯)·W_n, the +β terms carried
 * through the later layers as vectors.
 *
 * Folded, the chain x·W₁⋯W_n is bracketed as (x·L)·R with L = W₁⋯W_k and R = W_{k+1}⋯W_n, the split k
 * (and the order inside L and R) chosen for the fewest multiply-adds at this graph's token count T:
 * T·(d₀·d_k + d_k·d_n) per pass plus the T-independent products. For HISTEX's 1157-1024-512-512-512-1000
 * at T = 32·49 that is k = 2 (through the 512-wide layer): 30 % fewer than folding the whole head into
 * one 1157 × 1000 matrix and 35 % fewer than the layers one by one, forward and backward alike. x comes
 * as its concatenated parts (z₂, his): each part meets its own rows of L, so no gradient is formed for
 * the part that is data (his), which a concatenation followed by one product would compute in full.
 * Parameters are declared identically either way, so every bracketing shares one set of weights, and
 * the function and its gradients are the same (matrix products are associative).
 */
function affineHead(g: Graph, parts: readonly Tensor[], widths: readonly number[], fold: boolean): Tensor {
  const partDims = parts.map((p) => p.shape[p.rank - 1] as number);
  const inDim = partDims.reduce((a, b) => a + b, 0);
  const dims = [inDim, ...widths];
  const ws: Tensor[] = [];
  widths.forEach((w, i) => {
    ws.push(g.scope(`head${i + 1}`, () => g.param('w', [dims[i] as number, w], histexInit(w))));
  });
  const n = ws.length;
  if (!fold) {
    let h = parts.length === 1 ? (parts[0] as Tensor) : g.concat(parts, -1);
    ws.forEach((w, i) => {
      h = g.matmul(h, w);
      if (i < n - 1) h = g.add(h, HEAD_BETA);
    });
    return h;
  }
  // tokens per pass; a symbolic batch (inference over a whole slide) counts as many
  const lead = (parts[0] as Tensor).shape.slice(0, -1);
  const tokens = lead.every((d) => typeof d === 'number')
    ? (lead as number[]).reduce((a, b) => a * b, 1)
    : 1e9;
  let best: { k: number; cost: number; left: ChainPlan; right: ChainPlan | null } | null = null;
  for (let k = 1; k <= n; k++) {
    const left = chainPlan(g, dims, 1, k);
    const right = k < n ? chainPlan(g, dims, k + 1, n) : null;
    const dk = dims[k] as number;
    const perToken = inDim * dk + (right ? dk * (dims[n] as number) : 0);
    const cost = tokens * perToken + left.cost + (right?.cost ?? 0);
    if (!best || cost < best.cost) best = { k, cost, left, right };
  }
  const plan = best as NonNullable<typeof best>;
  const l = plan.left.build(ws);
  const rows = parts.length === 1 ? [l] : g.split(l, partDims, 0);
  let h = g.sum(parts.map((p, i) => g.matmul(p, rows[i] as Tensor)));
  if (plan.right) h = g.matmul(h, plan.right.build(ws));
  if (n === 1) return h;
  // [1, d]: β·1ᵀW₂ (+β unless W₂ is the last layer), then through W₃…W_n
  let bias = g.mul(g.reduceSum(ws[1] as Tensor, [0], true), HEAD_BETA);
  if (n > 2) bias = g.add(bias, HEAD_BETA);
  for (let i = 2; i < n; i++) {
    bias = g.matmul(bias, ws[i] as Tensor);
    if (i < n - 1) bias = g.add(bias, HEAD_BETA);
  }
  return g.add(h, bias);
}

/**
 * Forward pass shared by training and inference. Returns `pred` [B, n, G] (≥ 0) and `z` [B, n, d]
 * (the latent before the head: z₂ for HISTEX, the last hidden layer for the iStar MLP).
 * With `latentOnly` the head is not built (inference stores z and folds the head outside the graph).
 */
export function histexForward(
  g: Graph,
  o: Required<HistexModelOptions>,
  his: Tensor,
  gene: Tensor | null,
  bag: Tensor | null,
  latentOnly = false,
): { pred: Tensor; z: Tensor } {
  if (o.arch === 'istar') {
    let h = his;
    ISTAR_HIDDEN.forEach((w, i) => {
      h = g.leakyRelu(linear(g, `mlp${i + 1}`, h, w), 0.1);
    });
    if (latentOnly) return { pred: h, z: h };
    const out = linear(g, 'out', h, o.genes);
    return { pred: g.add(g.elu(out, 0.01), 0.01), z: h };
  }
  if (!gene) throw new RangeError('HISTEX needs gene tokens');
  const n = his.shape[1] as number;
  const scale = o.scale === 'code' ? 1 / Math.sqrt(o.heads) : 1 / Math.sqrt(o.dim / o.heads);
  // keyBias = (bag − 1)·1e9: 0 for real tokens, −1e9 for padding, shaped [B, 1, 1, n].
  const aBias = bag ? g.reshape(g.mul(g.sub(bag, 1), 1e9), [0, 1, 1, n]) : undefined;
  const base = { dim: o.dim, heads: o.heads, scale, ...(aBias ? { aBias } : {}) };
  const z1 = bcaLayer(g, 'bca1', his, gene, base);
  const z2 = bcaLayer(g, 'bca2', z1, gene, base);
  if (latentOnly) return { pred: z2, z: z2 };
  const pre = affineHead(g, [z2, his], [...o.head, o.genes], o.foldHead);
  return { pred: g.add(g.elu(pre, 0.01), 0.01), z: z2 };
}

/**
 * The ModelDefinition the trainer uses. Inputs: `his` [n, F], `gene` [k, G] (HISTEX only),
 * `bag` [n] (1 = the token is inside the footprint); target `y` [G] (min-max bag mean).
 * Outputs: `pred` [n, G], `z` [n, d], `bagMean` [G].
 */
export function histexDefinition(opts: HistexModelOptions, name = 'histex'): ModelDefinition {
  const o = resolvedOptions(opts);
  const inputs: ModelDefinition['inputs'] =
    o.arch === 'istar'
      ? { his: { shape: [o.tokens, o.features] }, bag: { shape: [o.tokens] } }
      : {
          his: { shape: [o.tokens, o.features] },
          gene: { shape: [o.geneTokens, o.genes] },
          bag: { shape: [o.tokens] },
        };
  return {
    name: `${name}:${o.arch}:${o.features}x${o.genes}:n${o.tokens}:k${o.geneTokens}:d${o.dim}:${o.scale}:${o.loss}`,
    dtype: o.dtype,
    inputs,
    targets: { y: { shape: [o.genes] } },
    forward(g, x) {
      const his = x['his'] as Tensor;
      const bag = x['bag'] as Tensor;
      const { pred, z } = histexForward(g, o, his, x['gene'] ?? null, bag);
      // MIL: mean over the bag's instances (padded tokens excluded).
      const w = g.unsqueeze(bag, [2]);
      const count = g.max(g.reduceSum(bag, [1], true), 1);
      const bagMean = g.div(g.reduceSum(g.mul(pred, w), [1], false), count);
      return { pred, z, bagMean };
    },
    loss(g, out, t, mask) {
      const d = g.sub(out['bagMean'] as Tensor, t['y'] as Tensor);
      const per = o.loss === 'l1' ? g.abs(d) : g.mul(d, d);
      const weighted = g.reduceSum(g.mul(per, mask));
      return g.div(weighted, g.max(g.mul(g.reduceSum(mask), o.genes), 1e-30));
    },
  };
}

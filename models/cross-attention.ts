/**
 * HISTEX's attention blocks (methods.md §3.3), written to read like the equations.
 *
 *   CA(Q-source q, K/V-source kv) = Wo·concat_h softmax(Q_h K_hᵀ · scale) V_h + bo
 *   BCA(A, B): C = CA₁(A, B); D = CA₂(B, A); Z = CA₃(C, D); out = L(Z) + Z
 *
 * where L is HISTEX's bias-free Linear(d → d) plus 0.01 and no activation.
 */
import type { Graph, Tensor } from '../main/engine/onnx/graph';
import { init } from '../main/engine/onnx/init';
import { linear } from './layers';

export interface AttentionOptions {
  /** Model width d (128 in HISTEX). */
  dim: number;
  /** Heads m (8 in HISTEX); d must divide by it. */
  heads: number;
  /** Score scale; HISTEX uses heads^−½ (= 1/√8), not the usual 1/√(d/heads). */
  scale?: number;
}

/** Multi-head cross-attention: q [B, n₁, q_dim], kv [B, n₂, kv_dim] → [B, n₁, d]. */
export function crossAttention(g: Graph, name: string, q: Tensor, kv: Tensor, o: AttentionOptions): Tensor {
  const { dim, heads } = o;
  if (dim % heads !== 0) throw new RangeError(`attention ${name}: ${dim} does not split into ${heads} heads`);
  const dh = dim / heads;
  const n1 = q.shape[1] as number;
  const n2 = kv.shape[1] as number;
  const scale = o.scale ?? 1 / Math.sqrt(heads);
  return g.scope(name, () => {
    // [B, n, d] → [B, heads, n, dh]; K goes straight to [B, heads, dh, n₂] so Q·Kᵀ needs no extra transpose.
    const Q = g.transpose(g.reshape(linear(g, 'q', q, dim), [0, n1, heads, dh]), [0, 2, 1, 3]);
    const Kt = g.transpose(g.reshape(linear(g, 'k', kv, dim), [0, n2, heads, dh]), [0, 2, 3, 1]);
    const V = g.transpose(g.reshape(linear(g, 'v', kv, dim), [0, n2, heads, dh]), [0, 2, 1, 3]);
    const attention = g.softmax(g.mul(g.matmul(Q, Kt), scale), -1);
    const heads_ = g.matmul(attention, V);
    const merged = g.reshape(g.transpose(heads_, [0, 2, 1, 3]), [0, n1, dim]);
    return linear(g, 'o', merged, dim);
  });
}

/** HISTEX's `Linear(func=False, beta=0.01)`: bias-free x·W + 0.01 with W ~ U(±1/√out_dim). */
export function histexLinear(g: Graph, name: string, x: Tensor, outDim: number): Tensor {
  const bound = 1 / Math.sqrt(outDim);
  return g.add(linear(g, name, x, outDim, { bias: false, weightInit: init.uniform(-bound, bound) }), 0.01);
}

/** BCA layer: A [B, n₁, ·], B [B, n₂, ·] → [B, n₁, d], including the `L(Z) + Z` residual. */
export function biCrossAttention(g: Graph, name: string, a: Tensor, b: Tensor, o: AttentionOptions): Tensor {
  return g.scope(name, () => {
    const c = crossAttention(g, 'ca1', a, b, o);
    const d = crossAttention(g, 'ca2', b, a, o);
    const z = crossAttention(g, 'ca3', c, d, o);
    return g.add(histexLinear(g, 'l', z, o.dim), z);
  });
}

/**
 * A timm-layout Vision Transformer (patch 16, 224 px, CLS first, pre-norm blocks, final LayerNorm
 * applied to every token) built with the graph builder, with random weights. It is the stand-in for
 * UNI where real weights cannot be shipped: tests run a tiny one through the foundation-model path,
 * and the benchmark runs a ViT-L-shaped one (1024 wide, 24 blocks, 16 heads, MLP 4096) to measure
 * the pipeline's overhead. `shareBlockWeights` reuses one block's weights in every block: the
 * FLOPs and activations are exactly ViT-L's while the file stays ~60 MB instead of 1.2 GB.
 */
import { Graph, type Tensor } from '../onnx/graph';
import { init, initParams } from '../onnx/init';
import { TILE_PX } from './geometry';

export interface VitOptions {
  dim: number;
  depth: number;
  heads: number;
  mlpRatio?: number;
  /** fixed batch size, or a name for a dynamic batch — only the token-probe-free model supports it */
  batch: number;
  seed?: number;
  shareBlockWeights?: boolean;
  /**
   * Appends two channels to every token so tests can see where tokens land: the mean normalised
   * pixel value of the token's 16 × 16 patch (0 for CLS) and the token's patch index (−1 for CLS).
   */
  probeChannels?: boolean;
}

interface BlockParams {
  ln1s: Tensor;
  ln1b: Tensor;
  wq: Tensor;
  bq: Tensor;
  wk: Tensor;
  bk: Tensor;
  wv: Tensor;
  bv: Tensor;
  wo: Tensor;
  bo: Tensor;
  ln2s: Tensor;
  ln2b: Tensor;
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
}

function blockParams(g: Graph, name: string, dim: number, hidden: number): BlockParams {
  return g.scope(name, () => {
    const lin = (n: string, i: number, o: number) => ({
      w: g.param(`${n}/w`, [i, o], init.xavierUniform(i, o)),
      b: g.param(`${n}/b`, [o], init.normal(1e-6)),
    });
    const q = lin('q', dim, dim);
    const k = lin('k', dim, dim);
    const v = lin('v', dim, dim);
    const o = lin('proj', dim, dim);
    const f1 = lin('fc1', dim, hidden);
    const f2 = lin('fc2', hidden, dim);
    return {
      ln1s: g.param('ln1/scale', [dim], init.ones()),
      ln1b: g.param('ln1/bias', [dim], init.zeros()),
      wq: q.w,
      bq: q.b,
      wk: k.w,
      bk: k.b,
      wv: v.w,
      bv: v.b,
      wo: o.w,
      bo: o.b,
      ln2s: g.param('ln2/scale', [dim], init.ones()),
      ln2b: g.param('ln2/bias', [dim], init.zeros()),
      w1: f1.w,
      b1: f1.b,
      w2: f2.w,
      b2: f2.b,
    };
  });
}

export function buildVit(o: VitOptions): Uint8Array {
  const { dim, depth, heads, batch: B } = o;
  const hidden = dim * (o.mlpRatio ?? 4);
  const dh = dim / heads;
  if (!Number.isInteger(dh)) throw new RangeError(`width ${dim} is not divisible by ${heads} heads`);
  const T = 197;
  const g = new Graph('float32');
  const x = g.input('pixels', [B, 3, TILE_PX, TILE_PX]);
  const wp = g.param('patch/w', [dim, 3, 16, 16], init.torchDefault(3 * 256));
  const bp = g.param('patch/b', [dim], init.torchDefault(3 * 256));
  const patches = g.transpose(g.reshape(g.conv(x, wp, bp, { strides: [16, 16] }), [B, dim, 196]), [0, 2, 1]);
  const cls = g.param('cls', [1, 1, dim], init.normal(0.02));
  const pos = g.param('pos', [1, T, dim], init.normal(0.02));
  let t = g.add(g.concat([g.expand(cls, [B, 1, dim]), patches], 1), pos);
  const shared = o.shareBlockWeights ? blockParams(g, 'block', dim, hidden) : null;
  for (let i = 0; i < depth; i++) {
    const p = shared ?? blockParams(g, `block${i}`, dim, hidden);
    const h = g.layerNorm(t, p.ln1s, p.ln1b, -1, 1e-6);
    const split = (w: Tensor, b: Tensor) =>
      g.transpose(g.reshape(g.add(g.matmul(h, w), b), [B, T, heads, dh]), [0, 2, 1, 3]);
    const q = split(p.wq, p.bq);
    const k = split(p.wk, p.bk);
    const v = split(p.wv, p.bv);
    const att = g.softmax(g.mul(g.matmul(q, g.transposeLast2(k)), 1 / Math.sqrt(dh)), -1);
    const ctx = g.reshape(g.transpose(g.matmul(att, v), [0, 2, 1, 3]), [B, T, dim]);
    t = g.add(t, g.add(g.matmul(ctx, p.wo), p.bo));
    const h2 = g.layerNorm(t, p.ln2s, p.ln2b, -1, 1e-6);
    const m = g.add(g.matmul(g.gelu(g.add(g.matmul(h2, p.w1), p.b1)), p.w2), p.b2);
    t = g.add(t, m);
  }
  const ns = g.param('norm/scale', [dim], init.ones());
  const nb = g.param('norm/bias', [dim], init.zeros());
  let out = g.layerNorm(t, ns, nb, -1, 1e-6);
  if (o.probeChannels) {
    const meanRgb = g.conv(g.averagePool(x, [16, 16]), g.constant([1 / 3, 1 / 3, 1 / 3], [1, 3, 1, 1]), null);
    const pm = g.transpose(g.reshape(meanRgb, [B, 1, 196]), [0, 2, 1]);
    const pmAll = g.concat([g.zeros([B, 1, 1]), pm], 1);
    const idx = g.constant(
      Array.from({ length: T }, (_, i) => i - 1),
      [1, T, 1],
    );
    out = g.concat([out, pmAll, g.expand(idx, [B, T, 1])], 2);
  }
  const values = initParams(g.params.values(), o.seed ?? 0, 'float32');
  return g.toModel({ outputs: { tokens: out }, paramValues: values, name: 'random-vit' });
}

/**
 * Diff-ST's denoiser (methods.md §5.2) and its training loss (§5.3) as one ModelDefinition.
 *
 *   x_t ─ conv ─ encoder ─┐ skips = (h_x + ↑h_lr + h_wsi)/3 at every stage
 *   lr ─ conv+SiLU ─ 0.98·x + 0.02·ReLU(Â·X·W) (gene graph) ─ conv ─ encoder copy (own weights)
 *   wsi ─ conv ─ pool ─ encoder (the SAME ResBlocks as x_t's)
 *   cells ─ conv ─ mean over patches ─ cross-attention(Q = wsi tokens) → h_wsi = 0.9·h_wsi + 0.1·attn
 *   modulation (a×a regions, F = A_yᵀA_h → Linear → softmax, 0.9/0.1) → disentangling convs
 *   condition = [common, distinct_wsi, distinct_lr] → cross-attention(Q = h_x) replaces h_x
 *   middle ResBlocks → decoder (concat skips) → GN, SiLU, zero conv → [ε̂, v] (2G channels)
 *
 * ResBlocks are guided-diffusion's: GN → SiLU → conv → FiLM (GN(h)·(1+s)+b from the timestep
 * embedding) → SiLU → zero-initialised conv, plus the skip; down/up ResBlocks pool or upsample
 * both paths (`resblock_updown`). The loss is Charbonnier on ε + the variational bound of the
 * learned-range variance (the mean detached, as guided-diffusion does) + 0.01 × the disentangling
 * ratio. Deviations from the released code are listed in docs/diffst.md.
 */
import type { Graph, Tensor } from '../main/engine/onnx/graph';
import { init, type InitSpec } from '../main/engine/onnx/init';
import { maskedMean } from '../main/engine/onnx/losses';
import type { ModelDefinition } from '../main/engine/onnx/model';

export interface DiffstConfig {
  /** genes G (channels of the ST maps) */
  genes: number;
  /** HR map side (the LR map is hr/2: one 2× step) */
  hr: number;
  /** model channels (128 in the paper) */
  channels: number;
  /** number of 2× downsamplings (2 in the paper: 256 → 64) */
  levels: number;
  /** GroupNorm groups (32 in the paper) */
  groups: number;
  /** image pixels per HR map pixel for the tissue-level branch */
  imageScale: number;
  /**
   * channels of the image inputs (wsi, cells) and the divisor applied to them: RGB 0–255 → 3 and 255
   * (as released); the built-in feature map's principal components (unit SD) → their count and 1
   */
  imageChannels?: number;
  imageDivisor?: number;
  /** cell-level patches per sample and their side in pixels */
  cells: number;
  cellPx: number;
  /** modulation region side a (the bottleneck is split into (S/a)² regions) */
  region: number;
  /** graph mixing weight α (0.02 in the released code) */
  graphAlpha: number;
  /** row-normalised gene adjacency Â (G × G, row-major) */
  adjacency: Float32Array;
  /** weight of the disentangling ratio in the loss */
  disentangleWeight: number;
  /**
   * channels of x_t and ε̂ (the diffused gene directions, gene-basis.ts); default `genes` (the
   * released model diffuses the genes themselves)
   */
  latent?: number;
}

/** Channels of x_t, ε̂ and v. */
export const diffusedChannels = (cfg: DiffstConfig): number => cfg.latent ?? cfg.genes;

/** Channels of the wsi and cells inputs. */
export const imageChannels = (cfg: DiffstConfig): number => cfg.imageChannels ?? 3;

export const DIFFST_OUTPUTS = ['out', 'comWsi', 'comLr', 'distWsi', 'distLr'] as const;

/** A parameter store that hands back the same tensor for a name declared before (weight sharing). */
function params(g: Graph) {
  const seen = new Map<string, Tensor>();
  return (name: string, shape: readonly number[], spec: InitSpec): Tensor => {
    const have = seen.get(name);
    if (have) {
      if (have.dims.join() !== shape.join()) throw new RangeError(`${name}: shared with another shape`);
      return have;
    }
    const t = g.param(name, shape, spec);
    seen.set(name, t);
    return t;
  };
}
type P = ReturnType<typeof params>;

function conv(g: Graph, P: P, name: string, x: Tensor, cout: number, k = 3, zero = false): Tensor {
  const cin = x.dims[1] as number;
  const fan = cin * k * k;
  const w = P(`${name}/w`, [cout, cin, k, k], zero ? init.zeros() : init.torchDefault(fan));
  const b = P(`${name}/b`, [cout], zero ? init.zeros() : init.torchDefault(fan));
  const p = (k - 1) / 2;
  return g.conv(x, w, b, { pads: [p, p, p, p] });
}

function dense(g: Graph, P: P, name: string, x: Tensor, out: number, bias = true): Tensor {
  const inDim = x.dims[x.rank - 1] as number;
  const y = g.matmul(x, P(`${name}/w`, [inDim, out], init.torchDefault(inDim)));
  return bias ? g.add(y, P(`${name}/b`, [out], init.torchDefault(inDim))) : y;
}

function norm(g: Graph, P: P, name: string, x: Tensor, groups: number): Tensor {
  const c = x.dims[1] as number;
  return g.groupNorm(
    x,
    Math.min(groups, c),
    P(`${name}/scale`, [c], init.ones()),
    P(`${name}/shift`, [c], init.zeros()),
  );
}

type Resample = 'none' | 'down' | 'up';

function resample(g: Graph, x: Tensor, r: Resample): Tensor {
  if (r === 'down') return g.averagePool(x, [2, 2]);
  if (r === 'up') return g.resizeNearest(x, [2, 2]);
  return x;
}

/** guided-diffusion ResBlock with scale-shift norm (FiLM) and optional up/down resampling. */
function resBlock(
  g: Graph,
  P: P,
  name: string,
  x: Tensor,
  emb: Tensor,
  cout: number,
  groups: number,
  r: Resample = 'none',
): Tensor {
  const cin = x.dims[1] as number;
  let h = g.silu(norm(g, P, `${name}/in_norm`, x, groups));
  h = resample(g, h, r);
  const xs = resample(g, x, r);
  h = conv(g, P, `${name}/in_conv`, h, cout);
  const ss = dense(g, P, `${name}/emb`, g.silu(emb), 2 * cout); // [B, 2·cout]
  const [scale, shift] = g.split(g.reshape(ss, [0, 2 * cout, 1, 1]), [cout, cout], 1) as [Tensor, Tensor];
  h = g.add(g.mul(norm(g, P, `${name}/out_norm`, h, groups), g.add(scale, 1)), shift);
  h = conv(g, P, `${name}/out_conv`, g.silu(h), cout, 3, true);
  const skip = cin === cout ? xs : conv(g, P, `${name}/skip`, xs, cout, 1);
  return g.add(skip, h);
}

/** [B, C, H, W] → [B, H·W, C] */
function tokens(g: Graph, x: Tensor): Tensor {
  const [, c, h, w] = x.dims as [number, number, number, number];
  return g.transpose(g.reshape(x, [0, c, h * w]), [0, 2, 1]);
}

/** [B, N, C] → [B, C, H, W] */
function untokens(g: Graph, t: Tensor, h: number, w: number): Tensor {
  const c = t.dims[2] as number;
  return g.reshape(g.transpose(t, [0, 2, 1]), [0, c, h, w]);
}

/** Single-head cross-attention with bias-free projections, scale dim^−½ (the released blocks). */
function crossAttention(g: Graph, P: P, name: string, q: Tensor, kv: Tensor, dim: number): Tensor {
  const Q = dense(g, P, `${name}/q`, q, dim, false);
  const K = dense(g, P, `${name}/k`, kv, dim, false);
  const V = dense(g, P, `${name}/v`, kv, dim, false);
  const a = g.softmax(g.mul(g.matmul(Q, g.transposeLast2(K)), 1 / Math.sqrt(dim)), -1);
  return g.matmul(a, V);
}

/**
 * Cross-modal adaptive modulation on a×a regions: per region F = A_yᵀ·A_h (a²×a²), a Linear over
 * the last axis, softmax → w, A'_y = A_y·w; symmetrically for the histology side. 0.9·orig + 0.1·modulated.
 */
function modulate(g: Graph, P: P, y: Tensor, h: Tensor, a: number): [Tensor, Tensor] {
  const [, c, s] = y.dims as [number, number, number];
  const n = s / a;
  // [B, C, n, a, n, a] → [B, n, n, C, a²]
  const regions = (x: Tensor) =>
    g.reshape(g.transpose(g.reshape(x, [0, c, n, a, n, a]), [0, 2, 4, 1, 3, 5]), [0, n, n, c, a * a]);
  const back = (x: Tensor) =>
    g.reshape(g.transpose(g.reshape(x, [0, n, n, c, a, a]), [0, 3, 1, 4, 2, 5]), [0, c, s, s]);
  const ay = regions(y);
  const ah = regions(h);
  const side = (name: string, self: Tensor, other: Tensor) => {
    const f = g.matmul(g.transposeLast2(self), other); // [B, n, n, a², a²]
    const w = g.softmax(dense(g, P, name, f, a * a), -1);
    return g.add(g.mul(self, 0.9), g.mul(g.matmul(self, w), 0.1));
  };
  return [back(side('mod/h2y', ay, ah)), back(side('mod/y2h', ah, ay))];
}

/** The LR branch's gene graph layer: x + α·(ReLU(Â·X·W) − x) on X = [B, G, L²]. */
function geneGraph(g: Graph, P: P, x: Tensor, cfg: DiffstConfig): Tensor {
  const [, G, L] = x.dims as [number, number, number];
  const X = g.reshape(x, [0, G, L * L]);
  const A = g.constant(Array.from(cfg.adjacency), [G, G]);
  const W = P('lr/graph/w', [L * L, L * L], init.xavierUniform(L * L, L * L));
  const graph = g.reshape(g.relu(g.matmul(A, g.matmul(X, W))), [0, G, L, L]);
  return g.add(g.mul(x, 1 - cfg.graphAlpha), g.mul(graph, cfg.graphAlpha));
}

export interface DiffstForward {
  out: Tensor;
  comWsi: Tensor;
  comLr: Tensor;
  distWsi: Tensor;
  distLr: Tensor;
}

/** The denoiser. Inputs are batch-first: x_t [B,G,H,H], temb [B,ch], lr [B,G,H/2,H/2], wsi [B,I,sH,sH], cells [B,M,I,c,c] (I image channels). */
export function diffstDenoiser(g: Graph, cfg: DiffstConfig, x: Record<string, Tensor>): DiffstForward {
  const P = params(g);
  const ch = cfg.channels;
  const gr = cfg.groups;
  const get = (k: string) =>
    x[k] ??
    (() => {
      throw new RangeError(`diffst: input ${k} missing`);
    })();
  // Timestep embedding MLP: ch → 4ch → 4ch (the sinusoid is computed outside the graph).
  const emb = dense(g, P, 'time/l2', g.silu(dense(g, P, 'time/l1', get('temb'), 4 * ch)), 4 * ch);

  // Streams. The LR branch: pre-graph conv + SiLU, then the gene graph, then its own input conv.
  const lr0 = g.silu(conv(g, P, 'lr/pre_graph', get('lowres'), cfg.genes));
  let hl = conv(g, P, 'lr/in', geneGraph(g, P, lr0, cfg), ch);
  let hx = conv(g, P, 'x/in', get('x_t'), ch);
  const imageDiv = cfg.imageDivisor ?? 255;
  const wsi = imageDiv === 1 ? get('wsi') : g.div(get('wsi'), imageDiv);
  let hw = conv(g, P, 'wsi/in', wsi, ch);
  if (cfg.imageScale > 1) hw = g.averagePool(hw, [cfg.imageScale, cfg.imageScale]);
  const up = (t: Tensor) => g.resizeNearest(t, [2, 2]);
  const skips: Tensor[] = [];
  const mix = () => skips.push(g.div(g.sum([hx, up(hl), hw]), 3));
  mix();
  for (let lv = 0; lv <= cfg.levels; lv++) {
    // x and wsi run through the SAME blocks (shared parameters), the LR stream through its own copy.
    hx = resBlock(g, P, `enc/${lv}/res`, hx, emb, ch, gr);
    hw = resBlock(g, P, `enc/${lv}/res`, hw, emb, ch, gr);
    hl = resBlock(g, P, `lrenc/${lv}/res`, hl, emb, ch, gr);
    mix();
    if (lv < cfg.levels) {
      hx = resBlock(g, P, `enc/${lv}/down`, hx, emb, ch, gr, 'down');
      hw = resBlock(g, P, `enc/${lv}/down`, hw, emb, ch, gr, 'down');
      hl = resBlock(g, P, `lrenc/${lv}/down`, hl, emb, ch, gr, 'down');
      mix();
    }
  }
  const S = hx.dims[2] as number;

  // Cell-to-tissue: cell patches through one conv, averaged, brought to the bottleneck size.
  const [, M, , c] = get('cells').dims as [number, number, number, number, number];
  const cellsIn = imageDiv === 1 ? get('cells') : g.div(get('cells'), imageDiv);
  const cellsFlat = g.reshape(cellsIn, [-1, imageChannels(cfg), c, c]);
  let hc = g.reduceMean(g.reshape(conv(g, P, 'cells/in', cellsFlat, ch), [-1, M, ch, c, c]), [1]);
  if (c > S) hc = g.averagePool(hc, [c / S, c / S]);
  else if (c < S) hc = g.resizeNearest(hc, [S / c, S / c]);
  const attn = crossAttention(g, P, 'cell_attn', tokens(g, hw), tokens(g, hc), ch);
  hw = g.add(g.mul(hw, 0.9), g.mul(untokens(g, attn, S, S), 0.1));

  // Modulation between the LR (y) and histology (h) features, then disentangling.
  const [my, mh] = modulate(g, P, up(hl), hw, cfg.region);
  const half = ch / 2;
  const common = (t: Tensor) => g.silu(conv(g, P, 'dis/common', t, half));
  const distinct = (t: Tensor) => g.silu(conv(g, P, 'dis/distinct', t, half));
  const comWsi = common(mh);
  const comLr = common(my);
  const distWsi = distinct(mh);
  const distLr = distinct(my);
  const com = g.div(g.add(comWsi, comLr), 2);
  const cond = tokens(g, g.concat([com, distWsi, distLr], 1));
  hx = untokens(g, crossAttention(g, P, 'cond_attn', tokens(g, hx), cond, ch), S, S);

  // Middle (no self-attention blocks: the released model builds none) and decoder.
  let h = resBlock(g, P, 'mid/0', hx, emb, ch, gr);
  h = resBlock(g, P, 'mid/1', h, emb, ch, gr);
  for (let lv = cfg.levels; lv >= 0; lv--) {
    for (let i = 0; i < 2; i++) {
      const skip = skips.pop();
      if (!skip) throw new RangeError('diffst: skip stack underflow');
      h = resBlock(g, P, `dec/${lv}/${i}`, g.concat([h, skip], 1), emb, ch, gr);
    }
    if (lv > 0) h = resBlock(g, P, `dec/${lv}/up`, h, emb, ch, gr, 'up');
  }
  if (skips.length !== 0) throw new RangeError(`diffst: ${skips.length} skips unused`);
  const out = conv(g, P, 'out', g.silu(norm(g, P, 'out_norm', h, gr)), 2 * diffusedChannels(cfg), 3, true);
  return { out, comWsi, comLr, distWsi, distLr };
}

/** where(x > c, x, c): a floor that keeps the gradient where it is not active (Max has none). */
function floorAt(g: Graph, x: Tensor, c: number): Tensor {
  return g.where(g.greater(x, c), x, c);
}

/** tanh approximation of Φ (guided-diffusion's approx_standard_normal_cdf). */
function approxCdf(g: Graph, x: Tensor): Tensor {
  const inner = g.mul(g.add(x, g.mul(g.mul(g.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return g.mul(g.add(g.tanh(inner), 1), 0.5);
}

/** Discretised Gaussian log-likelihood (255 bins on [−1, 1]), elementwise. */
function discretizedLogLikelihood(g: Graph, x: Tensor, mean: Tensor, logScale: Tensor): Tensor {
  const c = g.sub(x, mean);
  const inv = g.exp(g.neg(logScale));
  const cdfPlus = approxCdf(g, g.mul(inv, g.add(c, 1 / 255)));
  const cdfMin = approxCdf(g, g.mul(inv, g.sub(c, 1 / 255)));
  const logCdfPlus = g.log(floorAt(g, cdfPlus, 1e-12));
  const logOneMinusCdfMin = g.log(floorAt(g, g.sub(1, cdfMin), 1e-12));
  const logDelta = g.log(floorAt(g, g.sub(cdfPlus, cdfMin), 1e-12));
  return g.where(g.less(x, -0.999), logCdfPlus, g.where(g.greater(x, 0.999), logOneMinusCdfMin, logDelta));
}

/** Per-sample coefficient targets of the loss, each [B, 1] (from schedule.ts for the drawn t). */
export const COEFFICIENTS = [
  'sqrtRecipAc',
  'sqrtRecipm1Ac',
  'postCoef1',
  'postCoef2',
  'postLogVar',
  'logBeta',
  'isFirst',
] as const;

const masked = (g: Graph, v: Tensor, m: Tensor): Tensor => maskedMean(g, v, m);

/**
 * Charbonnier(ε, ε̂) + L_vb + w·‖com_wsi − com_lr‖²/‖dist_wsi − dist_lr‖² (means), every term
 * masked to real rows (`mask` [B,1]) and measured pixels (`hrMask` [B,1,H,H]).
 */
export function diffstLoss(
  g: Graph,
  cfg: DiffstConfig,
  inputs: Record<string, Tensor>,
  o: Record<string, Tensor>,
  t: Record<string, Tensor>,
  mask: Tensor,
): Tensor {
  const need = (r: Record<string, Tensor>, k: string) =>
    r[k] ??
    (() => {
      throw new RangeError(`diffst loss: ${k} missing`);
    })();
  const K = diffusedChannels(cfg);
  const [epsHat, v] = g.split(need(o, 'out'), [K, K], 1) as [Tensor, Tensor];
  const col = (k: string) => g.reshape(need(t, k), [-1, 1, 1, 1]);
  const m = g.mul(need(t, 'hrMask'), g.reshape(mask, [-1, 1, 1, 1])); // [B,1,H,H]
  const eps = need(t, 'noise');
  const d = g.sub(epsHat, eps);
  const charb = masked(g, g.sqrt(g.add(g.mul(d, d), 1e-6)), m);

  // Variational bound: the mean from a detached ε̂ (so only v learns from it), learned-range variance.
  const xt = need(inputs, 'x_t');
  const x0 = need(t, 'x0');
  const minLog = col('postLogVar');
  const maxLog = col('logBeta');
  const frac = g.div(g.add(v, 1), 2);
  const modelLogVar = g.add(g.mul(frac, maxLog), g.mul(g.sub(1, frac), minLog));
  const x0Pred = g.sub(g.mul(col('sqrtRecipAc'), xt), g.mul(col('sqrtRecipm1Ac'), g.stopGradient(epsHat)));
  const modelMean = g.add(g.mul(col('postCoef1'), x0Pred), g.mul(col('postCoef2'), xt));
  const trueMean = g.add(g.mul(col('postCoef1'), x0), g.mul(col('postCoef2'), xt));
  const md = g.sub(trueMean, modelMean);
  const kl = g.mul(
    g.add(
      g.sub(g.add(g.sub(modelLogVar, minLog), g.exp(g.sub(minLog, modelLogVar))), 1),
      g.mul(g.mul(md, md), g.exp(g.neg(modelLogVar))),
    ),
    0.5 / Math.LN2,
  );
  const nll = g.mul(discretizedLogLikelihood(g, x0, modelMean, g.mul(modelLogVar, 0.5)), -1 / Math.LN2);
  const vb = masked(g, g.where(g.greater(col('isFirst'), 0.5), nll, kl), m);

  // Disentangling ratio over the real rows.
  const rows = g.reshape(mask, [-1, 1, 1, 1]);
  const sq = (a: Tensor, b: Tensor) => {
    const e = g.sub(a, b);
    return masked(g, g.mul(e, e), rows);
  };
  const ratio = g.div(
    sq(need(o, 'comWsi'), need(o, 'comLr')),
    g.add(sq(need(o, 'distWsi'), need(o, 'distLr')), 1e-8),
  );
  return g.add(g.add(charb, vb), g.mul(ratio, cfg.disentangleWeight));
}

/** Per-sample shapes of the denoiser's inputs and the loss's targets. */
export function diffstModel(cfg: DiffstConfig, name = 'diffst'): ModelDefinition {
  const H = cfg.hr;
  const L = H / 2;
  if (!Number.isInteger(L) || H % 2 ** cfg.levels !== 0)
    throw new RangeError(`diffst: hr ${H} must be divisible by 2^${cfg.levels}`);
  if (cfg.channels % 2 !== 0) throw new RangeError('diffst: channels must be even');
  const S = H / 2 ** cfg.levels;
  if (S % cfg.region !== 0)
    throw new RangeError(`diffst: region ${cfg.region} must divide the bottleneck ${S}`);
  if (cfg.adjacency.length !== cfg.genes * cfg.genes) throw new RangeError('diffst: adjacency must be G×G');
  const G = cfg.genes;
  const K = diffusedChannels(cfg);
  const targets: Record<string, { shape: number[] }> = {
    noise: { shape: [K, H, H] },
    x0: { shape: [K, H, H] },
    hrMask: { shape: [1, H, H] },
  };
  for (const k of COEFFICIENTS) targets[k] = { shape: [1] };
  return {
    name,
    dtype: 'float32',
    inputs: {
      x_t: { shape: [K, H, H] },
      temb: { shape: [cfg.channels] },
      lowres: { shape: [G, L, L] },
      wsi: { shape: [imageChannels(cfg), H * cfg.imageScale, H * cfg.imageScale] },
      cells: { shape: [cfg.cells, imageChannels(cfg), cfg.cellPx, cfg.cellPx] },
    },
    targets,
    forward: (g, inputs) => ({ ...diffstDenoiser(g, cfg, inputs) }),
    loss: (g, outputs, tg, mask) => {
      // The loss reads x_t, which is an input: find it on the graph by name.
      const xt = g.inputs.find((i) => i.name === 'x_t');
      if (!xt) throw new RangeError('diffst loss: x_t input missing');
      return diffstLoss(g, cfg, { x_t: xt }, outputs, tg, mask);
    },
  };
}

/** The denoiser's blocks, exposed for gradient checks of each branch on its own. */
export const diffstBlocks = {
  params,
  resBlock,
  crossAttention,
  modulate,
  geneGraph,
  norm,
};

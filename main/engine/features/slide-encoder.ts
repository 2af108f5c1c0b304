/**
 * A small CNN trained on the user's own slide, self-supervised, through our ONNX training engine
 * (no outside weights). Each tissue superpixel is seen as a 16 × 16 px window at 2 µm/px
 * (32 µm: the superpixel and 12 µm around it) in optical density. The network compresses the
 * window through a 16-d bottleneck and must reconstruct its 4 × 4 (8-µm) optical density from it
 * (an autoencoder: 48 numbers out of 768). The input is augmented (random flips and 90° turns,
 * applied to the target too; a random per-stain scaling of the optical density applied to the
 * input only), so the bottleneck has to describe the tissue's layout rather than the stain batch.
 * The bottleneck is the feature set (16 channels per superpixel).
 *
 * Training goes through main/engine/onnx's trainer (resumable from a checkpoint folder, progress
 * per step), on a seeded sample of tissue superpixels.
 */
import { mkdirSync } from 'node:fs';
import { EngineError, throwIfAborted } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { Rng, buildInference, createSession, init, mseLoss, toOrt, train } from '../onnx';
import type { Dataset, Graph, ModelDefinition, Tensor } from '../onnx';
import { openSlide } from '../slide';
import { stainMatrices } from './builtin';
import type { FeatureGrid } from './geometry';
import { SUPERPIXEL_PX } from './geometry';

export const ENCODER_VERSION = '1';
/** window side at 2 µm/px, and the superpixel's offset inside it */
const P = 16;
const OFF = 6;
export const ENCODER_DIM = 16;
const STAIN = stainMatrices();

export interface SlideEncoderOptions {
  /** tissue superpixels sampled for training */
  samples: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export const ENCODER_DEFAULTS: SlideEncoderOptions = {
  samples: 6144,
  epochs: 2,
  batchSize: 64,
  lr: 2e-3,
  seed: 0,
};

function conv(g: Graph, name: string, x: Tensor, cin: number, cout: number): Tensor {
  return g.scope(name, () => {
    const w = g.param('w', [cout, cin, 3, 3], init.kaimingUniform(cin * 9));
    const b = g.param('b', [cout], init.zeros());
    return g.relu(g.conv(x, w, b, { pads: [1, 1, 1, 1] }));
  });
}

function dense(g: Graph, name: string, x: Tensor, inDim: number, outDim: number): Tensor {
  return g.scope(name, () =>
    g.add(
      g.matmul(x, g.param('w', [inDim, outDim], init.xavierUniform(inDim, outDim))),
      g.param('b', [outDim], init.zeros()),
    ),
  );
}

/** The network: 3 conv stages (16, 32, 32 channels, 2 × 2 average pooling) → 16-d code → 48 outputs. */
export function encoderDefinition(): ModelDefinition {
  return {
    name: `slide-encoder-v${ENCODER_VERSION}`,
    dtype: 'float32',
    inputs: { x: { shape: [3, P, P] } },
    targets: { target: { shape: [48] } },
    forward(g, { x }) {
      let h = conv(g, 'c1', x!, 3, 16);
      h = g.averagePool(h, [2, 2]);
      h = conv(g, 'c2', h, 16, 32);
      h = g.averagePool(h, [2, 2]);
      h = conv(g, 'c3', h, 32, 32);
      h = g.averagePool(h, [2, 2]);
      const flat = g.reshape(h, [0, 32 * 2 * 2]);
      const code = dense(g, 'code', flat, 128, ENCODER_DIM);
      const rec = dense(g, 'dec2', g.relu(dense(g, 'dec1', code, ENCODER_DIM, 64)), 64, 48);
      return { code, rec };
    },
    loss(g, out, t, mask) {
      return mseLoss(g, out['rec']!, t['target']!, mask);
    },
  };
}

/** The slide at 2 µm/px as optical density (3 × h × w planes), aligned with the superpixel grid. */
async function readOd(imagePath: string, g: FeatureGrid, signal?: AbortSignal) {
  const slide = await openSlide(imagePath);
  try {
    const w = g.cols * 4;
    const h = g.rows * 4;
    // the 2-µm px of the padded grid inside the image
    const pxImg = SUPERPIXEL_PX / g.scale / 4;
    const iw = Math.min(w, Math.round(g.imageWidth / pxImg));
    const ih = Math.min(h, Math.round(g.imageHeight / pxImg));
    const img = await slide.read({ x: 0, y: 0, w: g.imageWidth, h: g.imageHeight }, iw, ih, signal);
    const lut = new Float32Array(256);
    for (let i = 0; i < 256; i++) lut[i] = -Math.log10((i + 1) / 256);
    const od = new Float32Array(3 * w * h);
    for (let y = 0; y < ih; y++)
      for (let x = 0; x < iw; x++)
        for (let c = 0; c < 3; c++) od[c * w * h + y * w + x] = lut[img.data[(y * iw + x) * 3 + c]!]!;
    return { od, w, h };
  } finally {
    await slide.close();
  }
}

/** Window of superpixel sp under geometric transform t (0–7: 4 turns × optional flip), OD scaled per stain. */
function fillWindow(
  od: Float32Array,
  w: number,
  h: number,
  cols: number,
  sp: number,
  t: number,
  stain: readonly number[] | null,
  out: Float32Array,
  o: number,
  target: Float32Array | null,
  to: number,
): void {
  const r = Math.floor(sp / cols);
  const c = sp % cols;
  const y0 = r * 4 - OFF;
  const x0 = c * 4 - OFF;
  const { m, inv } = STAIN;
  const plane = w * h;
  if (target) target.fill(0, to, to + 48);
  for (let yy = 0; yy < P; yy++) {
    for (let xx = 0; xx < P; xx++) {
      // source position of output (yy, xx) under the transform
      let sy = yy;
      let sx = xx;
      if (t & 4) sx = P - 1 - sx;
      for (let k = 0; k < (t & 3); k++) [sy, sx] = [sx, P - 1 - sy];
      const y = y0 + sy;
      const x = x0 + sx;
      const inside = y >= 0 && x >= 0 && y < h && x < w;
      const v = [0, 0, 0];
      if (inside) for (let ch = 0; ch < 3; ch++) v[ch] = od[ch * plane + y * w + x]!;
      if (target) {
        // the target: the window's mean OD in 4 × 4 blocks of 8 µm (the superpixel is block (1.5, 1.5))
        const ty = yy >> 2;
        const tx = xx >> 2;
        for (let ch = 0; ch < 3; ch++) target[to + ch * 16 + ty * 4 + tx]! += v[ch]! / 16;
      }
      let u = v;
      if (stain) {
        // per-stain scaling: c = od·M⁻¹, c_k ·= s_k, od' = c·M
        const cc = [0, 1, 2].map(
          (k) => (v[0]! * inv[0]![k]! + v[1]! * inv[1]![k]! + v[2]! * inv[2]![k]!) * stain[k]!,
        );
        u = [0, 1, 2].map((ch) => cc[0]! * m[0]![ch]! + cc[1]! * m[1]![ch]! + cc[2]! * m[2]![ch]!);
      }
      for (let ch = 0; ch < 3; ch++) out[o + ch * P * P + yy * P + xx] = u[ch]!;
    }
  }
}

export interface EncoderResult {
  /** rows × cols × ENCODER_DIM (0 off tissue) */
  data: Float32Array;
  dim: number;
  trainSeconds: number;
  inferSeconds: number;
  finalLoss: number;
  steps: number;
}

/** Train the encoder on the slide's tissue superpixels and embed every tissue superpixel. */
export async function slideEncoderFeatures(o: {
  imagePath: string;
  grid: FeatureGrid;
  mask: Uint8Array;
  options?: Partial<SlideEncoderOptions>;
  checkpointDir?: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
}): Promise<EncoderResult> {
  const opt = { ...ENCODER_DEFAULTS, ...o.options };
  const { grid: g, mask } = o;
  const n = g.rows * g.cols;
  const tissue: number[] = [];
  for (let s = 0; s < n; s++) if (mask[s]) tissue.push(s);
  if (tissue.length === 0)
    throw new EngineError('BAD_INPUT', `${o.imagePath}: no tissue superpixels to train on.`);
  const { od, w, h } = await readOd(o.imagePath, g, o.signal);
  throwIfAborted(o.signal);
  const rng = new Rng(opt.seed);
  const pick = Array.from(
    { length: Math.min(opt.samples, tissue.length) },
    () => tissue[rng.int(tissue.length)]!,
  );
  const aug = new Rng(opt.seed + 1);
  const dataset: Dataset = {
    size: pick.length,
    fill(indices, out) {
      const x = out['x'] as Float32Array;
      const tg = out['target'] as Float32Array;
      indices.forEach((i, r) => {
        const t = aug.int(8);
        const stain = [aug.uniform(0.7, 1.3), aug.uniform(0.7, 1.3), aug.uniform(0.8, 1.2)];
        fillWindow(od, w, h, g.cols, pick[i]!, t, stain, x, r * 3 * P * P, tg, r * 48);
      });
    },
  };
  const def = encoderDefinition();
  if (o.checkpointDir) mkdirSync(o.checkpointDir, { recursive: true });
  const t0 = performance.now();
  let finalLoss = NaN;
  const r = await train({
    model: def,
    train: dataset,
    batchSize: opt.batchSize,
    epochs: opt.epochs,
    seed: opt.seed,
    lr: { kind: 'cosine', lr: opt.lr, warmup: 20 },
    optimizer: { kind: 'adam' },
    ...(o.checkpointDir ? { checkpoint: { dir: o.checkpointDir, everySteps: 50 } } : {}),
    onProgress: (u) => {
      const m = u.metrics as { trainLoss?: number } | undefined;
      if (m?.trainLoss !== undefined) finalLoss = m.trainLoss;
      o.progress?.({
        ...u,
        fraction: 0.8 * u.fraction,
        message: `Slide encoder: ${u.message ?? 'training'}`,
      });
    },
    ...(o.signal ? { signal: o.signal } : {}),
    session: { provider: 'cpu' },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  // embed every tissue superpixel (no augmentation)
  const t1 = performance.now();
  const B = 512;
  const built = buildInference(def, r.params, B);
  const { session } = await createSession(built.bytes, { provider: 'cpu' });
  const data = new Float32Array(n * ENCODER_DIM);
  try {
    const x = new Float32Array(B * 3 * P * P);
    for (let s0 = 0; s0 < tissue.length; s0 += B) {
      throwIfAborted(o.signal);
      const part = tissue.slice(s0, s0 + B);
      x.fill(0);
      part.forEach((sp, k) => fillWindow(od, w, h, g.cols, sp, 0, null, x, k * 3 * P * P, null, 0));
      const res = await session.run({ x: toOrt('float32', x, [B, 3, P, P]) });
      const code = res['code']!.data as Float32Array;
      part.forEach((sp, k) =>
        data.set(code.subarray(k * ENCODER_DIM, (k + 1) * ENCODER_DIM), sp * ENCODER_DIM),
      );
      o.progress?.({
        fraction: 0.8 + (0.2 * (s0 + part.length)) / tissue.length,
        message: 'Slide encoder: embedding',
      });
    }
  } finally {
    await session.release();
  }
  return {
    data,
    dim: ENCODER_DIM,
    trainSeconds,
    inferSeconds: (performance.now() - t1) / 1000,
    finalLoss,
    steps: r.steps,
  };
}

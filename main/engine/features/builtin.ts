/**
 * The built-in extractor: hand-made histology features that need no weights, written as an ONNX
 * graph with the graph builder so it runs wherever ORT runs (CPU, CUDA, DirectML). Every channel
 * is documented in docs/features.md; BUILTIN_CHANNELS is the single list both refer to.
 *
 * Per tile the graph sees 240 × 240 px (the 224-px tile plus an 8-px halo read from the slide),
 * so the 3 × 3 filters at the 0.5, 1 and 2 µm scales never touch artificial tile borders: tiles
 * computed separately give the same numbers as one pass over the whole slide.
 */
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';
import { Graph, type Tensor } from '../onnx/graph';
import { createSession, toOrt, type ProviderChoice } from '../onnx/session';
import type { ExtractorManifest, FeatureExtractor } from './extractor';
import { SP_PER_TILE, SUPERPIXEL_PX, TILE_PX } from './geometry';

export const BUILTIN_VERSION = '1';
export const BUILTIN_HALO = 8;
const S = TILE_PX + 2 * BUILTIN_HALO;
const SCALES = [1, 2, 4] as const;

/**
 * Ruifrok & Johnston (2001) optical-density vectors for haematoxylin and eosin (the H&E rows of
 * scikit-image's rgb_from_hed); the third stain is their cross product, so that "residual" is
 * the part of the optical density neither stain explains (DAB, pigment, fold, blur).
 */
const H_OD = [0.65, 0.7, 0.29];
const E_OD = [0.07, 0.99, 0.11];

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function cross(a: number[], b: number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

/** Stain matrix (rows H, E, residual, unit length) and its inverse: c = od · M⁻¹. */
export function stainMatrices(): { m: number[][]; inv: number[][] } {
  const h = unit(H_OD);
  const e = unit(E_OD);
  const r = unit(cross(h, e));
  const m = [h, e, r];
  return { m, inv: invert3(m) };
}

function invert3(a: number[][]): number[][] {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = a as [number[], number[], number[]] as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ];
  const det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
  const k = 1 / det;
  return [
    [(b1 * c2 - b2 * c1) * k, (a2 * c1 - a1 * c2) * k, (a1 * b2 - a2 * b1) * k],
    [(b2 * c0 - b0 * c2) * k, (a0 * c2 - a2 * c0) * k, (a2 * b0 - a0 * b2) * k],
    [(b0 * c1 - b1 * c0) * k, (a1 * c0 - a0 * c1) * k, (a0 * b1 - a1 * b0) * k],
  ];
}

/**
 * Thresholds (stain concentration in OD units, from the deconvolution above), set on HER2ST C2 at
 * its native 0.69 µm/px: nuclei have H median ≈ 0.9 (10th percentile 0.31) while stroma has H
 * median ≈ 0.26 (90th percentile 0.44), so 0.5 counts mostly nuclear pixels; eosin-rich stroma has
 * E 90th percentile ≈ 0.16 against ≤ 0 in nuclei; glass has mean OD ≈ 0.02–0.03 and lumen ≈ 0.08.
 */
export const H_POSITIVE = 0.5;
export const E_POSITIVE = 0.15;
export const WHITE_OD = 0.1;

/** Per-tile channels (the first 22 of the final map). Indices are fixed by this order. */
export const BUILTIN_BASE_CHANNELS = [
  'H_mean',
  'E_mean',
  'R_mean',
  'H_sd',
  'E_sd',
  'R_sd',
  'OD_mean',
  'H_positive_fraction',
  'E_positive_fraction',
  'white_fraction',
  'red_mean',
  'green_mean',
  'blue_mean',
  'grad_energy_0.5um',
  'grad_energy_1um',
  'grad_energy_2um',
  'abs_laplacian_0.5um',
  'abs_laplacian_1um',
  'abs_laplacian_2um',
  'local_var_0.5um',
  'local_var_1um',
  'local_var_2um',
] as const;

export const BUILTIN_CONTEXT = [3, 7];

/** Final channel names: base, then the 3 × 3 neighbourhood means, then the 7 × 7 ones. */
export const BUILTIN_CHANNELS: string[] = [
  ...BUILTIN_BASE_CHANNELS,
  ...BUILTIN_CONTEXT.flatMap((k) => BUILTIN_BASE_CHANNELS.map((c) => `${c}_ctx${k}`)),
];

/** The graph: input `tiles` (B, 3, 240, 240) RGB in 0..255, output `features` (B, 14, 14, 22). */
export function buildBuiltinGraph(batch: number): Uint8Array {
  const g = new Graph('float32');
  const x = g.input('tiles', [batch, 3, S, S]);
  const crop = (t: Tensor) =>
    g.slice(t, [BUILTIN_HALO, BUILTIN_HALO], [BUILTIN_HALO + TILE_PX, BUILTIN_HALO + TILE_PX], [2, 3]);
  const pool = (t: Tensor, k: number) => g.averagePool(t, [k, k]);
  const channel = (t: Tensor, c: number) => g.slice(t, [c], [c + 1], [1]);

  // Optical density per RGB channel (Beer–Lambert), with +1 so a black pixel stays finite.
  const od = g.mul(g.log(g.div(g.add(x, 1), 256)), -1 / Math.LN10);
  const { inv } = stainMatrices();
  const wDecon: number[] = [];
  for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) wDecon.push(inv[i]![j]!);
  const conc = g.conv(od, g.constant(wDecon, [3, 3, 1, 1]), null); // H, E, residual
  const odMean = g.conv(od, g.constant([1 / 3, 1 / 3, 1 / 3], [1, 3, 1, 1]), null);

  const hec = crop(conc);
  const odc = crop(odMean);
  const toFloat = (b: Tensor) => g.cast(b, 'float32');
  const stack = g.concat(
    [
      hec,
      g.mul(hec, hec),
      odc,
      toFloat(g.greater(channel(hec, 0), H_POSITIVE)),
      toFloat(g.greater(channel(hec, 1), E_POSITIVE)),
      toFloat(g.less(odc, WHITE_OD)),
      g.div(crop(x), 255),
    ],
    1,
  );
  const pooled = pool(stack, SUPERPIXEL_PX); // (B, 13, 14, 14)
  const means = g.slice(pooled, [0], [3], [1]);
  const sq = g.slice(pooled, [3], [6], [1]);
  const sd = g.sqrt(g.max(g.sub(sq, g.mul(means, means)), 0));
  const rest = g.slice(pooled, [6], [13], [1]);

  // Texture of the mean optical density at 0.5, 1 and 2 µm per px, each over the same 8-µm square.
  const sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 8);
  const sobelY = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 8);
  const wGrad = g.constant([...sobel, ...sobelY], [2, 1, 3, 3]);
  const wLap = g.constant([0, 1, 0, 1, -4, 1, 0, 1, 0], [1, 1, 3, 3]);
  const wSum2 = g.constant([1, 1], [1, 2, 1, 1]);
  const grads: Tensor[] = [];
  const laps: Tensor[] = [];
  const vars: Tensor[] = [];
  for (const k of SCALES) {
    const gk = k === 1 ? odMean : pool(odMean, k); // (B, 1, S/k, S/k)
    const d = g.conv(gk, wGrad, null); // valid: output j is centred on input j + 1
    const energy = g.conv(g.mul(d, d), wSum2, null);
    const lap = g.abs(g.conv(gk, wLap, null));
    const m1 = g.averagePool(gk, [3, 3], { strides: [1, 1] });
    const m2 = g.averagePool(g.mul(gk, gk), [3, 3], { strides: [1, 1] });
    const v = g.max(g.sub(m2, g.mul(m1, m1)), 0);
    // the tile's 224 px start at BUILTIN_HALO/k on this scale, i.e. at valid index HALO/k − 1
    const a = BUILTIN_HALO / k - 1;
    const n = TILE_PX / k;
    const cropK = (t: Tensor) => pool(g.slice(t, [a, a], [a + n, a + n], [2, 3]), SUPERPIXEL_PX / k);
    grads.push(cropK(energy));
    laps.push(cropK(lap));
    vars.push(cropK(v));
  }
  const all = g.concat([means, sd, rest, ...grads, ...laps, ...vars], 1); // (B, 22, 14, 14)
  const out = g.transpose(all, [0, 2, 3, 1]);
  if (out.dims[3] !== BUILTIN_BASE_CHANNELS.length || out.dims[1] !== SP_PER_TILE) {
    throw new EngineError('INTERNAL', `built-in graph emits ${out.dims.join('×')}`);
  }
  return g.toModel({ outputs: { features: out }, name: 'stsr-builtin-features' });
}

export interface BuiltinOptions {
  batchSize?: number;
  provider?: ProviderChoice;
  threads?: number;
  log?: (line: string) => void;
}

export function builtinManifest(sha256: string): ExtractorManifest {
  return {
    id: 'builtin',
    kind: 'builtin',
    version: BUILTIN_VERSION,
    sha256,
    input: {
      size: S,
      halo: BUILTIN_HALO,
      layout: 'NCHW',
      dtype: 'float32',
      // the graph takes raw 0..255 RGB: (rgb/255 − 0) / (1/255)
      mean: [0, 0, 0],
      std: [1 / 255, 1 / 255, 1 / 255],
    },
    output: {
      dim: BUILTIN_CHANNELS.length,
      layout: '(rows, cols, dim) float16, superpixel (r, c) = 16-px square r, c of the 0.5-µm/px slide',
      channels: BUILTIN_CHANNELS,
    },
    post: { baseDim: BUILTIN_BASE_CHANNELS.length, context: BUILTIN_CONTEXT, standardise: true },
    notes:
      'Ruifrok H&E deconvolution, texture of mean optical density at 0.5/1/2 µm, nuclear-density proxy; ' +
      'context = tissue-only neighbourhood means; every channel z-scored over tissue superpixels.',
  };
}

/** Builds the graph for a fixed batch and opens it on the chosen execution provider. */
export async function createBuiltinExtractor(opts: BuiltinOptions = {}): Promise<FeatureExtractor> {
  const batch = opts.batchSize ?? 16;
  const bytes = buildBuiltinGraph(batch);
  // The hash is of a batch-independent description, so the batch size (a speed knob) does not
  // change the manifest; the graph itself is deterministic for a given batch.
  const sha256 = createHash('sha256').update(buildBuiltinGraph(1)).digest('hex');
  const { session, provider } = await createSession(bytes, {
    ...(opts.provider ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const dim = BUILTIN_BASE_CHANNELS.length;
  return {
    id: 'builtin',
    dim,
    batchSize: batch,
    fixedBatch: true,
    manifest: builtinManifest(sha256),
    provider,
    async run(tiles, b) {
      if (b !== batch || tiles.length !== batch * 3 * S * S) {
        throw new EngineError('INTERNAL', `built-in extractor expects ${batch} tiles of ${S}² px, got ${b}`);
      }
      const out = await session.run({ tiles: toOrt('float32', tiles, [batch, 3, S, S]) });
      const t = out.features;
      if (!t) throw new EngineError('INTERNAL', 'built-in graph returned no features');
      return t.data as Float32Array;
    },
    async close() {
      await session.release();
    },
  };
}

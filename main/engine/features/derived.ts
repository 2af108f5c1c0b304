/**
 * Feature sets derived from the slide beside the built-in extractor's map, and how a method reads
 * a combination of them. A reading is written `group:components,…`, e.g.
 * `builtin:16,context:16,nuclei:8`: each group's channels (z-scored over tissue) are reduced to
 * their first `components` principal components over tissue, each at SD `scale` (0.3, like the
 * position channels), and the groups are concatenated. With ~100–700 MIL bags a section, a method
 * fits noise in hundreds of correlated channels (docs/histex.md, "Histology input"); per-group
 * components keep a small group (nuclei) from being drowned by a large one (context).
 *
 * Groups: `builtin` (the 66 channels), `nuclei` (nuclei-map.ts: 8 channels + their tissue means
 * over 32/64/128 µm), `context` (the built-in extractor's 22 per-superpixel channels: tissue mean
 * and SD over 32/64/128 µm), `encoder` (slide-encoder.ts: a CNN trained on this slide).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pca } from '../analysis/pca';
import { EngineError } from '../errors';
import type { ProgressFn } from '../jobs/progress';
import { BUILTIN_BASE_CHANNELS } from './builtin';
import { neighbourhoodStats, zscoreOverTissue } from './context';
import { NUCLEI_CHANNELS, nucleiSuperpixelMap } from './nuclei-map';
import { ENCODER_DIM, ENCODER_VERSION, slideEncoderFeatures } from './slide-encoder';
import type { FeatureMap } from './store';

export const DERIVED_GROUPS = ['builtin', 'nuclei', 'context', 'encoder'] as const;
export type DerivedGroup = (typeof DERIVED_GROUPS)[number];

/**
 * The reading HISTEX uses by default (methods/histex/sr-method.ts), chosen by the coarsen benchmark
 * on HER2ST B4/C2/C3 (docs/features.md).
 */
export const HISTEX_DEFAULT_READING = 'builtin:16';

/** 32, 64, 128 µm in 8-µm superpixels */
export const CONTEXT_WINDOWS = [4, 8, 16] as const;
const NUCLEI_VERSION = '1';

export interface GroupReading {
  group: DerivedGroup;
  components: number;
}

/** `builtin:16,nuclei:8` → readings; null when `spec` is not of that form. */
export function parseReading(spec: string): GroupReading[] | null {
  if (!spec.includes(':')) return null;
  const parts = spec.split(',').map((p) => p.trim().split(':'));
  const out: GroupReading[] = [];
  for (const [g, k] of parts) {
    if (!(DERIVED_GROUPS as readonly string[]).includes(g ?? '') || !(Number(k) >= 1)) {
      throw new EngineError(
        'BAD_INPUT',
        `Feature reading "${spec}": "${g}:${k}" is not GROUP:COMPONENTS with GROUP one of ${DERIVED_GROUPS.join(', ')}.`,
      );
    }
    out.push({ group: g as DerivedGroup, components: Math.floor(Number(k)) });
  }
  return out;
}

export interface DerivedInputs {
  /** the slide's built-in feature map (grid, mask, rgb, position and the `builtin` group) */
  map: FeatureMap;
  imagePath: string;
  cacheDir?: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

function cacheKey(i: DerivedInputs, what: string): string {
  const g = i.map.grid;
  return createHash('sha256')
    .update(
      `${what}|${resolve(i.imagePath)}|${g.imageWidth}x${g.imageHeight}|${g.imageUmPerPx}|${g.rows}x${g.cols}`,
    )
    .update(i.map.mask())
    .digest('hex')
    .slice(0, 16);
}

/** A float32 array cached in a file (written atomically: temp + rename). */
async function cachedArray(
  dir: string,
  key: string,
  make: () => Promise<Float32Array>,
): Promise<Float32Array> {
  const file = join(dir, `${key}.f32`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
  }
  const a = await make();
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  renameSync(tmp, file);
  return a;
}

/** The raw nuclei channels of the slide (cached per image and grid). */
export async function nucleiChannels(i: DerivedInputs): Promise<Float32Array> {
  const dir = i.cacheDir ?? join(tmpdir(), 'stsr-derived-features');
  return cachedArray(dir, `nuclei-v${NUCLEI_VERSION}-${cacheKey(i, 'nuclei')}`, async () => {
    const r = await nucleiSuperpixelMap({
      imagePath: i.imagePath,
      grid: i.map.grid,
      mask: i.map.mask(),
      ...(i.signal ? { signal: i.signal } : {}),
      ...(i.progress ? { progress: i.progress } : {}),
    });
    return r.data;
  });
}

/** The slide encoder's embedding (slide-encoder.ts), trained once per image and grid and cached. */
export async function encoderChannels(i: DerivedInputs): Promise<{ data: Float32Array; dim: number }> {
  const dir = i.cacheDir ?? join(tmpdir(), 'stsr-derived-features');
  const key = `encoder-v${ENCODER_VERSION}-${cacheKey(i, 'encoder')}`;
  const data = await cachedArray(dir, key, async () => {
    const r = await slideEncoderFeatures({
      imagePath: i.imagePath,
      grid: i.map.grid,
      mask: i.map.mask(),
      checkpointDir: join(dir, `${key}.train`),
      ...(i.signal ? { signal: i.signal } : {}),
      ...(i.progress ? { progress: i.progress } : {}),
    });
    return r.data;
  });
  return { data, dim: ENCODER_DIM };
}

/** One group's channels, z-scored over tissue, with their names. */
export async function groupChannels(
  group: DerivedGroup,
  i: DerivedInputs,
  encoder?: () => Promise<{ data: Float32Array; dim: number }>,
): Promise<{ data: Float32Array; dim: number; names: string[] }> {
  const { map } = i;
  const n = map.rows * map.cols;
  const mask = map.mask();
  if (group === 'builtin') {
    return { data: map.readAll(), dim: map.dim, names: map.manifest.output.channels ?? [] };
  }
  if (group === 'nuclei') {
    const raw = await nucleiChannels(i);
    const D = NUCLEI_CHANNELS.length;
    zscoreOverTissue(raw, n, D, mask);
    const ctx = neighbourhoodStats(raw, map.rows, map.cols, D, mask, CONTEXT_WINDOWS, { sd: false });
    const dim = D + ctx.dim;
    const data = new Float32Array(n * dim);
    for (let s = 0; s < n; s++) {
      data.set(raw.subarray(s * D, (s + 1) * D), s * dim);
      data.set(ctx.data.subarray(s * ctx.dim, (s + 1) * ctx.dim), s * dim + D);
    }
    zscoreOverTissue(data, n, dim, mask);
    return { data, dim, names: [...NUCLEI_CHANNELS, ...ctx.names([...NUCLEI_CHANNELS])] };
  }
  if (group === 'context') {
    const all = map.readAll();
    const B = BUILTIN_BASE_CHANNELS.length;
    const base = new Float32Array(n * B);
    for (let s = 0; s < n; s++) base.set(all.subarray(s * map.dim, s * map.dim + B), s * B);
    const ctx = neighbourhoodStats(base, map.rows, map.cols, B, mask, CONTEXT_WINDOWS, { sd: true });
    zscoreOverTissue(ctx.data, n, ctx.dim, mask);
    return { data: ctx.data, dim: ctx.dim, names: ctx.names([...BUILTIN_BASE_CHANNELS]) };
  }
  const e = encoder ? await encoder() : await encoderChannels(i);
  const data = e.data.slice();
  zscoreOverTissue(data, n, e.dim, mask);
  return { data, dim: e.dim, names: Array.from({ length: e.dim }, (_, k) => `enc_${k}`) };
}

/** The first k principal components over tissue of a (n × dim) block, each at SD `scale`. */
export function principalComponents(
  data: Float32Array,
  n: number,
  dim: number,
  mask: Uint8Array,
  k: number,
  scale: number,
): Float32Array {
  let nt = 0;
  for (let s = 0; s < n; s++) if (mask[s]) nt++;
  const x = new Float64Array(nt * dim);
  for (let s = 0, i = 0; s < n; s++) {
    if (!mask[s]) continue;
    for (let j = 0; j < dim; j++) x[i * dim + j] = data[s * dim + j]!;
    i++;
  }
  const kk = Math.min(k, dim);
  const p = pca({ nRows: nt, nCols: dim, data: x }, { nComponents: kk, method: 'exact' });
  const out = new Float32Array(n * kk);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < kk; c++) {
      let v = 0;
      for (let j = 0; j < dim; j++) v += (data[s * dim + j]! - p.mean[j]!) * p.components[c * dim + j]!;
      out[s * kk + c] = (v / Math.sqrt(p.explainedVariance[c]! || 1)) * scale;
    }
  }
  return out;
}

/**
 * A reading of the slide as a FeatureMap-shaped view over the built-in map: same grid, mask, rgb
 * and position; `readAll` returns the concatenated per-group principal components (manifest id
 * `derived:<spec>`, so readers use it as is rather than compressing it again).
 */
export async function derivedFeatureMap(
  spec: string,
  i: DerivedInputs,
  o: { scale?: number; encoder?: () => Promise<{ data: Float32Array; dim: number }> } = {},
): Promise<FeatureMap> {
  const readings = parseReading(spec);
  if (!readings)
    throw new EngineError('BAD_INPUT', `"${spec}" is not a feature reading (GROUP:COMPONENTS,…).`);
  const { map } = i;
  const n = map.rows * map.cols;
  const mask = map.mask();
  const blocks: { data: Float32Array; dim: number }[] = [];
  for (const r of readings) {
    const g = await groupChannels(r.group, i, o.encoder);
    const pcs = principalComponents(g.data, n, g.dim, mask, r.components, o.scale ?? 0.3);
    blocks.push({ data: pcs, dim: pcs.length / n });
  }
  const dim = blocks.reduce((s, b) => s + b.dim, 0);
  const data = new Float32Array(n * dim);
  let off = 0;
  for (const b of blocks) {
    for (let s = 0; s < n; s++) data.set(b.data.subarray(s * b.dim, (s + 1) * b.dim), s * dim + off);
    off += b.dim;
  }
  const names = readings.flatMap((r, bi) =>
    Array.from({ length: blocks[bi]!.dim }, (_, c) => `${r.group}_pc${c + 1}`),
  );
  return {
    ...map,
    dim,
    manifest: {
      ...map.manifest,
      id: `derived:${spec}`,
      output: { ...map.manifest.output, dim, channels: names },
    },
    readAll: () => data,
    readRows: (r0, r1) => data.slice(r0 * map.cols * dim, r1 * map.cols * dim),
    readSuperpixels: (idx) => {
      const out = new Float32Array(idx.length * dim);
      for (let k = 0; k < idx.length; k++)
        out.set(data.subarray(idx[k]! * dim, (idx[k]! + 1) * dim), k * dim);
      return out;
    },
    mask: () => mask,
    rgb: () => map.rgb(),
    position: () => map.position(),
    close: () => map.close(),
  };
}

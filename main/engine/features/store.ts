/**
 * On-disk layout of one feature set: a folder of array files (store/array-file.ts), each written
 * atomically, so a crash or cancel leaves only whole chunks and a rerun continues after the last.
 *
 *   plan.json            geometry, extractor manifest and the fingerprint of the inputs
 *   mask.arr             uint8 (rows, cols) superpixel tissue mask; meta.tiles = tile mask
 *   rgb-TTTT.arr         float32 (14, cols, 3) RGB means ÷ 255 of tile row T
 *   raw-TTTT.arr         float32 (14, cols, baseDim) per-tile model output (extractors with a post stage)
 *   rows-TTTT.arr        float16 (14, cols, dim) the feature map, tile row T
 *   complete.json        written last: the set is whole (manifest + statistics)
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { openArrayFile, readArrayFile, type ArrayFileHandle } from '../store/array-file';
import type { ExtractorManifest } from './extractor';
import { decodeFloat16 } from './float16';
import {
  SP_PER_TILE,
  fullResPerSuperpixel,
  fullResToSuperpixel,
  superpixelToFullRes,
  type FeatureGrid,
} from './geometry';
import { positionChannels } from './position-channels';

export const PLAN_FILE = 'plan.json';
export const COMPLETE_FILE = 'complete.json';
export const MASK_FILE = 'mask.arr';

const pad4 = (t: number) => String(t).padStart(4, '0');
export const chunkFile = (kind: 'rows' | 'raw' | 'rgb', ty: number) => `${kind}-${pad4(ty)}.arr`;

export interface FeaturePlan {
  format: 1;
  fingerprint: string;
  grid: FeatureGrid;
  manifest: ExtractorManifest;
  tissueTiles: number;
  tissueSuperpixels: number;
}

export interface FeatureComplete extends FeaturePlan {
  seconds: number;
  /** per final channel, over tissue superpixels, before z-scoring (built-in extractor) */
  stats?: { mean: number[]; sd: number[] };
  completedAt: string;
}

/** Files a feature folder may hold; anything else in it is left alone when a plan is reset. */
export function isOwnedFile(name: string): boolean {
  return (
    name === PLAN_FILE ||
    name === COMPLETE_FILE ||
    name === MASK_FILE ||
    name === '.work' ||
    /^(rows|raw|rgb)-\d{4}\.arr$/.test(name) ||
    name.startsWith('.tmp-')
  );
}

export function clearFeatureDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir))
    if (isOwnedFile(f)) rmSync(join(dir, f), { recursive: true, force: true });
}

/** A finished feature set, read in slices: memory stays bounded whatever the slide size. */
export interface FeatureMap {
  dir: string;
  grid: FeatureGrid;
  manifest: ExtractorManifest;
  info: FeatureComplete;
  rows: number;
  cols: number;
  dim: number;
  /** uint8 (rows × cols): 1 = tissue superpixel */
  mask(): Uint8Array;
  /** uint8 (tilesY × tilesX): 1 = tile computed (touches tissue); others hold the background code */
  tileMask(): Uint8Array;
  /** float32 ((r1 − r0) × cols × dim), row-major */
  readRows(r0: number, r1: number): Float32Array;
  /** float32 (rows × cols × dim); refuses above `maxBytes` (default 2 GiB) */
  readAll(maxBytes?: number): Float32Array;
  /** float32 (n × dim) for superpixel indices r·cols + c (any order) */
  readSuperpixels(indices: ArrayLike<number>): Float32Array;
  /** float32 (rows × cols × 3): HISTEX `rgb` channels (mean RGB ÷ 255 at 0.5 µm/px) */
  rgb(): Float32Array;
  /** float32 (rows × cols × 2): HISTEX `pos` channels */
  position(): Float32Array;
  /** full-res px footprint of superpixel (row, col) */
  superpixelToFullRes(row: number, col: number): { x: number; y: number; w: number; h: number };
  fullResToSuperpixel(x: number, y: number): { row: number; col: number };
  /** full-res px per superpixel side */
  fullResPerSuperpixel: number;
  close(): void;
}

export function readPlan(dir: string): FeaturePlan | null {
  const p = join(dir, PLAN_FILE);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as FeaturePlan;
}

export function readComplete(dir: string): FeatureComplete | null {
  const p = join(dir, COMPLETE_FILE);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as FeatureComplete;
}

export function openFeatureMap(dir: string): FeatureMap {
  const info = readComplete(dir);
  if (!info) {
    throw new EngineError('NOT_FOUND', `${dir} holds no finished feature set (no ${COMPLETE_FILE}).`, {
      file: dir,
      hint: 'Run (or resume) feature extraction for this sample first.',
    });
  }
  const { grid, manifest } = info;
  const rows = grid.rows;
  const cols = grid.cols;
  const dim = manifest.output.dim;
  const handles = new Map<number, ArrayFileHandle>();
  const chunk = (ty: number): ArrayFileHandle => {
    let h = handles.get(ty);
    if (!h) {
      h = openArrayFile(join(dir, chunkFile('rows', ty)));
      const [a, b, c] = h.header.shape;
      if (h.header.dtype !== 'float16' || a !== SP_PER_TILE || b !== cols || c !== dim) {
        h.close();
        throw new EngineError('CORRUPT', `${chunkFile('rows', ty)} in ${dir} has an unexpected shape.`, {
          file: dir,
        });
      }
      handles.set(ty, h);
    }
    return h;
  };
  const rowLen = cols * dim;
  const readRows = (r0: number, r1: number): Float32Array => {
    if (!(r0 >= 0 && r1 <= rows && r0 <= r1)) {
      throw new EngineError('BAD_INPUT', `Rows ${r0}..${r1} outside the ${rows}-row feature map.`);
    }
    const out = new Float32Array((r1 - r0) * rowLen);
    let r = r0;
    while (r < r1) {
      const ty = Math.floor(r / SP_PER_TILE);
      const within = r - ty * SP_PER_TILE;
      const n = Math.min(r1 - r, SP_PER_TILE - within);
      const bits = chunk(ty).readRange(within * rowLen, n * rowLen) as Uint16Array;
      decodeFloat16(bits, out.subarray((r - r0) * rowLen, (r - r0 + n) * rowLen));
      r += n;
    }
    return out;
  };
  return {
    dir,
    grid,
    manifest,
    info,
    rows,
    cols,
    dim,
    mask: () => readArrayFile(join(dir, MASK_FILE)).data as Uint8Array,
    tileMask: () => {
      const m = readArrayFile(join(dir, MASK_FILE)).meta?.tiles as number[] | undefined;
      return Uint8Array.from(m ?? []);
    },
    readRows,
    readAll(maxBytes = 2 ** 31) {
      const bytes = rows * rowLen * 4;
      if (bytes > maxBytes) {
        throw new EngineError(
          'BAD_INPUT',
          `The feature map is ${(bytes / 2 ** 30).toFixed(1)} GiB as float32.`,
          {
            hint: 'Read it in row slices (readRows) or by superpixel (readSuperpixels).',
          },
        );
      }
      return readRows(0, rows);
    },
    readSuperpixels(indices) {
      const out = new Float32Array(indices.length * dim);
      for (let i = 0; i < indices.length; i++) {
        const idx = indices[i]!;
        const r = Math.floor(idx / cols);
        const c = idx - r * cols;
        const ty = Math.floor(r / SP_PER_TILE);
        const bits = chunk(ty).readRange(((r - ty * SP_PER_TILE) * cols + c) * dim, dim) as Uint16Array;
        decodeFloat16(bits, out.subarray(i * dim, (i + 1) * dim));
      }
      return out;
    },
    rgb() {
      const out = new Float32Array(rows * cols * 3);
      for (let ty = 0; ty < grid.tilesY; ty++) {
        const a = readArrayFile(join(dir, chunkFile('rgb', ty))).data as Float32Array;
        out.set(a, ty * SP_PER_TILE * cols * 3);
      }
      return out;
    },
    position: () => positionChannels(rows, cols),
    superpixelToFullRes: (r, c) => superpixelToFullRes(grid, r, c),
    fullResToSuperpixel: (x, y) => fullResToSuperpixel(grid, x, y),
    fullResPerSuperpixel: fullResPerSuperpixel(grid),
    close() {
      for (const h of handles.values()) h.close();
      handles.clear();
    },
  };
}

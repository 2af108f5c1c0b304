/**
 * Whole-slide feature extraction: plan the grid, read the slide tile row by tile row at
 * 0.5 µm/px, run the extractor on the tiles that touch tissue (batched, the next batch prepared
 * while the model runs), and write each tile row as one atomic chunk. A rerun with the same
 * inputs skips finished chunks, so a crash or cancel costs at most one tile row; changed inputs
 * (image, µm/px, mask, model) start over. Memory holds one column block of pixels, one batch
 * and two tile rows of features, whatever the slide size.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { EngineError, throwIfAborted } from '../errors';
import { decodeFailure } from '../io/problems';
import { noProgress, type ProgressFn } from '../jobs/progress';
import { openSlide, resampleRgb, tissueMask, type Slide } from '../slide';
import { SHARP_INPUT } from '../slide/probe';
import { tempPathFor, writeFileAtomic } from '../store/atomic-file';
import { openArrayFile, readArrayFile, writeArrayFile } from '../store/array-file';
import type { FeatureExtractor } from './extractor';
import { encodeFloat16 } from './float16';
import {
  SP_PER_TILE,
  SUPERPIXEL_PX,
  TILE_PX,
  featureGrid,
  gridMasks,
  type FeatureGrid,
  type ImageMask,
} from './geometry';
import { readScaledWindow, readSuperpixelRgb } from './resample';
import {
  COMPLETE_FILE,
  MASK_FILE,
  PLAN_FILE,
  chunkFile,
  clearFeatureDir,
  readComplete,
  readPlan,
  type FeatureComplete,
  type FeaturePlan,
} from './store';

export interface ExtractOptions {
  /** the image file the sample's positions refer to */
  imagePath: string;
  /** µm per pixel of that image file (sample µm/px × scaleToFullRes) */
  imageUmPerPx: number;
  /** full-res px per image-file px (Sample.image.scaleToFullRes), for the stored geometry */
  scaleToFullRes?: number;
  /** tissue mask over the image file; computed with the slide module's tissueMask when absent */
  mask?: ImageMask;
  extractor: FeatureExtractor;
  outDir: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
  log?: (line: string) => void;
  /** tiles per column block read at once (default 4: blocks off the tissue skip the resampling) */
  blockTiles?: number;
}

export interface ExtractResult {
  dir: string;
  grid: FeatureGrid;
  dim: number;
  superpixels: number;
  tissueSuperpixels: number;
  tiles: { total: number; tissue: number; computed: number; resumedRows: number };
  seconds: number;
  tilesPerSecond: number;
  complete: FeatureComplete;
  warning?: string;
}

function fingerprint(o: ExtractOptions, grid: FeatureGrid, maskHash: string): string {
  const st = statSync(o.imagePath);
  const m = o.extractor.manifest;
  return createHash('sha256')
    .update(
      JSON.stringify({
        image: resolve(o.imagePath),
        size: st.size,
        mtimeMs: Math.round(st.mtimeMs),
        umPerPx: o.imageUmPerPx,
        scaleToFullRes: grid.scaleToFullRes,
        mask: maskHash,
        model: { id: m.id, sha256: m.sha256, version: m.version, input: m.input, post: m.post ?? null },
      }),
    )
    .digest('hex');
}

/** Decoded images up to this many bytes are kept in memory (C2: 9274 × 9911 × 3 = 276 MB). */
const IN_MEMORY_BYTES = 400 * 2 ** 20;

/**
 * JPEG/PNG decode sequentially, so reading tile rows from them would decode the image from the top
 * every time. An image up to IN_MEMORY_BYTES is decoded once into memory; a larger one is
 * converted once into an uncompressed tiled TIFF (libvips streams it, memory stays bounded) in the
 * feature folder's .work/, deleted when the set is complete.
 */
async function randomAccess(slide: Slide, workDir: string, signal?: AbortSignal): Promise<Slide> {
  if (slide.backend === 'geotiff') return slide;
  throwIfAborted(signal);
  if (slide.width * slide.height * 3 <= IN_MEMORY_BYTES) {
    const { data, info } = await sharp(slide.path, SHARP_INPUT)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((cause: unknown) => {
        // the slide lives where the user keeps it and may have been cut short since the import
        throw decodeFailure(slide.path, cause);
      });
    if (info.channels !== 3 || info.width !== slide.width || info.height !== slide.height) {
      throw new EngineError(
        'INTERNAL',
        `Decoding ${slide.path} gave ${info.width}×${info.height}×${info.channels}.`,
      );
    }
    return inMemorySlide(slide, data);
  }
  mkdirSync(workDir, { recursive: true });
  const base = join(workDir, 'base.tif');
  if (!existsSync(base)) {
    const tmp = tempPathFor(base);
    try {
      await sharp(slide.path, SHARP_INPUT)
        .removeAlpha()
        .toColourspace('srgb')
        .tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: 'none' })
        .toFile(tmp);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw decodeFailure(slide.path, err);
    }
    renameSync(tmp, base);
  }
  const tiled = await openSlide(base);
  if (tiled.width !== slide.width || tiled.height !== slide.height) {
    await tiled.close();
    rmSync(workDir, { recursive: true, force: true });
    throw new EngineError('INTERNAL', `Tiled copy of ${slide.path} has a different size; retry.`);
  }
  tiled.umPerPx = slide.umPerPx;
  return tiled;
}

/** A decoded RGB raster behind the Slide interface (native-size reads are row copies). */
function inMemorySlide(like: Slide, data: Uint8Array): Slide {
  const W = like.width;
  const H = like.height;
  return {
    ...like,
    async read(rect, outW, outH, signal) {
      throwIfAborted(signal);
      const x0 = Math.max(0, Math.floor(rect.x));
      const y0 = Math.max(0, Math.floor(rect.y));
      const x1 = Math.min(W, Math.ceil(rect.x + rect.w));
      const y1 = Math.min(H, Math.ceil(rect.y + rect.h));
      const w = x1 - x0;
      const h = y1 - y0;
      const out = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++)
        out.set(data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x1) * 3), y * w * 3);
      const img = { width: w, height: h, data: out };
      return outW === w && outH === h ? img : resampleRgb(img, outW, outH);
    },
    async close() {},
  };
}

interface PendingRow {
  ty: number;
  features: Float32Array;
  rgb: Float32Array;
  /** tiles of this row still queued or running */
  outstanding: number;
  read: boolean;
}

export async function extractFeatures(o: ExtractOptions): Promise<ExtractResult> {
  const t0 = performance.now();
  const progress = o.progress ?? noProgress;
  const log = o.log ?? (() => {});
  const ex = o.extractor;
  const post = ex.manifest.post;
  if (post && post.baseDim !== ex.dim) {
    throw new EngineError(
      'INTERNAL',
      `extractor ${ex.id} emits ${ex.dim} channels but its post stage expects ${post.baseDim}`,
    );
  }
  const halo = ex.manifest.input.halo;
  const S = ex.manifest.input.size;
  if (S !== TILE_PX + 2 * halo) throw new EngineError('INTERNAL', `extractor input ${S} ≠ 224 + 2·${halo}`);
  mkdirSync(o.outDir, { recursive: true });

  let slide = await openSlide(o.imagePath, { umPerPx: o.imageUmPerPx });
  const workDir = join(o.outDir, '.work');
  let closed = false;
  try {
    const grid = featureGrid(slide.width, slide.height, o.imageUmPerPx, o.scaleToFullRes ?? 1);
    if (grid.warning) log(`features: ${grid.warning}`);
    progress({ fraction: 0, message: 'Finding tissue' });
    const mask = o.mask ?? (await tissueMask(slide, {}, o.signal));
    const maskHash = createHash('sha256')
      .update(JSON.stringify([mask.width, mask.height, mask.scaleX, mask.scaleY]))
      .update(mask.data)
      .digest('hex');
    const fp = fingerprint(o, grid, maskHash);

    const done = readComplete(o.outDir);
    if (done && done.fingerprint === fp) {
      log(`features: ${o.outDir} is already complete`);
      progress({ fraction: 1, message: 'Features already extracted' });
      return resultOf(o.outDir, done, 0, 0, grid);
    }
    const prior = readPlan(o.outDir);
    if (!prior || prior.fingerprint !== fp || done) {
      if (prior) log('features: inputs changed since the last run; starting over');
      clearFeatureDir(o.outDir);
    }
    const { tiles: tileMask, superpixels } = gridMasks(grid, mask);
    let tissueTiles = 0;
    for (const t of tileMask) tissueTiles += t;
    let tissueSp = 0;
    for (const s of superpixels) tissueSp += s;
    if (!existsSync(join(o.outDir, MASK_FILE))) {
      writeArrayFile(join(o.outDir, MASK_FILE), {
        dtype: 'uint8',
        shape: [grid.rows, grid.cols],
        data: superpixels,
        meta: { tiles: Array.from(tileMask), tilesX: grid.tilesX, tilesY: grid.tilesY },
      });
    }
    const plan: FeaturePlan = {
      format: 1,
      fingerprint: fp,
      grid,
      manifest: ex.manifest,
      tissueTiles,
      tissueSuperpixels: tissueSp,
    };
    if (!prior || prior.fingerprint !== fp)
      writeFileAtomic(join(o.outDir, PLAN_FILE), Buffer.from(JSON.stringify(plan, null, 1)));

    const stage1Kind = post ? 'raw' : 'rows';
    const todo: number[] = [];
    for (let ty = 0; ty < grid.tilesY; ty++)
      if (!existsSync(join(o.outDir, chunkFile(stage1Kind, ty)))) todo.push(ty);
    const resumedRows = grid.tilesY - todo.length;
    if (resumedRows > 0) log(`features: resuming, ${resumedRows} of ${grid.tilesY} tile rows already done`);
    let tissueTodo = 0;
    for (const ty of todo)
      for (let tx = 0; tx < grid.tilesX; tx++) tissueTodo += tileMask[ty * grid.tilesX + tx]!;

    const stage1Share = post ? 0.9 : 1;
    let computed = 0;
    if (todo.length > 0) {
      slide = await randomAccess(slide, workDir, o.signal);
      computed = await stage1(o, slide, grid, tileMask, todo, tissueTodo, stage1Kind, (u) =>
        progress({ ...u, fraction: u.fraction * stage1Share }),
      );
    }
    let stats: FeatureComplete['stats'];
    if (post) {
      stats = stage2(o, grid, superpixels, (f, message) =>
        progress({ fraction: stage1Share + (1 - stage1Share) * f, message }),
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    const complete: FeatureComplete = {
      ...plan,
      seconds,
      ...(stats ? { stats } : {}),
      completedAt: new Date().toISOString(),
    };
    writeFileAtomic(join(o.outDir, COMPLETE_FILE), Buffer.from(JSON.stringify(complete, null, 1)));
    // Intermediate files are no longer needed once the set is whole.
    if (post)
      for (let ty = 0; ty < grid.tilesY; ty++) rmSync(join(o.outDir, chunkFile('raw', ty)), { force: true });
    await slide.close();
    closed = true;
    rmSync(workDir, { recursive: true, force: true });
    progress({ fraction: 1, message: `Features for ${tissueSp} tissue superpixels` });
    return resultOf(o.outDir, complete, computed, resumedRows, grid);
  } finally {
    if (!closed) await slide.close();
  }
}

function resultOf(
  dir: string,
  c: FeatureComplete,
  computed: number,
  resumedRows: number,
  grid: FeatureGrid,
): ExtractResult {
  return {
    dir,
    grid: c.grid,
    dim: c.manifest.output.dim,
    superpixels: c.grid.rows * c.grid.cols,
    tissueSuperpixels: c.tissueSuperpixels,
    tiles: { total: c.grid.tilesX * c.grid.tilesY, tissue: c.tissueTiles, computed, resumedRows },
    seconds: c.seconds,
    tilesPerSecond: c.seconds > 0 ? computed / c.seconds : 0,
    complete: c,
    ...(grid.warning ? { warning: grid.warning } : {}),
  };
}

/** Packs tile `j` of a window (interleaved RGB) into `dst` as normalised CHW float32. */
function packTile(
  win: Uint8Array,
  winW: number,
  x0: number,
  S: number,
  dst: Float32Array,
  a: readonly number[],
  b: readonly number[],
): void {
  const plane = S * S;
  for (let y = 0; y < S; y++) {
    const src = (y * winW + x0) * 3;
    const o = y * S;
    for (let x = 0; x < S; x++) {
      const i = src + x * 3;
      dst[o + x] = win[i]! * a[0]! + b[0]!;
      dst[plane + o + x] = win[i + 1]! * a[1]! + b[1]!;
      dst[2 * plane + o + x] = win[i + 2]! * a[2]! + b[2]!;
    }
  }
}

async function stage1(
  o: ExtractOptions,
  slide: Slide,
  grid: FeatureGrid,
  tileMask: Uint8Array,
  todo: number[],
  tissueTodo: number,
  kind: 'rows' | 'raw',
  progress: ProgressFn,
): Promise<number> {
  const ex = o.extractor;
  const { halo, size: S, mean, std } = ex.manifest.input;
  const a = [0, 1, 2].map((c) => 1 / (255 * std[c]!));
  const b = [0, 1, 2].map((c) => -mean[c]! / std[c]!);
  const dim = ex.dim;
  const cols = grid.cols;
  const tileLen = 3 * S * S;
  const B = ex.batchSize;
  const spRow = SP_PER_TILE * cols; // superpixels per tile row

  // Background code: what the model says about a blank white tile, used for tiles off the tissue.
  const white = new Float32Array(B * tileLen);
  for (let c = 0; c < 3; c++) white.fill(255 * a[c]! + b[c]!, c * S * S, (c + 1) * S * S);
  for (let i = 1; i < B; i++) white.copyWithin(i * tileLen, 0, tileLen);
  const bgOut = await ex.run(white, B);
  const background = bgOut.slice(0, SP_PER_TILE * SP_PER_TILE * dim);

  const batch = new Float32Array(B * tileLen);
  let slots: { row: PendingRow; tx: number }[] = [];
  let inflight: Promise<void> | null = null;
  const rows = new Map<number, PendingRow>();
  let tilesDone = 0;
  const tStart = performance.now();

  const report = (message: string) => {
    const secs = (performance.now() - tStart) / 1000;
    const rate = secs > 0 ? tilesDone / secs : 0;
    const fraction = tissueTodo > 0 ? tilesDone / tissueTodo : 1;
    progress({
      fraction,
      message,
      metrics: {
        tilesPerSecond: rate,
        tilesDone,
        tilesTotal: tissueTodo,
        ...(rate > 0 ? { etaSeconds: (tissueTodo - tilesDone) / rate } : {}),
      },
    });
  };

  const flushReady = () => {
    for (const [ty, r] of [...rows]) {
      if (!r.read || r.outstanding > 0) continue;
      // rgb first: a rows/raw chunk on disk means the whole tile row, rgb included, is done
      writeArrayFile(join(o.outDir, chunkFile('rgb', ty)), {
        dtype: 'float32',
        shape: [SP_PER_TILE, cols, 3],
        data: r.rgb,
      });
      if (kind === 'raw') {
        writeArrayFile(join(o.outDir, chunkFile('raw', ty)), {
          dtype: 'float32',
          shape: [SP_PER_TILE, cols, dim],
          data: r.features,
        });
      } else {
        writeArrayFile(join(o.outDir, chunkFile('rows', ty)), {
          dtype: 'float16',
          shape: [SP_PER_TILE, cols, dim],
          data: encodeFloat16(r.features),
        });
      }
      rows.delete(ty);
      report(`Tile row ${ty + 1} of ${grid.tilesY}`);
    }
  };

  const launch = async (n: number): Promise<void> => {
    const mine = slots;
    slots = [];
    // A fixed-batch model gets the rest of the batch filled with white tiles, whose output is dropped.
    for (let i = n; i < B && ex.fixedBatch; i++) batch.set(white.subarray(0, tileLen), i * tileLen);
    const nRun = ex.fixedBatch ? B : n;
    const input = ex.fixedBatch ? batch : batch.subarray(0, n * tileLen);
    // ORT reads the input during run(); the next batch is packed into a fresh buffer meanwhile.
    const feed = new Float32Array(input);
    if (inflight) await inflight;
    inflight = ex.run(feed, nRun).then((out) => {
      const per = SP_PER_TILE * SP_PER_TILE * dim;
      mine.forEach(({ row, tx }, i) => {
        for (let r = 0; r < SP_PER_TILE; r++) {
          const src = out.subarray(i * per + r * SP_PER_TILE * dim, i * per + (r + 1) * SP_PER_TILE * dim);
          row.features.set(src, (r * cols + tx * SP_PER_TILE) * dim);
        }
        row.outstanding--;
      });
      tilesDone += mine.length;
    });
  };

  const blockTiles = Math.max(1, o.blockTiles ?? 4);
  try {
    for (const ty of todo) {
      throwIfAborted(o.signal);
      const row: PendingRow = {
        ty,
        features: new Float32Array(spRow * dim),
        rgb: new Float32Array(spRow * 3),
        outstanding: 0,
        read: false,
      };
      // every tile starts as background; tissue tiles are overwritten when their batch returns
      for (let tx = 0; tx < grid.tilesX; tx++) {
        for (let r = 0; r < SP_PER_TILE; r++) {
          row.features.set(
            background.subarray(r * SP_PER_TILE * dim, (r + 1) * SP_PER_TILE * dim),
            (r * cols + tx * SP_PER_TILE) * dim,
          );
        }
      }
      rows.set(ty, row);
      for (let bx = 0; bx < grid.tilesX; bx += blockTiles) {
        throwIfAborted(o.signal);
        const nt = Math.min(blockTiles, grid.tilesX - bx);
        let nTissue = 0;
        for (let j = 0; j < nt; j++) nTissue += tileMask[ty * grid.tilesX + bx + j]!;
        if (nTissue < nt) {
          // Tiles off the tissue need only their RGB means, taken straight from the source pixels.
          // The rule is per tile (never per block), so the result does not depend on block size.
          const sp = await readSuperpixelRgb(
            slide,
            grid,
            bx * SP_PER_TILE,
            ty * SP_PER_TILE,
            nt * SP_PER_TILE,
            SP_PER_TILE,
            o.signal,
          );
          for (let j = 0; j < nt; j++) {
            if (tileMask[ty * grid.tilesX + bx + j]) continue;
            for (let r = 0; r < SP_PER_TILE; r++) {
              const from = (r * nt * SP_PER_TILE + j * SP_PER_TILE) * 3;
              row.rgb.set(sp.subarray(from, from + SP_PER_TILE * 3), (r * cols + (bx + j) * SP_PER_TILE) * 3);
            }
          }
        }
        if (nTissue === 0) continue;
        const winW = nt * TILE_PX + 2 * halo;
        const winH = TILE_PX + 2 * halo;
        const win = await readScaledWindow(
          slide,
          grid,
          bx * TILE_PX - halo,
          ty * TILE_PX - halo,
          winW,
          winH,
          o.signal,
        );
        blockRgb(win, winW, halo, nt, bx, cols, row.rgb, (j) => tileMask[ty * grid.tilesX + bx + j] === 1);
        for (let j = 0; j < nt; j++) {
          const tx = bx + j;
          if (!tileMask[ty * grid.tilesX + tx]) continue;
          packTile(win, winW, j * TILE_PX, S, batch.subarray(slots.length * tileLen), a, b);
          slots.push({ row, tx });
          row.outstanding++;
          if (slots.length === B) await launch(B);
        }
        flushReady();
      }
      row.read = true;
      flushReady();
    }
    if (slots.length > 0) await launch(slots.length);
    if (inflight) await inflight;
    inflight = null;
    flushReady();
  } finally {
    if (inflight) await (inflight as Promise<void>).catch(() => {});
  }
  if (rows.size > 0) throw new EngineError('INTERNAL', `${rows.size} tile rows were not written`);
  return tilesDone;
}

/** Mean RGB ÷ 255 of every 16 × 16 superpixel of the block's tissue tiles (halo excluded). */
function blockRgb(
  win: Uint8Array,
  winW: number,
  halo: number,
  nt: number,
  bx: number,
  cols: number,
  out: Float32Array,
  isTissue: (tile: number) => boolean,
): void {
  const spCols = nt * SP_PER_TILE;
  const acc = new Float64Array(SP_PER_TILE * spCols * 3);
  for (let y = 0; y < TILE_PX; y++) {
    const sr = Math.floor(y / SUPERPIXEL_PX);
    const base = ((y + halo) * winW + halo) * 3;
    for (let x = 0; x < nt * TILE_PX; x++) {
      const i = base + x * 3;
      const k = (sr * spCols + Math.floor(x / SUPERPIXEL_PX)) * 3;
      acc[k] = acc[k]! + win[i]!;
      acc[k + 1] = acc[k + 1]! + win[i + 1]!;
      acc[k + 2] = acc[k + 2]! + win[i + 2]!;
    }
  }
  const norm = 1 / (SUPERPIXEL_PX * SUPERPIXEL_PX * 255);
  for (let r = 0; r < SP_PER_TILE; r++) {
    for (let c = 0; c < spCols; c++) {
      if (!isTissue(Math.floor(c / SP_PER_TILE))) continue;
      const o = (r * cols + bx * SP_PER_TILE + c) * 3;
      const k = (r * spCols + c) * 3;
      out[o] = acc[k]! * norm;
      out[o + 1] = acc[k + 1]! * norm;
      out[o + 2] = acc[k + 2]! * norm;
    }
  }
}

/**
 * The built-in extractor's map stage: tissue-only neighbourhood means over k × k superpixels
 * (context), then every channel z-scored over tissue superpixels. Two streaming passes over the
 * raw chunks (statistics, then writing), each holding three tile rows; finished chunks are kept.
 */
function stage2(
  o: ExtractOptions,
  grid: FeatureGrid,
  mask: Uint8Array,
  progress: (f: number, message: string) => void,
): { mean: number[]; sd: number[] } {
  const post = o.extractor.manifest.post!;
  const D = post.baseDim;
  const ks = post.context;
  const F = D * (1 + ks.length);
  const { rows, cols, tilesY } = grid;
  const reach = Math.max(0, ...ks.map((k) => (k - 1) / 2));
  if (reach > SP_PER_TILE) throw new EngineError('INTERNAL', 'context wider than a tile row');
  const cache = new Map<number, Float32Array>();
  const raw = (ty: number): Float32Array => {
    let a = cache.get(ty);
    if (!a) {
      a = readArrayFile(join(o.outDir, chunkFile('raw', ty))).data as Float32Array;
      cache.set(ty, a);
      for (const k of cache.keys()) if (k < ty - 1) cache.delete(k);
    }
    return a;
  };
  const rowLen = cols * D;
  /** Final (unstandardised) channels of tile row ty: (14, cols, F). */
  const finalRows = (ty: number): Float32Array => {
    const r0 = Math.max(0, ty * SP_PER_TILE - reach);
    const r1 = Math.min(rows, (ty + 1) * SP_PER_TILE + reach);
    const n = r1 - r0;
    // Integral images over the window of f·m (per channel) and of m.
    const W1 = cols + 1;
    const sf = new Float64Array((n + 1) * W1 * D);
    const sm = new Float64Array((n + 1) * W1);
    for (let i = 0; i < n; i++) {
      const r = r0 + i;
      const t = Math.floor(r / SP_PER_TILE);
      const src = raw(t);
      const off = (r - t * SP_PER_TILE) * rowLen;
      for (let c = 0; c < cols; c++) {
        const m = mask[r * cols + c]!;
        const p = ((i + 1) * W1 + c + 1) * D;
        const up = (i * W1 + c + 1) * D;
        const left = ((i + 1) * W1 + c) * D;
        const diag = (i * W1 + c) * D;
        for (let d = 0; d < D; d++) {
          sf[p + d] = (m ? src[off + c * D + d]! : 0) + sf[up + d]! + sf[left + d]! - sf[diag + d]!;
        }
        sm[(i + 1) * W1 + c + 1] = m + sm[i * W1 + c + 1]! + sm[(i + 1) * W1 + c]! - sm[i * W1 + c]!;
      }
    }
    const out = new Float32Array(SP_PER_TILE * cols * F);
    const own = raw(ty);
    for (let rr = 0; rr < SP_PER_TILE; rr++) {
      const r = ty * SP_PER_TILE + rr;
      for (let c = 0; c < cols; c++) {
        const o2 = (rr * cols + c) * F;
        const ownOff = (rr * cols + c) * D;
        for (let d = 0; d < D; d++) out[o2 + d] = own[ownOff + d]!;
        ks.forEach((k, ki) => {
          const h = (k - 1) / 2;
          const ya = Math.max(0, r - h) - r0;
          const yb = Math.min(rows - 1, r + h) - r0 + 1;
          const xa = Math.max(0, c - h);
          const xb = Math.min(cols - 1, c + h) + 1;
          const cnt = sm[yb * W1 + xb]! - sm[ya * W1 + xb]! - sm[yb * W1 + xa]! + sm[ya * W1 + xa]!;
          const dst = o2 + D * (1 + ki);
          if (cnt < 0.5) {
            // no tissue around: the superpixel's own value (background keeps its code)
            for (let d = 0; d < D; d++) out[dst + d] = own[ownOff + d]!;
            return;
          }
          for (let d = 0; d < D; d++) {
            const s =
              sf[(yb * W1 + xb) * D + d]! -
              sf[(ya * W1 + xb) * D + d]! -
              sf[(yb * W1 + xa) * D + d]! +
              sf[(ya * W1 + xa) * D + d]!;
            out[dst + d] = s / cnt;
          }
        });
      }
    }
    return out;
  };

  // Pass 1: statistics over tissue (float64 sums; values are O(1) and n ≤ ~10⁷).
  const sum = new Float64Array(F);
  const sq = new Float64Array(F);
  let n = 0;
  for (let ty = 0; ty < tilesY; ty++) {
    throwIfAborted(o.signal);
    const f = finalRows(ty);
    for (let rr = 0; rr < SP_PER_TILE; rr++) {
      for (let c = 0; c < cols; c++) {
        if (!mask[(ty * SP_PER_TILE + rr) * cols + c]) continue;
        n++;
        const off = (rr * cols + c) * F;
        for (let d = 0; d < F; d++) {
          const v = f[off + d]!;
          sum[d] = sum[d]! + v;
          sq[d] = sq[d]! + v * v;
        }
      }
    }
    progress((0.5 * (ty + 1)) / tilesY, 'Context statistics');
  }
  const mean = Array.from(sum, (s) => (n > 0 ? s / n : 0));
  // Population sd; a constant channel (e.g. no white pixels anywhere) keeps sd 1 so it stays 0.
  const sd = Array.from(sq, (s, d) => {
    const v = n > 0 ? s / n - mean[d]! ** 2 : 0;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  // Pass 2: z-score and write, skipping chunks a previous run finished.
  for (let ty = 0; ty < tilesY; ty++) {
    throwIfAborted(o.signal);
    const target = join(o.outDir, chunkFile('rows', ty));
    if (existsSync(target) && chunkMatches(target, F, cols)) continue;
    const f = finalRows(ty);
    for (let i = 0; i < f.length; i++) {
      const d = i % F;
      f[i] = (f[i]! - mean[d]!) / sd[d]!;
    }
    writeArrayFile(target, { dtype: 'float16', shape: [SP_PER_TILE, cols, F], data: encodeFloat16(f) });
    progress(0.5 + (0.5 * (ty + 1)) / tilesY, 'Writing features');
  }
  return { mean, sd };
}

function chunkMatches(path: string, F: number, cols: number): boolean {
  try {
    const h = openArrayFile(path);
    const [a, b, c] = h.header.shape;
    h.close();
    return a === SP_PER_TILE && b === cols && c === F;
  } catch {
    return false;
  }
}

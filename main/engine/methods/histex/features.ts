/**
 * The superpixel feature map HISTEX reads. Until main/engine/features provides UNI/builtin maps,
 * `builtinFeatures` computes a small weights-free map from the slide: optical density, texture and
 * context channels (the `his` part), then HISTEX's `rgb` (16×16-block means / 255) and `pos`
 * (row/col min-max normalised, 4×4 uniform filter with reflected borders) channels (methods.md §2.1).
 */
import { throwIfAborted } from '../../errors';
import type { Sample } from '../../io/sample';
import type { FeatureMap } from '../../features';
import { openSlide, otsu, readRegion } from '../../slide';
import { pca } from '../../analysis/pca';
import type { SuperpixelFeatures } from '../types';

/**
 * The engine's superpixel features (grid, dim, data: height·width·dim, row-major, channel last) with
 * what HISTEX also reads: the tissue mask and the channel names.
 */
export interface HistexFeatures extends SuperpixelFeatures {
  /** 1 = tissue superpixel */
  mask: Uint8Array;
  /** channel names (his…, rgb_r, rgb_g, rgb_b, pos_row, pos_col) */
  channels: string[];
}

/** 4×4 uniform filter (cv2.filter2D, BORDER_REFLECT_101-free "reflect": edge pixel repeated). */
function uniform4(src: Float32Array, rows: number, cols: number): Float32Array {
  // even kernel: cv2 anchors at (2, 2), i.e. window [i−2, i+1]
  const out = new Float32Array(rows * cols);
  const refl = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let dr = -2; dr <= 1; dr++)
        for (let dc = -2; dc <= 1; dc++) s += src[refl(r + dr, rows) * cols + refl(c + dc, cols)]!;
      out[r * cols + c] = s / 16;
    }
  return out;
}

function otsu01(values: Float32Array): number {
  const hist = new Float64Array(256);
  for (const v of values) hist[Math.max(0, Math.min(255, Math.round(v * 255)))]! += 1;
  return otsu(hist) / 255;
}

/**
 * Weights-free features at 8 µm superpixels, read at 2 µm/px (4×4 px per superpixel).
 * his channels: optical density R/G/B (mean), intensity std, gradient magnitude, OD in 3×3 and
 * 7×7 superpixel context (6) → 11 channels; then rgb (3) and pos (2): 16 in all.
 */
export async function builtinFeatures(sample: Sample, signal?: AbortSignal): Promise<HistexFeatures> {
  const img = sample.image;
  if (!img) throw new Error(`Sample ${sample.name} has no image.`);
  const slide = await openSlide(img.path, { umPerPx: sample.umPerPx * img.scaleToFullRes });
  try {
    const sub = 4;
    const um = 2;
    const spPx = (8 / sample.umPerPx) * 1; // full-res px per superpixel
    const region = await readRegion(slide, { x: 0, y: 0, w: slide.width, h: slide.height }, um, signal);
    throwIfAborted(signal);
    const W = region.width;
    const H = region.height;
    const rows = Math.floor(H / sub);
    const cols = Math.floor(W / sub);
    const n = rows * cols;
    const px = region.data;
    const ch = 3;
    const his = 11;
    const dim = his + 5;
    const data = new Float32Array(n * dim);
    const od = new Float32Array(n * 3);
    const sat = new Float32Array(n);
    const bright = new Float32Array(n);
    const gray = new Float32Array(W * H);
    for (let i = 0; i < W * H; i++) gray[i] = (px[i * ch]! + px[i * ch + 1]! + px[i * ch + 2]!) / (3 * 255);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const s = r * cols + c;
        const rgb = [0, 0, 0];
        const o = [0, 0, 0];
        let g1 = 0;
        let g2 = 0;
        let grad = 0;
        for (let dy = 0; dy < sub; dy++)
          for (let dx = 0; dx < sub; dx++) {
            const y = r * sub + dy;
            const x = c * sub + dx;
            const p = (y * W + x) * ch;
            for (let k = 0; k < 3; k++) {
              const v = px[p + k]!;
              rgb[k]! += v;
              o[k]! += -Math.log10((v + 1) / 256);
            }
            const gv = gray[y * W + x]!;
            g1 += gv;
            g2 += gv * gv;
            const gx = x + 1 < W ? gray[y * W + x + 1]! - gv : 0;
            const gy = y + 1 < H ? gray[(y + 1) * W + x]! - gv : 0;
            grad += Math.sqrt(gx * gx + gy * gy);
          }
        const m = sub * sub;
        const base = s * dim;
        for (let k = 0; k < 3; k++) {
          od[s * 3 + k] = o[k]! / m;
          data[base + k] = o[k]! / m;
          data[base + his + k] = rgb[k]! / m / 255;
        }
        const mean = g1 / m;
        data[base + 3] = Math.sqrt(Math.max(0, g2 / m - mean * mean)) * 4;
        data[base + 4] = (grad / m) * 4;
        const mx = Math.max(rgb[0]!, rgb[1]!, rgb[2]!);
        const mn = Math.min(rgb[0]!, rgb[1]!, rgb[2]!);
        sat[s] = mx > 0 ? (mx - mn) / mx : 0;
        bright[s] = mean;
      }
    // context: OD box means over 3×3 and 7×7 superpixels
    for (const [off, rad] of [
      [5, 1],
      [8, 3],
    ] as const) {
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const acc = [0, 0, 0];
          let cnt = 0;
          for (let rr = Math.max(0, r - rad); rr <= Math.min(rows - 1, r + rad); rr++)
            for (let cc = Math.max(0, c - rad); cc <= Math.min(cols - 1, c + rad); cc++) {
              for (let k = 0; k < 3; k++) acc[k]! += od[(rr * cols + cc) * 3 + k]!;
              cnt++;
            }
          for (let k = 0; k < 3; k++) data[(r * cols + c) * dim + off + k] = acc[k]! / cnt;
        }
    }
    const prow = new Float32Array(n);
    const pcol = new Float32Array(n);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        prow[r * cols + c] = rows > 1 ? r / (rows - 1) : 0;
        pcol[r * cols + c] = cols > 1 ? c / (cols - 1) : 0;
      }
    const fr = uniform4(prow, rows, cols);
    const fc = uniform4(pcol, rows, cols);
    for (let s = 0; s < n; s++) {
      data[s * dim + his + 3] = fr[s]!;
      data[s * dim + his + 4] = fc[s]!;
    }
    const thr = otsu01(sat);
    const mask = new Uint8Array(n);
    for (let s = 0; s < n; s++) mask[s] = sat[s]! > thr && bright[s]! < 0.92 ? 1 : 0;
    return {
      grid: { originX: 0, originY: 0, sizePx: spPx, width: cols, height: rows },
      dim,
      data,
      mask,
      channels: [
        'od_r',
        'od_g',
        'od_b',
        'std',
        'grad',
        'od3_r',
        'od3_g',
        'od3_b',
        'od7_r',
        'od7_g',
        'od7_b',
        'rgb_r',
        'rgb_g',
        'rgb_b',
        'pos_row',
        'pos_col',
      ],
    };
  } finally {
    await slide.close();
  }
}

/** Keep only some channels (ablation "without histology features" keeps pos only). */
export function selectChannels(f: HistexFeatures, keep: readonly number[]): HistexFeatures {
  const n = f.grid.height * f.grid.width;
  const data = new Float32Array(n * keep.length);
  for (let s = 0; s < n; s++)
    for (let j = 0; j < keep.length; j++) data[s * keep.length + j] = f.data[s * f.dim + keep[j]!]!;
  return { ...f, dim: keep.length, data, channels: keep.map((k) => f.channels[k] ?? `c${k}`) };
}

/**
 * How HISTEX reads the built-in extractor's 66 channels: their first `components` principal
 * components over tissue superpixels, each scaled to SD `scale`. Trained on ~100–700 spots, the
 * model fits noise in 66 correlated channels (on HER2ST B4/C2/C3 they did worse than RGB alone).
 * 16 components at SD 0.3 — about the SD of the position channels (uniform on [0, 1]: 0.29) rather
 * than the z-scores' 1 — did best of 8/16/24 components at SD 0.2/0.3/1 (docs/histex.md,
 * "Histology input"). Foundation-model tokens (UNI) are used raw, as HISTEX does.
 */
export const BUILTIN_FOR_HISTEX = { components: 16, scale: 0.3 } as const;

/** HISTEX's input from any stored feature set: raw tokens, or the built-in set compressed. */
export function histexFeatures(
  map: FeatureMap,
  builtin: { components: number; scale: number } = BUILTIN_FOR_HISTEX,
): HistexFeatures {
  const f = fromFeatureMap(map);
  return map.manifest.id === 'builtin' ? principalHistology(f, map.dim, builtin) : f;
}

/** The first `his` channels replaced by their top principal components over tissue, at SD `scale`. */
export function principalHistology(
  f: HistexFeatures,
  his: number,
  o: { components: number; scale: number },
): HistexFeatures {
  const n = f.grid.height * f.grid.width;
  const k = o.components;
  let nt = 0;
  for (let s = 0; s < n; s++) if (f.mask[s]) nt++;
  const x = new Float64Array(nt * his);
  for (let s = 0, i = 0; s < n; s++) {
    if (!f.mask[s]) continue;
    for (let j = 0; j < his; j++) x[i * his + j] = f.data[s * f.dim + j]!;
    i++;
  }
  const p = pca({ nRows: nt, nCols: his, data: x }, { nComponents: k, method: 'exact' });
  const rest = f.dim - his;
  const dim = k + rest;
  const data = new Float32Array(n * dim);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      let v = 0;
      for (let j = 0; j < his; j++) v += (f.data[s * f.dim + j]! - p.mean[j]!) * p.components[c * his + j]!;
      data[s * dim + c] = (v / Math.sqrt(p.explainedVariance[c]! || 1)) * o.scale;
    }
    for (let j = 0; j < rest; j++) data[s * dim + k + j] = f.data[s * f.dim + his + j]!;
  }
  return {
    ...f,
    dim,
    data,
    channels: [...Array.from({ length: k }, (_, c) => `his_pc${c + 1}`), ...f.channels.slice(his)],
  };
}

/**
 * HISTEX's input from a stored feature map (main/engine/features): his channels, then rgb (3) and
 * pos (2), as Step4 concatenates them (F = 1024 + 3 + 2 with UNI).
 */
export function fromFeatureMap(map: FeatureMap): HistexFeatures {
  const his = map.readAll();
  const rgb = map.rgb();
  const pos = map.position();
  const n = map.rows * map.cols;
  const dim = map.dim + 5;
  const data = new Float32Array(n * dim);
  for (let s = 0; s < n; s++) {
    data.set(his.subarray(s * map.dim, (s + 1) * map.dim), s * dim);
    data.set(rgb.subarray(s * 3, s * 3 + 3), s * dim + map.dim);
    data.set(pos.subarray(s * 2, s * 2 + 2), s * dim + map.dim + 3);
  }
  return {
    grid: { originX: 0, originY: 0, sizePx: map.fullResPerSuperpixel, width: map.cols, height: map.rows },
    dim,
    data,
    mask: map.mask(),
    channels: [
      ...Array.from({ length: map.dim }, (_, i) => `his_${i}`),
      'rgb_r',
      'rgb_g',
      'rgb_b',
      'pos_row',
      'pos_col',
    ],
  };
}

/**
 * Reads any window of the slide as it looks at 0.5 µm/px. Each output pixel is a function of its
 * global position only (exact area average of its footprint when shrinking, bilinear at its
 * centre when enlarging, pixel-centre convention), so tiles read separately, with or without a
 * halo, agree exactly with one read of the whole image: resumed and uninterrupted runs match
 * bit for bit. Outside the (unpadded) resampled image the window is white, which is the padding.
 */
import { EngineError, throwIfAborted } from '../errors';
import type { Slide } from '../slide';
import type { FeatureGrid } from './geometry';

interface AxisPlan {
  /** first source index read (absolute), and the count */
  srcStart: number;
  srcCount: number;
  /** valid output range within the window */
  outStart: number;
  outCount: number;
  /** per valid output: first tap (relative to srcStart) and normalised weights */
  first: Int32Array;
  taps: number;
  weights: Float64Array;
}

function axisPlan(
  mode: FeatureGrid['resampling'],
  scale: number,
  srcSize: number,
  scaledSize: number,
  o0: number,
  n: number,
): AxisPlan | null {
  const lo = Math.max(0, o0);
  const hi = Math.min(scaledSize, o0 + n);
  if (hi <= lo) return null;
  const count = hi - lo;
  // taps per output: area footprints span at most ceil(1/s)+1 source px
  const taps = mode === 'area' ? Math.ceil(1 / scale) + 1 : mode === 'bilinear' ? 2 : 1;
  const first = new Int32Array(count);
  const weights = new Float64Array(count * taps);
  for (let k = 0; k < count; k++) {
    const o = lo + k;
    if (mode === 'none') {
      first[k] = o;
      weights[k] = 1;
    } else if (mode === 'bilinear') {
      const c = Math.min(srcSize - 1, Math.max(0, (o + 0.5) / scale - 0.5));
      const i0 = Math.floor(c);
      const t = c - i0;
      first[k] = i0;
      weights[k * 2] = 1 - t;
      // at the last source px the second tap would fall outside; its weight is 0 there anyway
      weights[k * 2 + 1] = i0 + 1 < srcSize ? t : 0;
      if (i0 + 1 >= srcSize) weights[k * 2] = 1;
    } else {
      const a = o / scale;
      const b = Math.min(srcSize, (o + 1) / scale);
      const s = Math.floor(a);
      const e = Math.min(srcSize, Math.ceil(b));
      first[k] = s;
      // the last output px may hang over the image edge: average the part inside
      const len = b - a;
      for (let i = s; i < e; i++) weights[k * taps + (i - s)] = (Math.min(b, i + 1) - Math.max(a, i)) / len;
    }
  }
  let srcStart = Infinity;
  let srcEnd = -Infinity;
  for (let k = 0; k < count; k++) {
    srcStart = Math.min(srcStart, first[k]!);
    let last = first[k]!;
    for (let t = 0; t < taps; t++) if (weights[k * taps + t]! !== 0) last = first[k]! + t;
    srcEnd = Math.max(srcEnd, last + 1);
  }
  for (let k = 0; k < count; k++) first[k] = first[k]! - srcStart;
  return { srcStart, srcCount: srcEnd - srcStart, outStart: lo - o0, outCount: count, first, taps, weights };
}

/**
 * RGB (interleaved, 8-bit) of the 0.5-µm/px window [x0, x0+w) × [y0, y0+h); white where the
 * window leaves the resampled image (padding and halo beyond the edge).
 */
export async function readScaledWindow(
  slide: Slide,
  g: FeatureGrid,
  x0: number,
  y0: number,
  w: number,
  h: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  throwIfAborted(signal);
  if (slide.width !== g.imageWidth || slide.height !== g.imageHeight) {
    throw new EngineError(
      'INTERNAL',
      `Slide is ${slide.width}×${slide.height} but the feature grid was planned for ${g.imageWidth}×${g.imageHeight}.`,
    );
  }
  const out = new Uint8Array(w * h * 3).fill(255);
  const px = axisPlan(g.resampling, g.scale, g.imageWidth, g.scaledWidth, x0, w);
  const py = axisPlan(g.resampling, g.scale, g.imageHeight, g.scaledHeight, y0, h);
  if (!px || !py) return out;
  const src = await slide.read(
    { x: px.srcStart, y: py.srcStart, w: px.srcCount, h: py.srcCount },
    px.srcCount,
    py.srcCount,
    signal,
  );
  if (src.width !== px.srcCount || src.height !== py.srcCount) {
    throw new EngineError(
      'INTERNAL',
      `Slide read returned ${src.width}×${src.height}, expected native pixels.`,
    );
  }
  const sw = src.width;
  const sd = src.data;
  // Horizontal pass: every source row → valid output columns (float).
  const nx = px.outCount;
  const tmp = new Float32Array(py.srcCount * nx * 3);
  const tx = px.taps;
  for (let y = 0; y < py.srcCount; y++) {
    const rowIn = y * sw * 3;
    const rowOut = y * nx * 3;
    if (tx === 2) {
      // bilinear: two taps, unrolled (this loop is most of the resampling time)
      for (let k = 0; k < nx; k++) {
        const i = rowIn + px.first[k]! * 3;
        const w0 = px.weights[2 * k]!;
        const w1 = px.weights[2 * k + 1]!;
        const j = i + (w1 !== 0 ? 3 : 0);
        tmp[rowOut + k * 3] = sd[i]! * w0 + sd[j]! * w1;
        tmp[rowOut + k * 3 + 1] = sd[i + 1]! * w0 + sd[j + 1]! * w1;
        tmp[rowOut + k * 3 + 2] = sd[i + 2]! * w0 + sd[j + 2]! * w1;
      }
      continue;
    }
    for (let k = 0; k < nx; k++) {
      const f = px.first[k]!;
      let r = 0;
      let gg = 0;
      let b = 0;
      for (let t = 0; t < tx; t++) {
        const wt = px.weights[k * tx + t]!;
        if (wt === 0) continue;
        const i = rowIn + (f + t) * 3;
        r += sd[i]! * wt;
        gg += sd[i + 1]! * wt;
        b += sd[i + 2]! * wt;
      }
      tmp[rowOut + k * 3] = r;
      tmp[rowOut + k * 3 + 1] = gg;
      tmp[rowOut + k * 3 + 2] = b;
    }
  }
  // Vertical pass into the window.
  const ty = py.taps;
  const stride = nx * 3;
  for (let k = 0; k < py.outCount; k++) {
    const f = py.first[k]!;
    const o = ((py.outStart + k) * w + px.outStart) * 3;
    if (ty === 2) {
      const w0 = py.weights[2 * k]!;
      const w1 = py.weights[2 * k + 1]!;
      const a = f * stride;
      const b = w1 !== 0 ? a + stride : a;
      for (let j = 0; j < stride; j++) {
        const v = Math.round(tmp[a + j]! * w0 + tmp[b + j]! * w1);
        out[o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      continue;
    }
    for (let j = 0; j < stride; j++) {
      let acc = 0;
      for (let t = 0; t < ty; t++) {
        const wt = py.weights[k * ty + t]!;
        if (wt !== 0) acc += tmp[(f + t) * stride + j]! * wt;
      }
      const v = Math.round(acc);
      out[o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/**
 * Mean RGB ÷ 255 of superpixels [sx0, sx0+nw) × [sy0, sy0+nh) without materialising the 0.5-µm
 * pixels: a superpixel's mean is linear in the source pixels, with per-axis weights equal to the
 * sum of the resampling weights of its 16 output pixels (÷ 16); output pixels in the white padding
 * contribute 255. Equal to averaging readScaledWindow's pixels up to their 8-bit rounding (≤ 0.5/255),
 * and used for tiles off the tissue, where the model does not run.
 */
export async function readSuperpixelRgb(
  slide: Slide,
  g: FeatureGrid,
  sx0: number,
  sy0: number,
  nw: number,
  nh: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  throwIfAborted(signal);
  const P = 16;
  const axis = (srcSize: number, scaledSize: number, s0: number, n: number) => {
    const plan = axisPlan(g.resampling, g.scale, srcSize, scaledSize, s0 * P, n * P);
    // per superpixel: dense weights over [plan.srcStart, +srcCount) and the valid fraction
    const len = plan ? plan.srcCount : 0;
    const w = new Float64Array(n * Math.max(1, len));
    const valid = new Float64Array(n);
    // non-zero range of each superpixel's weights (about 16/s source px): keeps the sums sparse
    const lo = new Int32Array(n).fill(len);
    const hi = new Int32Array(n);
    if (plan) {
      for (let k = 0; k < plan.outCount; k++) {
        const sp = Math.floor((plan.outStart + k) / P);
        valid[sp] = valid[sp]! + 1 / P;
        for (let t = 0; t < plan.taps; t++) {
          const wt = plan.weights[k * plan.taps + t]!;
          if (wt === 0) continue;
          const i = plan.first[k]! + t;
          w[sp * len + i] = w[sp * len + i]! + wt / P;
          lo[sp] = Math.min(lo[sp]!, i);
          hi[sp] = Math.max(hi[sp]!, i + 1);
        }
      }
    }
    return { plan, w, len, valid, lo, hi };
  };
  const ax = axis(g.imageWidth, g.scaledWidth, sx0, nw);
  const ay = axis(g.imageHeight, g.scaledHeight, sy0, nh);
  const out = new Float32Array(nw * nh * 3);
  const tmp = new Float64Array(ay.len * nw * 3);
  if (ax.plan && ay.plan) {
    const src = await slide.read(
      { x: ax.plan.srcStart, y: ay.plan.srcStart, w: ax.len, h: ay.len },
      ax.len,
      ay.len,
      signal,
    );
    for (let y = 0; y < ay.len; y++) {
      for (let c = 0; c < nw; c++) {
        let r = 0;
        let gg = 0;
        let b = 0;
        const wrow = c * ax.len;
        for (let x = ax.lo[c]!; x < ax.hi[c]!; x++) {
          const wt = ax.w[wrow + x]!;
          if (wt === 0) continue;
          const i = (y * ax.len + x) * 3;
          r += src.data[i]! * wt;
          gg += src.data[i + 1]! * wt;
          b += src.data[i + 2]! * wt;
        }
        tmp[(y * nw + c) * 3] = r;
        tmp[(y * nw + c) * 3 + 1] = gg;
        tmp[(y * nw + c) * 3 + 2] = b;
      }
    }
  }
  for (let rr = 0; rr < nh; rr++) {
    for (let c = 0; c < nw; c++) {
      const white = 255 * (1 - ax.valid[c]! * ay.valid[rr]!);
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let y = ay.lo[rr]!; y < ay.hi[rr]!; y++) {
          const wt = ay.w[rr * ay.len + y]!;
          if (wt !== 0) acc += tmp[(y * nw + c) * 3 + ch]! * wt;
        }
        out[(rr * nw + c) * 3 + ch] = (acc + white) / 255;
      }
    }
  }
  return out;
}

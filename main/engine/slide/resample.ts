/** An interleaved 8-bit RGB raster. */
export interface RgbImage {
  width: number;
  height: number;
  /** length width * height * 3 */
  data: Uint8Array;
}

/**
 * Exact area-average (box) resampling of an RGB raster to outW × outH: each output pixel is the
 * mean of the source area it covers, fractional edge pixels weighted by their overlap. Shrinking
 * this way neither aliases nor blurs beyond the footprint, which is what "the slide at N µm/px"
 * means for features computed from it. Upsampling falls back to bilinear interpolation.
 */
export function resampleRgb(src: RgbImage, outW: number, outH: number): RgbImage {
  if (outW === src.width && outH === src.height) return src;
  if (outW >= src.width && outH >= src.height) return bilinear(src, outW, outH);
  const wx = weights(src.width, outW);
  const wy = weights(src.height, outH);
  // Horizontal pass into float rows, then vertical pass.
  const tmp = new Float32Array(src.height * outW * 3);
  for (let y = 0; y < src.height; y++) {
    const rowIn = y * src.width * 3;
    const rowOut = y * outW * 3;
    for (let ox = 0; ox < outW; ox++) {
      const { start, w } = wx[ox]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < w.length; k++) {
        const i = rowIn + (start + k) * 3;
        const wk = w[k]!;
        r += src.data[i]! * wk;
        g += src.data[i + 1]! * wk;
        b += src.data[i + 2]! * wk;
      }
      tmp[rowOut + ox * 3] = r;
      tmp[rowOut + ox * 3 + 1] = g;
      tmp[rowOut + ox * 3 + 2] = b;
    }
  }
  const out = new Uint8Array(outW * outH * 3);
  for (let oy = 0; oy < outH; oy++) {
    const { start, w } = wy[oy]!;
    for (let ox = 0; ox < outW * 3; ox++) {
      let acc = 0;
      for (let k = 0; k < w.length; k++) acc += tmp[(start + k) * outW * 3 + ox]! * w[k]!;
      out[oy * outW * 3 + ox] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return { width: outW, height: outH, data: out };
}

/** Per output pixel: first source index and normalised overlap weights (supports enlarging axes). */
function weights(n: number, m: number): { start: number; w: Float32Array }[] {
  const scale = n / m;
  const out: { start: number; w: Float32Array }[] = [];
  for (let o = 0; o < m; o++) {
    if (scale <= 1) {
      // this axis is being enlarged while the other shrinks: nearest source pixel
      const s = Math.min(n - 1, Math.floor((o + 0.5) * scale));
      out.push({ start: s, w: Float32Array.of(1) });
      continue;
    }
    const a = o * scale;
    const b = (o + 1) * scale;
    const start = Math.floor(a);
    const end = Math.min(n, Math.ceil(b));
    const w = new Float32Array(end - start);
    for (let i = start; i < end; i++) w[i - start] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
    out.push({ start, w });
  }
  return out;
}

function bilinear(src: RgbImage, outW: number, outH: number): RgbImage {
  const out = new Uint8Array(outW * outH * 3);
  const sx = src.width / outW;
  const sy = src.height / outH;
  for (let oy = 0; oy < outH; oy++) {
    const fy = Math.min(src.height - 1, Math.max(0, (oy + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const ty = fy - y0;
    for (let ox = 0; ox < outW; ox++) {
      const fx = Math.min(src.width - 1, Math.max(0, (ox + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 3 + c]!;
        const v =
          (p(y0, x0) * (1 - tx) + p(y0, x1) * tx) * (1 - ty) + (p(y1, x0) * (1 - tx) + p(y1, x1) * tx) * ty;
        out[(oy * outW + ox) * 3 + c] = Math.round(v);
      }
    }
  }
  return { width: outW, height: outH, data: out };
}

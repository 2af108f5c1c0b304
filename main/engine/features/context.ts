/**
 * Multi-scale context: every superpixel also sees the mean and SD of channels over the tissue
 * superpixels of square neighbourhoods (e.g. 4, 8, 16 superpixels = 32, 64, 128 µm), as a
 * foundation model's tile context does. Sums come from integral images, so the cost does not
 * depend on the window size. Background superpixels never enter a neighbourhood; a superpixel
 * whose window holds no tissue gets 0 (the tissue mean after z-scoring).
 */

/** Window [i − ⌊w/2⌋, i − ⌊w/2⌋ + w) per axis, clipped to the grid. */
export function neighbourhoodStats(
  data: Float32Array,
  rows: number,
  cols: number,
  dim: number,
  mask: Uint8Array,
  windows: readonly number[],
  o: { sd?: boolean } = {},
): { data: Float32Array; dim: number; names: (base: string[]) => string[] } {
  const withSd = o.sd ?? true;
  const per = withSd ? 2 : 1;
  const outDim = dim * windows.length * per;
  const out = new Float32Array(rows * cols * outDim);
  const W = cols + 1;
  const cnt = new Float64Array((rows + 1) * W);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      cnt[(r + 1) * W + c + 1] =
        (mask[r * cols + c] ? 1 : 0) + cnt[r * W + c + 1]! + cnt[(r + 1) * W + c]! - cnt[r * W + c]!;
  const s1 = new Float64Array((rows + 1) * W);
  const s2 = new Float64Array((rows + 1) * W);
  for (let d = 0; d < dim; d++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const v = mask[i] ? data[i * dim + d]! : 0;
        const a = (r + 1) * W + c + 1;
        s1[a] = v + s1[r * W + c + 1]! + s1[(r + 1) * W + c]! - s1[r * W + c]!;
        s2[a] = v * v + s2[r * W + c + 1]! + s2[(r + 1) * W + c]! - s2[r * W + c]!;
      }
    }
    windows.forEach((w, wi) => {
      const h = Math.floor(w / 2);
      for (let r = 0; r < rows; r++) {
        const r0 = Math.max(0, r - h);
        const r1 = Math.min(rows, r - h + w);
        for (let c = 0; c < cols; c++) {
          const c0 = Math.max(0, c - h);
          const c1 = Math.min(cols, c - h + w);
          const box = (t: Float64Array) =>
            t[r1 * W + c1]! - t[r0 * W + c1]! - t[r1 * W + c0]! + t[r0 * W + c0]!;
          const n = box(cnt);
          const base = (r * cols + c) * outDim + (d * windows.length + wi) * per;
          if (n < 0.5) continue;
          const m = box(s1) / n;
          out[base] = m;
          if (withSd) out[base + 1] = Math.sqrt(Math.max(0, box(s2) / n - m * m));
        }
      }
    });
  }
  return {
    data: out,
    dim: outDim,
    names: (base) =>
      base.flatMap((b) =>
        windows.flatMap((w) => (withSd ? [`${b}_mean${w}`, `${b}_sd${w}`] : [`${b}_mean${w}`])),
      ),
  };
}

/** z-score every channel over tissue superpixels (background set to 0). */
export function zscoreOverTissue(data: Float32Array, n: number, dim: number, mask: Uint8Array): void {
  for (let d = 0; d < dim; d++) {
    let s = 0;
    let s2 = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const v = data[i * dim + d]!;
      s += v;
      s2 += v * v;
      k++;
    }
    const m = k ? s / k : 0;
    const sd = k ? Math.sqrt(Math.max(0, s2 / k - m * m)) : 0;
    for (let i = 0; i < n; i++) data[i * dim + d] = mask[i] && sd > 1e-12 ? (data[i * dim + d]! - m) / sd : 0;
  }
}

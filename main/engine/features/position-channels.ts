/**
 * HISTEX's extra channels (methods.md §2.1): `rgb` = mean R, G, B of each 16 × 16 block at
 * 0.5 µm/px divided by 255 (stored per feature set, computed from the same resampled pixels as
 * the features), and `pos` = row and column index, each min-max normalised to [0, 1] over the
 * (padded) superpixel grid and smoothed with a 4 × 4 uniform filter with reflected borders, as
 * OpenCV's filter2D does it (kernel anchor at (2, 2): the window is i − 2 … i + 1, and
 * BORDER_REFLECT mirrors with the edge repeated: …, 1, 0 | 0, 1, …).
 */

/** Index into [0, n) with OpenCV's BORDER_REFLECT (fedcba|abcdefgh|hgfedcb). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  for (;;) {
    if (j < 0) j = -j - 1;
    else if (j >= n) j = 2 * n - j - 1;
    else return j;
  }
}

/** 1-D 4-tap uniform filter with anchor 2, as filter2D applies a 4 × 4 box per axis. */
function box4(v: Float64Array): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = -2; k <= 1; k++) s += v[reflect(i + k, n)]!;
    out[i] = s / 4;
  }
  return out;
}

/**
 * (rows × cols × 2) float32: channel 0 = smoothed normalised row index, 1 = column index. The 4 × 4
 * box is separable and each channel depends on one axis only, so the 2-D filter reduces to the
 * 1-D one along that axis (the other axis averages four equal values).
 */
export function positionChannels(rows: number, cols: number): Float32Array {
  const norm = (n: number) => {
    const v = new Float64Array(n);
    // min-max of 0..n−1; a single row/column has max = min, which numpy turns into NaN: use 0
    for (let i = 0; i < n; i++) v[i] = n > 1 ? i / (n - 1) : 0;
    return box4(v);
  };
  const r = norm(rows);
  const c = norm(cols);
  const out = new Float32Array(rows * cols * 2);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      out[(i * cols + j) * 2] = r[i]!;
      out[(i * cols + j) * 2 + 1] = c[j]!;
    }
  }
  return out;
}

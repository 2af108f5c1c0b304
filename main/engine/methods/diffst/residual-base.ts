/**
 * What a residual target is measured from (DiffstPreset.target): the LR window brought to the HR
 * patch's size, so the model diffuses only what the LR map does not already say, and an uncertain
 * model falls back to that base instead of to noise.
 * - 'residual': nearest upsampling (each HR pixel takes its parent's LR value).
 * - 'residual-bilinear': bilinear upsampling between LR pixel centres, as SRDiff (Li et al. 2022)
 *   subtracts the bicubic upsampling of the LR image. Measured on the coarsen benchmark, the LR map
 *   interpolated and then calibrated to its parents is already above `coarse` and its permuted
 *   control on HER2ST B4, C2 and C3 (docs/diffst.md), while the nearest base leaves the model to
 *   discover that rule one scale up, where it does not transfer.
 * Pure: LR is G×L×L (normalised, row-major per gene), `present` L×L (1 where the LR pixel is
 * measured); the result is G×H×H with H = 2L.
 */
export const RESIDUAL_TARGETS = ['map', 'residual', 'residual-bilinear'] as const;
export type ResidualTarget = (typeof RESIDUAL_TARGETS)[number];

export function residualBase(
  target: ResidualTarget,
  lr: Float32Array,
  present: Uint8Array,
  genes: number,
  L: number,
): Float32Array | null {
  if (target === 'map') return null;
  const H = 2 * L;
  const out = new Float32Array(genes * H * H);
  for (let a = 0; a < H; a++)
    for (let b = 0; b < H; b++) {
      const parent = (a >> 1) * L + (b >> 1);
      if (target === 'residual') {
        for (let g = 0; g < genes; g++) out[g * H * H + a * H + b] = lr[g * L * L + parent]!;
        continue;
      }
      // HR pixel a's centre in LR pixel units: LR pixel I covers HR pixels 2I and 2I + 1.
      const u = (a - 0.5) / 2;
      const v = (b - 0.5) / 2;
      const i0 = Math.floor(u);
      const j0 = Math.floor(v);
      const fu = u - i0;
      const fv = v - j0;
      // Normalised bilinear weights over the measured LR pixels inside the window; none measured
      // (an HR pixel whose four neighbours are all missing) falls back to the parent's value.
      let wSum = 0;
      const taps: [number, number][] = [];
      for (const [di, wi] of [
        [0, 1 - fu],
        [1, fu],
      ] as const)
        for (const [dj, wj] of [
          [0, 1 - fv],
          [1, fv],
        ] as const) {
          const i = i0 + di;
          const j = j0 + dj;
          const w = wi * wj;
          if (w === 0 || i < 0 || j < 0 || i >= L || j >= L || !present[i * L + j]) continue;
          taps.push([i * L + j, w]);
          wSum += w;
        }
      for (let g = 0; g < genes; g++) {
        let s = 0;
        for (const [q, w] of taps) s += w * lr[g * L * L + q]!;
        out[g * H * H + a * H + b] = wSum > 0 ? s / wSum : lr[g * L * L + parent]!;
      }
    }
  return out;
}

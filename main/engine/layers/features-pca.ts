import { pca, Rng } from '../analysis';
import type { FeatureMap } from '../features';
import { gridPlacement, gridPng, maskedQuantile, type GridPlacement } from './raster';

/** At most this many tissue superpixels fit the PCA; all of them are projected. */
const FIT_SAMPLE = 20_000;

/**
 * The quick visual check that features follow the tissue: the first three principal components
 * of the feature map over tissue superpixels, each stretched between its 1st and 99th percentile,
 * shown as R, G and B.
 */
export async function featuresPcaPng(
  map: FeatureMap,
  seed = 0,
): Promise<{ png: Buffer; placement: GridPlacement }> {
  const mask = map.mask();
  const tissue: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) tissue.push(i);
  const dim = map.dim;
  const feats = map.readSuperpixels(tissue);
  const rng = new Rng(seed);
  const fitIdx =
    tissue.length <= FIT_SAMPLE
      ? tissue.map((_, j) => j)
      : Array.from(rng.permutation(tissue.length)).slice(0, FIT_SAMPLE);
  const fit = new Float64Array(fitIdx.length * dim);
  fitIdx.forEach((j, r) => {
    for (let d = 0; d < dim; d++) fit[r * dim + d] = feats[j * dim + d]!;
  });
  const k = Math.min(3, dim);
  const p = pca({ nRows: fitIdx.length, nCols: dim, data: fit }, { nComponents: k, seed });
  const n = tissue.length;
  const scores = new Float64Array(n * 3);
  for (let j = 0; j < n; j++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (feats[j * dim + d]! - p.mean[d]!) * p.components[c * dim + d]!;
      scores[j * 3 + c] = s;
    }
  }
  const all = new Uint8Array(n).fill(1);
  const ranges = [0, 1, 2].map((c) => {
    const col = Float64Array.from({ length: n }, (_, j) => scores[j * 3 + c]!);
    return [maskedQuantile(col, all, 0.01), maskedQuantile(col, all, 0.99)] as const;
  });
  const at = new Int32Array(mask.length).fill(-1);
  tissue.forEach((i, j) => (at[i] = j));
  const png = await gridPng(map.rows, map.cols, (i) => {
    const j = at[i]!;
    if (j < 0) return null;
    return [0, 1, 2].map((c) => {
      const [lo, hi] = ranges[c]!;
      const t = hi > lo ? (scores[j * 3 + c]! - lo) / (hi - lo) : 0.5;
      return Math.round(255 * Math.min(1, Math.max(0, t)));
    }) as [number, number, number];
  });
  const o = map.superpixelToFullRes(0, 0);
  const grid = {
    originX: o.x,
    originY: o.y,
    sizePx: map.fullResPerSuperpixel,
    width: map.cols,
    height: map.rows,
  };
  return { png, placement: gridPlacement(grid) };
}

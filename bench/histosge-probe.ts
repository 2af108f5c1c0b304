/**
 * A bench-only reference for HisToSGE's holdout: ridge regression from exactly HisToSGE's per-spot
 * input M = concat(Z, L, T) (methods/histosge/inputs.ts, same patch, same built-in features) to the
 * training spots' log1p(CP10k), λ chosen by 5-fold cross-validation on the training spots only.
 *
 * Why it exists: HisToSGE predicts a hidden spot from its histology and position alone; it never
 * sees a neighbour's expression, which is all interpolation uses. If even the best linear read-out
 * of the same input stays below interp at the hidden spots, the input holds less information about
 * a hidden spot than its neighbours do, and no network on that input can be expected to beat
 * interp; if the ridge beats HisToSGE, HisToSGE is losing what its input holds (a fitting defect).
 *
 * The solver is a plain Cholesky of the (D+1)² normal equations (D ≈ 71): the engine has no
 * general linear solver (analysis/lattice.ts solves k ≤ 4) and this is a measurement, not a product
 * path, so it stays here rather than becoming an engine dependency.
 */
import { badInput } from '../main/engine/errors';
import { openSpotSource, spotInputs } from '../main/engine/methods/histosge/inputs';
import { PRESETS, patchPxOf } from '../main/engine/methods/histosge/pipeline';
import type { SrMethod, SrOutput } from '../main/engine/methods/types';
import { Rng } from '../main/engine/analysis/random';

/** Solves (A) x = b for symmetric positive definite A (n × n row-major), lower-triangular Cholesky factor, then two triangular solves per column of B. */
function choleskySolve(A: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('ridge: normal equations not positive definite');
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  const X = new Float64Array(n * m);
  for (let c = 0; c < m; c++) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = B[i * m + c]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
      y[i] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * X[k * m + c]!;
      X[i * m + c] = s / L[i * n + i]!;
    }
  }
  return X;
}

/** Ridge with an unpenalised intercept on standardised columns: returns W ((D+1) × G, last row = bias). */
export function fitRidge(
  X: Float32Array,
  rows: readonly number[],
  D: number,
  Y: ArrayLike<number>,
  G: number,
  lambda: number,
): { W: Float64Array; mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (const r of rows) for (let d = 0; d < D; d++) mean[d] = mean[d]! + X[r * D + d]! / rows.length;
  for (const r of rows)
    for (let d = 0; d < D; d++) sd[d] = sd[d]! + (X[r * D + d]! - mean[d]!) ** 2 / rows.length;
  for (let d = 0; d < D; d++) sd[d] = Math.sqrt(sd[d]!) || 1;
  const n = D + 1;
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * G);
  const z = new Float64Array(n);
  for (const r of rows) {
    for (let d = 0; d < D; d++) z[d] = (X[r * D + d]! - mean[d]!) / sd[d]!;
    z[D] = 1;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) A[i * n + j] = A[i * n + j]! + z[i]! * z[j]!;
      for (let g = 0; g < G; g++) B[i * G + g] = B[i * G + g]! + z[i]! * Y[r * G + g]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[j * n + i] = A[i * n + j]!;
  for (let d = 0; d < D; d++) A[d * n + d] = A[d * n + d]! + lambda;
  A[D * n + D] = A[D * n + D]! + 1e-9; // the intercept is not penalised
  return { W: choleskySolve(A, n, B, G), mean, sd };
}

export function predictRidge(
  fit: { W: Float64Array; mean: Float64Array; sd: Float64Array },
  X: Float32Array,
  row: number,
  D: number,
  G: number,
  out: Float64Array,
  at: number,
): void {
  for (let g = 0; g < G; g++) out[at + g] = fit.W[D * G + g]!;
  for (let d = 0; d < D; d++) {
    const z = (X[row * D + d]! - fit.mean[d]!) / fit.sd[d]!;
    for (let g = 0; g < G; g++) out[at + g] = out[at + g]! + z * fit.W[d * G + g]!;
  }
}

const LAMBDAS = [1e-2, 1e-1, 1, 10, 100, 1e3, 1e4, 1e5];

export const ridgeProbe: SrMethod = {
  name: 'ridge-probe',
  kind: 'spot',
  description: "ridge from HisToSGE's own input M = (Z, L, T) to log1p CP10k, λ by 5-fold CV (bench-only)",
  needsImage: true,
  async predict(input, options, progress, signal): Promise<SrOutput> {
    if (!input.image) throw badInput(`${input.sample} has no image`);
    const o = PRESETS.default;
    const source = await openSpotSource({
      image: input.image,
      umPerPx: input.umPerPx,
      ...(signal ? { signal } : {}),
    });
    const patchPx = patchPxOf(o, source, input.spotDiameterPx);
    const D = source.dim + 5;
    const G = input.genes.length;
    const Xs = spotInputs(source, input.spots, patchPx, true);
    const Xt = spotInputs(source, input.targets, patchPx, true);
    const Y = input.values.data;
    const n = input.spots.length;
    // 5 seeded folds over the training spots
    const order = Array.from(new Rng(options.seed).permutation(n));
    const fold = new Int32Array(n);
    order.forEach((r, k) => (fold[r] = k % 5));
    let best = { lambda: LAMBDAS[0]!, mse: Infinity };
    const pred = new Float64Array(G);
    for (const lambda of LAMBDAS) {
      let se = 0;
      for (let f = 0; f < 5; f++) {
        const fit = fitRidge(
          Xs,
          order.filter((r) => fold[r] !== f),
          D,
          Y,
          G,
          lambda,
        );
        for (const r of order)
          if (fold[r] === f) {
            predictRidge(fit, Xs, r, D, G, pred, 0);
            for (let g = 0; g < G; g++) se += (pred[g]! - Y[r * G + g]!) ** 2;
          }
      }
      if (se / (n * G) < best.mse) best = { lambda, mse: se / (n * G) };
    }
    const fit = fitRidge(Xs, order, D, Y, G, best.lambda);
    const out = new Float64Array(input.targets.length * G);
    for (let t = 0; t < input.targets.length; t++) predictRidge(fit, Xt, t, D, G, out, t * G);
    progress({ fraction: 1, message: `ridge-probe λ = ${best.lambda} (CV MSE ${best.mse.toPrecision(4)})` });
    console.error(
      `ridge-probe ${input.sample}: λ = ${best.lambda}, CV MSE ${best.mse.toPrecision(4)}, D = ${D}`,
    );
    return { kind: 'spot', values: { nRows: input.targets.length, nCols: G, data: out } };
  },
};

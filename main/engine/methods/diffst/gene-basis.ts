/**
 * The gene space the diffusion runs in.
 *
 * An ε-prediction UNet must carry every diffused channel's noise from x_t to ε̂ through its own
 * width: with G = 100 genes and 16 model channels it can pass at most 16 of the 100 independent
 * noise channels, so the loss cannot fall below ~0.73 (predicting ε̂ = 0 gives 0.80) whatever it
 * learns — the default preset's "does not learn" (docs/diffst.md). The released model diffuses 25
 * genes through 128 channels. So when G exceeds the preset's `latent` k, the target is diffused in
 * its k leading principal directions (uncentred PCA of the training targets over measured pixels:
 * within-spot structure is low-rank across genes, its noise is not), scaled into [−1, 1]; the
 * sampled latent is mapped back with the same basis. With G ≤ k the basis is the identity (as
 * released).
 */
import { symmetricEigen } from '../../analysis/matrix';

export interface GeneBasis {
  genes: number;
  /** diffused channels k */
  k: number;
  /** k×G row-major (row j = the j-th direction); null = identity (k = G) */
  rows: Float32Array | null;
  /** latent = scale · rowsᵀx, so the training latents lie in [−1, 1] */
  scale: number;
  /** fraction of the targets' second moment the k directions keep (1 for the identity) */
  kept: number;
}

/**
 * The k leading directions of the targets (each G×n, gene-major) over the pixels where mask = 1
 * (mask n per target), or the identity when G ≤ k.
 */
export function geneBasis(
  targets: readonly { x: Float32Array; mask: Float32Array }[],
  G: number,
  k: number,
): GeneBasis {
  if (G <= k) return { genes: G, k: G, rows: null, scale: 1, kept: 1 };
  const m = new Float64Array(G * G);
  const v = new Float64Array(G);
  for (const { x, mask } of targets) {
    const n = mask.length;
    for (let q = 0; q < n; q++) {
      if (!mask[q]) continue;
      for (let g = 0; g < G; g++) v[g] = x[g * n + q]!;
      for (let a = 0; a < G; a++) {
        const va = v[a]!;
        if (va === 0) continue;
        for (let b = 0; b < G; b++) m[a * G + b] = m[a * G + b]! + va * v[b]!;
      }
    }
  }
  const eig = symmetricEigen(m, G);
  const rows = new Float32Array(k * G);
  rows.set(eig.vectors.subarray(0, k * G));
  let total = 0;
  let top = 0;
  for (let j = 0; j < G; j++) {
    total += Math.max(0, eig.values[j]!);
    if (j < k) top += Math.max(0, eig.values[j]!);
  }
  const basis: GeneBasis = { genes: G, k, rows, scale: 1, kept: total > 0 ? top / total : 1 };
  let maxAbs = 0;
  const z = new Float32Array(k);
  for (const { x, mask } of targets)
    for (let q = 0; q < mask.length; q++) {
      if (!mask[q]) continue;
      projectPixel(basis, x, mask.length, q, z);
      for (const e of z) maxAbs = Math.max(maxAbs, Math.abs(e));
    }
  basis.scale = 1 / Math.max(1, maxAbs);
  return basis;
}

function projectPixel(b: GeneBasis, x: Float32Array, n: number, q: number, out: Float32Array): void {
  const G = b.genes;
  for (let j = 0; j < b.k; j++) {
    let s = 0;
    for (let g = 0; g < G; g++) s += b.rows![j * G + g]! * x[g * n + q]!;
    out[j] = s * b.scale;
  }
}

/** G×n (gene-major) → k×n latent. */
export function encodeGenes(b: GeneBasis, x: Float32Array, n: number): Float32Array {
  if (!b.rows) return x.slice();
  const out = new Float32Array(b.k * n);
  const z = new Float32Array(b.k);
  for (let q = 0; q < n; q++) {
    projectPixel(b, x, n, q, z);
    for (let j = 0; j < b.k; j++) out[j * n + q] = z[j]!;
  }
  return out;
}

/** k×n latent (from `src` at `offset`) → G×n gene-major. */
export function decodeGenes(b: GeneBasis, src: Float32Array, offset: number, n: number): Float32Array {
  if (!b.rows) return src.slice(offset, offset + b.genes * n);
  const G = b.genes;
  const out = new Float32Array(G * n);
  const inv = 1 / b.scale;
  for (let j = 0; j < b.k; j++)
    for (let g = 0; g < G; g++) {
      const w = b.rows[j * G + g]! * inv;
      if (w === 0) continue;
      const o = g * n;
      const s = offset + j * n;
      for (let q = 0; q < n; q++) out[o + q] = out[o + q]! + w * src[s + q]!;
    }
  return out;
}

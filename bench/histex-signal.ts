/**
 * `npm run bench -- histex-signal [--sections B4,C2,C3] [--readings 'builtin:16;nuclei:8;…']
 *  [--histex READING] [--model-seed S]`: where HISTEX's gain over `coarse` is lost, by measurement,
 * under the coarsen protocol (seurat_v3, 100 genes, 2 × 2 pseudo-spots), docs/features.md.
 *
 * The true-library-size oracle (each child spot = its pseudo-spot's mean × the child's library size
 * ÷ the children's mean) bounds what a per-spot scale factor can add. This asks how much of that
 * factor the slide predicts:
 * - `within`: ridge regression of the child's log library size minus its siblings' mean on the
 *   child's feature means minus theirs, fitted on the children's truth (5-fold by pseudo-spot,
 *   held-out). The most any linear reading of these features can know of the factor.
 * - `between`: the same regression fitted across pseudo-spots (log mean library size on the
 *   pseudo-spot's feature means: only what MIL training sees), applied to the children's deviations.
 * Each predicted factor is applied to `coarse` (renormalised inside the pseudo-spot) and scored like
 * a method, beside the oracle. Single cellularity channels: pooled within-pseudo-spot correlation.
 * `--histex READING` also trains HISTEX (default preset, no time guard) and measures whether its
 * output is shrunk toward the parent: its predicted library factor against the true one (slope of
 * truth on prediction > 1 = shrunk), and `coarse` × its factor alone.
 */
import { coarseBaseline, coarsenSpots } from '../main/engine/analysis/protocols';
import { csrToDense, selectRows, type DenseMatrix } from '../main/engine/analysis/matrix';
import { rowSums } from '../main/engine/analysis/normalise';
import { latticeImageLayout, scoreCoarsen } from '../main/engine/analysis/metrics';
import { selectGenes } from '../main/engine/bench';
import { cachedBuiltinFeatureMap } from '../main/engine/features';
import { derivedFeatureMap, groupChannels, type DerivedGroup } from '../main/engine/features/derived';
import { readSample } from '../main/engine/io';
import { footprint } from '../main/engine/methods/histex/geometry';
import { histexMethod } from '../main/engine/methods/histex/sr-method';
import { outputAtTargets, type SrInput } from '../main/engine/methods/types';
import { Rng } from '../main/engine/analysis/random';
import { sharedData } from '../test/helpers/paths';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const CELLULARITY: [DerivedGroup, string][] = [
  ['builtin', 'H_mean'],
  ['builtin', 'H_positive_fraction'],
  ['builtin', 'E_mean'],
  ['builtin', 'OD_mean'],
  ['builtin', 'white_fraction'],
  ['nuclei', 'nuc_count'],
  ['nuclei', 'nuc_area_fraction'],
  ['nuclei', 'nuc_small_dark_round'],
  ['nuclei', 'nuc_large_pale'],
];

/** Ridge regression (columns standardised inside, intercept free): coefficients for x (n × p). */
function ridgeFit(x: Float64Array, y: Float64Array, n: number, p: number, lambda: number) {
  const mean = new Float64Array(p);
  const sd = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j]! += x[i * p + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) sd[j]! += (x[i * p + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  let my = 0;
  for (let i = 0; i < n; i++) my += y[i]! / n;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const xj = (x[i * p + j]! - mean[j]!) / sd[j]!;
      b[j]! += xj * (y[i]! - my);
      for (let k = 0; k < p; k++) a[j * p + k]! += xj * ((x[i * p + k]! - mean[k]!) / sd[k]!);
    }
  for (let j = 0; j < p; j++) a[j * p + j]! += lambda * n;
  const w = solve(a, b, p);
  return (row: ArrayLike<number>) => {
    let v = my;
    for (let j = 0; j < p; j++) v += (w[j]! * (row[j]! - mean[j]!)) / sd[j]!;
    return v;
  };
}

/** Gaussian elimination with partial pivoting (a is p × p, symmetric positive definite here). */
function solve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const m = Float64Array.from(a);
  const v = Float64Array.from(b);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r * p + c]!) > Math.abs(m[piv * p + c]!)) piv = r;
    if (piv !== c) {
      for (let k = 0; k < p; k++) [m[c * p + k], m[piv * p + k]] = [m[piv * p + k]!, m[c * p + k]!];
      [v[c], v[piv]] = [v[piv]!, v[c]!];
    }
    for (let r = c + 1; r < p; r++) {
      const f = m[r * p + c]! / m[c * p + c]!;
      for (let k = c; k < p; k++) m[r * p + k]! -= f * m[c * p + k]!;
      v[r]! -= f * v[c]!;
    }
  }
  const w = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = v[r]!;
    for (let k = r + 1; k < p; k++) s -= m[r * p + k]! * w[k]!;
    w[r] = s / m[r * p + r]!;
  }
  return w;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < n; i++) {
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
    sab += (a[i]! - ma) * (b[i]! - mb);
  }
  return sab / Math.sqrt(saa * sbb);
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

export default async function histexSignal(args: string[]) {
  const sections = (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const readings = (
    arg(args, 'readings') ?? 'builtin:16;nuclei:8;context:16;builtin:16,nuclei:8,context:16'
  ).split(';');
  const histexReading = arg(args, 'histex');
  const modelSeed = Number(arg(args, 'model-seed') ?? 0);
  const out: Record<string, unknown> = {};
  for (const section of sections) {
    const sample = await readSample(sharedData('her2st', section));
    if (sample.lattice !== 'square' || !sample.image)
      throw new Error(`${section}: expected a square ST section with its H&E`);
    const geneIdx = selectGenes(sample, 100, 'seurat_v3');
    const c = coarsenSpots(sample.spots, sample.counts, sample.lattice, { block: 2 });
    const ev = Array.from(c.evaluated);
    const truth = selectRows(csrToDense(sample.counts, { columns: geneIdx }), c.evaluated);
    const layout = latticeImageLayout(
      ev.map((i) => sample.spots[i]!.row!),
      ev.map((i) => sample.spots[i]!.col!),
      'square',
    );
    const coarse = coarseBaseline(c, geneIdx);
    const G = geneIdx.length;
    const n = ev.length;
    const parent = Int32Array.from(ev, (i) => c.groupOf[i]!);
    const P = c.pseudoSpots.length;
    const libAll = rowSums(sample.counts);
    const lib100 = new Float64Array(n);
    for (let r = 0; r < n; r++) for (let g = 0; g < G; g++) lib100[r]! += truth.data[r * G + g]!;
    /** x − mean of x over the siblings (per row) */
    const centre = (x: Float64Array, p: number): Float64Array => {
      const m = new Float64Array(P * p);
      const cnt = new Float64Array(P);
      for (let r = 0; r < n; r++) {
        cnt[parent[r]!]!++;
        for (let j = 0; j < p; j++) m[parent[r]! * p + j]! += x[r * p + j]!;
      }
      const o = new Float64Array(n * p);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < p; j++) o[r * p + j] = x[r * p + j]! - m[parent[r]! * p + j]! / cnt[parent[r]!]!;
      return o;
    };
    /** coarse × exp(d) renormalised to the siblings' mean factor (keeps each pseudo-spot's mean) */
    const withFactor = (d: ArrayLike<number>): DenseMatrix => {
      const f = Float64Array.from(d, Math.exp);
      const m = new Float64Array(P);
      const cnt = new Float64Array(P);
      for (let r = 0; r < n; r++) {
        m[parent[r]!]! += f[r]!;
        cnt[parent[r]!]!++;
      }
      const data = new Float64Array(n * G);
      for (let r = 0; r < n; r++) {
        const k = f[r]! / (m[parent[r]!]! / cnt[parent[r]!]!);
        for (let g = 0; g < G; g++) data[r * G + g] = coarse.data[r * G + g]! * k;
      }
      return { nRows: n, nCols: G, data };
    };
    const pcc = (m: DenseMatrix) => r3(scoreCoarsen(truth, m, layout).pcc);
    const logAll = Float64Array.from(ev, (i) => Math.log(libAll[i]!));
    const dAll = centre(logAll, 1);
    const d100 = centre(
      Float64Array.from(lib100, (v) => Math.log(Math.max(v, 1))),
      1,
    );
    let ssWithin = 0;
    let ssTotal = 0;
    const meanLog = logAll.reduce((s, v) => s + v, 0) / n;
    for (let r = 0; r < n; r++) {
      ssWithin += dAll[r]! ** 2;
      ssTotal += (logAll[r]! - meanLog) ** 2;
    }
    const coarsePcc = pcc(coarse);
    // what accuracy of the factor a gain needs: the true factor seen through noise so that it
    // correlates r with the truth, shrunk optimally (× r); mean over 5 seeded draws
    const noisyFactor: Record<string, number> = {};
    {
      const rng = new Rng(7);
      const sd = Math.sqrt(dAll.reduce((a, v) => a + v * v, 0) / n);
      for (const r of [0.3, 0.5, 0.7, 0.9]) {
        let acc = 0;
        for (let k = 0; k < 5; k++) {
          const e = centre(
            Float64Array.from({ length: n }, () => rng.normal()),
            1,
          );
          const se = Math.sqrt(e.reduce((a, v) => a + v * v, 0) / n);
          for (let q = 0; q < n; q++) e[q] = e[q]! / se;
          acc +=
            scoreCoarsen(
              truth,
              withFactor(Float64Array.from(dAll, (v, q) => r * (r * v + Math.sqrt(1 - r * r) * sd * e[q]!))),
              layout,
            ).pcc / 5;
        }
        noisyFactor[`r=${r}`] = r3(acc);
      }
    }
    const res: Record<string, unknown> = {
      children: n,
      pseudoSpots: P,
      coarse: coarsePcc,
      oracleAllGenes: pcc(withFactor(dAll)),
      oracle100Genes: pcc(withFactor(d100)),
      coarseTimesNoisyOracle: noisyFactor,
      sdWithinLogLibrary: r3(Math.sqrt(ssWithin / n)),
      withinShareOfLogLibraryVariance: r3(ssWithin / ssTotal),
    };
    // features at the children's footprints
    const map = await cachedBuiltinFeatureMap({ imagePath: sample.image.path, umPerPx: sample.umPerPx });
    const grid = {
      originX: 0,
      originY: 0,
      sizePx: map.fullResPerSuperpixel,
      width: map.cols,
      height: map.rows,
    };
    const mask = map.mask();
    const radius = sample.spotDiameterUm / sample.umPerPx / 2;
    const fps = ev.map((i) => {
      const all = footprint(grid, [{ x: sample.spots[i]!.x, y: sample.spots[i]!.y }], radius);
      const t = all.filter((s) => mask[s]);
      return t.length > 0 ? t : all;
    });
    const childMeans = (data: Float32Array, dim: number): Float64Array => {
      const o = new Float64Array(n * dim);
      fps.forEach((fp, r) => {
        for (const s of fp) for (let j = 0; j < dim; j++) o[r * dim + j]! += data[s * dim + j]! / fp.length;
      });
      return o;
    };
    const parentMeans = (x: Float64Array, p: number): Float64Array => {
      const m = new Float64Array(P * p);
      const cnt = new Float64Array(P);
      for (let r = 0; r < n; r++) {
        cnt[parent[r]!]!++;
        for (let j = 0; j < p; j++) m[parent[r]! * p + j]! += x[r * p + j]!;
      }
      for (let q = 0; q < P; q++) for (let j = 0; j < p; j++) m[q * p + j]! /= cnt[q]!;
      return m;
    };
    // the pseudo-spot's own library size (what training sees): log of the members' mean
    const parentLog = new Float64Array(P);
    {
      const s = new Float64Array(P);
      const cnt = new Float64Array(P);
      ev.forEach((i, r) => {
        s[parent[r]!]! += libAll[i]!;
        cnt[parent[r]!]!++;
      });
      for (let q = 0; q < P; q++) parentLog[q] = Math.log(s[q]! / cnt[q]!);
    }
    const rgb = map.rgb();
    const perReading: Record<string, unknown> = {};
    for (const reading of readings) {
      const fm = await derivedFeatureMap(reading, { map, imagePath: sample.image.path });
      const base = fm.readAll();
      // the reading as HISTEX sees it, position channels left out (they say nothing within a spot)
      const dim = fm.dim + 3;
      const data = new Float32Array(map.rows * map.cols * dim);
      for (let s = 0; s < map.rows * map.cols; s++) {
        data.set(base.subarray(s * fm.dim, (s + 1) * fm.dim), s * dim);
        data.set(rgb.subarray(s * 3, s * 3 + 3), s * dim + fm.dim);
      }
      const x = childMeans(data, dim);
      const dx = centre(x, dim);
      const best = { lambda: 0, r2: -Infinity, pred: new Float64Array(n) };
      for (const lambda of [1e-3, 1e-2, 1e-1, 1]) {
        const pred = new Float64Array(n);
        for (let fold = 0; fold < 5; fold++) {
          const tr = Array.from({ length: n }, (_, r) => r).filter((r) => parent[r]! % 5 !== fold);
          const te = Array.from({ length: n }, (_, r) => r).filter((r) => parent[r]! % 5 === fold);
          const xs = new Float64Array(tr.length * dim);
          tr.forEach((r, k) => xs.set(dx.subarray(r * dim, (r + 1) * dim), k * dim));
          const f = ridgeFit(
            xs,
            Float64Array.from(tr, (r) => dAll[r]!),
            tr.length,
            dim,
            lambda,
          );
          for (const r of te) pred[r] = f(dx.subarray(r * dim, (r + 1) * dim));
        }
        let sse = 0;
        for (let r = 0; r < n; r++) sse += (dAll[r]! - pred[r]!) ** 2;
        const r2 = 1 - sse / ssWithin;
        if (r2 > best.r2) Object.assign(best, { lambda, r2, pred });
      }
      // between pseudo-spots only (MIL's view), applied to the children's deviations
      const xp = parentMeans(x, dim);
      const fb = ridgeFit(xp, parentLog, P, dim, 1e-2);
      const predB = new Float64Array(n);
      for (let r = 0; r < n; r++) predB[r] = fb(x.subarray(r * dim, (r + 1) * dim));
      const dB = centre(predB, 1);
      // per gene, additive (HISTEX's head is affine in its histology input): each gene's child
      // deviation from the pseudo-spot mean (counts) on the feature deviations, held-out
      const perGene = new Float64Array(n * G);
      for (let g = 0; g < G; g++) {
        const y = Float64Array.from(
          { length: n },
          (_, r) => truth.data[r * G + g]! - coarse.data[r * G + g]!,
        );
        for (let fold = 0; fold < 5; fold++) {
          const tr = Array.from({ length: n }, (_, r) => r).filter((r) => parent[r]! % 5 !== fold);
          const te = Array.from({ length: n }, (_, r) => r).filter((r) => parent[r]! % 5 === fold);
          const xs = new Float64Array(tr.length * dim);
          tr.forEach((r, k) => xs.set(dx.subarray(r * dim, (r + 1) * dim), k * dim));
          const f = ridgeFit(
            xs,
            Float64Array.from(tr, (r) => y[r]!),
            tr.length,
            dim,
            best.lambda,
          );
          for (const r of te) perGene[r * G + g] = f(dx.subarray(r * dim, (r + 1) * dim));
        }
      }
      const dev = centre(perGene, G);
      const additive = new Float64Array(n * G);
      for (let q = 0; q < n * G; q++) additive[q] = Math.max(0, coarse.data[q]! + dev[q]!);
      perReading[reading] = {
        coarsePlusPerGeneWithin: pcc({ nRows: n, nCols: G, data: additive }),
        channels: dim,
        withinHeldOutR2: r3(best.r2),
        withinHeldOutR: r3(pearson(best.pred, dAll)),
        withinLambda: best.lambda,
        coarseTimesWithinFactor: pcc(withFactor(best.pred)),
        betweenR: r3(pearson(dB, dAll)),
        betweenSdRatio: r3(Math.sqrt(dB.reduce((s, v) => s + v * v, 0) / ssWithin)),
        coarseTimesBetweenFactor: pcc(withFactor(dB)),
      };
    }
    res.readings = perReading;
    const single: Record<string, number> = {};
    for (const group of ['builtin', 'nuclei'] as const) {
      const g = await groupChannels(group, { map, imagePath: sample.image.path });
      const x = childMeans(g.data, g.dim);
      const dx = centre(x, g.dim);
      for (const [gg, name] of CELLULARITY) {
        if (gg !== group) continue;
        const j = g.names.indexOf(name);
        if (j < 0) continue;
        single[name] = r3(
          pearson(
            Float64Array.from({ length: n }, (_, r) => dx[r * g.dim + j]!),
            dAll,
          ),
        );
      }
    }
    res.withinCorrelation = single;
    if (histexReading)
      res.histex = await histexShrinkage(
        sample,
        c,
        geneIdx,
        truth,
        coarse,
        parent,
        P,
        histexReading,
        modelSeed,
        d100,
        withFactor,
        pcc,
        centre,
      );
    map.close();
    out[section] = res;
    process.stderr.write(`[histex-signal ${section}] ${JSON.stringify(res)}\n`);
  }
  return { geneSelection: 'seurat_v3', genes: 100, protocol: 'coarsen', sections: out };
}

/** Trains HISTEX on the pseudo-spots (as the harness does) and measures its per-child library factor. */
async function histexShrinkage(
  sample: Awaited<ReturnType<typeof readSample>>,
  c: ReturnType<typeof coarsenSpots>,
  geneIdx: Uint32Array,
  truth: DenseMatrix,
  coarse: DenseMatrix,
  parent: Int32Array,
  P: number,
  reading: string,
  seed: number,
  d100: Float64Array,
  withFactor: (d: ArrayLike<number>) => DenseMatrix,
  pcc: (m: DenseMatrix) => number,
  centre: (x: Float64Array, p: number) => Float64Array,
) {
  const G = geneIdx.length;
  const pseudoCounts = csrToDense(c.counts, { columns: geneIdx });
  const input: SrInput = {
    sample: sample.name,
    genes: Array.from(geneIdx, (j) => sample.genes[j]!.symbol),
    spots: c.pseudoSpots.map((p) => {
      const [a, b] = p.key.split(',').map(Number) as [number, number];
      return {
        x: p.x,
        y: p.y,
        lattice: { a, b },
        members: p.members.map((i) => ({ x: sample.spots[i]!.x, y: sample.spots[i]!.y })),
      };
    }),
    values: pseudoCounts,
    space: 'counts',
    counts: pseudoCounts,
    totalCounts: rowSums(c.counts),
    lattice: 'square',
    spotDiameterPx: sample.spotDiameterUm / sample.umPerPx,
    umPerPx: sample.umPerPx,
    targets: Array.from(c.evaluated, (i) => {
      const s = sample.spots[i]!;
      return {
        x: s.x,
        y: s.y,
        row: s.row!,
        col: s.col!,
        lattice: { a: (s.col! - 0.5) / 2, b: (s.row! - 0.5) / 2 },
      };
    }),
    image: { path: sample.image!.path, width: sample.image!.width, height: sample.image!.height },
  };
  const out = await histexMethod.predict(
    input,
    { seed, preset: 'default', features: reading, timeBudgetSeconds: 1e9 },
    (u) => u.message && process.stderr.write(`[histex-signal ${sample.name}] ${u.message}\n`),
  );
  const pred = outputAtTargets(out, input);
  const n = pred.nRows;
  const libPred = new Float64Array(n);
  for (let r = 0; r < n; r++) for (let g = 0; g < G; g++) libPred[r]! += pred.data[r * G + g]!;
  const dp = centre(
    Float64Array.from(libPred, (v) => Math.log(Math.max(v, 1e-9))),
    1,
  );
  let spp = 0;
  let stp = 0;
  let stt = 0;
  for (let r = 0; r < n; r++) {
    spp += dp[r]! ** 2;
    stp += dp[r]! * d100[r]!;
    stt += d100[r]! ** 2;
  }
  // per gene: the children's deviations from their pseudo-spot, predicted against true (pooled)
  const dev = (m: DenseMatrix) => {
    const lg = Float64Array.from(m.data, (v) => Math.log1p(Math.max(v, 0)));
    return centre(lg, G);
  };
  const dt = dev(truth);
  const dpred = dev(pred);
  void P;
  void coarse;
  return {
    reading,
    seed,
    pcc: pcc(pred),
    libraryFactorR: r3(stp / Math.sqrt(spp * stt)),
    libraryFactorSdRatio: r3(Math.sqrt(spp / stt)),
    slopeTruthOnPred: r3(stp / spp),
    coarseTimesHistexFactor: pcc(withFactor(dp)),
    perGeneDeviationR: r3(pearson(dpred, dt)),
    perGeneDeviationSdRatio: r3(
      Math.sqrt(dpred.reduce((s, v) => s + v * v, 0) / dt.reduce((s, v) => s + v * v, 0)),
    ),
  };
}

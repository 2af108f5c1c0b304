/**
 * HISTEX and its iStar-style ablation as SrMethods for the benchmark harness and the app.
 * The harness calls predict() with (pseudo-)spots and targets; we train on the spots and return the
 * superpixel map over the superpixels inside the target disks (`present` marks them; pass
 * `options.everySuperpixel = true` for every tissue superpixel).
 */
import type { Sample } from '../../io/sample';
import type { SrInput, SrMethod, SrOutput, SrRunOptions } from '../types';
import { cachedBuiltinFeatureMap } from '../../features';
import { derivedFeatureMap, parseReading } from '../../features/derived';
import {
  BUILTIN_FOR_HISTEX,
  builtinFeatures,
  fromFeatureMap,
  histexFeatures,
  type HistexFeatures,
} from './features';
import { footprint } from './geometry';
import { PRESETS, fitHistex, geneValues, inferLatent, tissueIndex, type HistexOptions } from './pipeline';

/**
 * Which histology features HISTEX reads when the caller provides none: 'builtin' (default) is the
 * features module's 66-channel extractor read as HISTEX reads it in the app (BUILTIN_FOR_HISTEX:
 * its principal components); 'builtin-raw' all 66 z-scored channels; 'standin' the quick
 * 16-channel map of features.ts (11 histology + rgb + pos); 'rgb' only RGB means + position (TESLA's input). Measured in
 * docs/histex.md ("Histology input").
 */
type FeatureChoice = 'builtin' | 'builtin-raw' | 'standin' | 'rgb' | string;

async function featuresFor(
  input: SrInput,
  choice: FeatureChoice,
  builtinReading: { components: number; scale: number },
  signal?: AbortSignal,
): Promise<HistexFeatures> {
  const provided = await input.features?.getSuperpixelFeatures?.(signal);
  if (provided) {
    const n = provided.grid.width * provided.grid.height;
    return {
      ...provided,
      mask: new Uint8Array(n).fill(1),
      channels: Array.from({ length: provided.dim }, (_, i) => `his_${i}`),
    };
  }
  if (!input.image) throw new Error(`${input.sample} has no image: HISTEX needs the H&E.`);
  if (choice !== 'standin') {
    const map = await cachedBuiltinFeatureMap({
      imagePath: input.image.path,
      umPerPx: input.umPerPx,
      ...(signal ? { signal } : {}),
    });
    try {
      // a reading of derived groups, e.g. 'builtin:16,context:16' (features/derived.ts)
      if (parseReading(choice))
        return fromFeatureMap(
          await derivedFeatureMap(
            choice,
            { map, imagePath: input.image.path, ...(signal ? { signal } : {}) },
            { scale: builtinReading.scale },
          ),
        );
      if (choice === 'builtin') return histexFeatures(map, builtinReading);
      const f = fromFeatureMap(map);
      return choice === 'rgb' ? keepChannels(f, ['rgb_r', 'rgb_g', 'rgb_b', 'pos_row', 'pos_col']) : f;
    } finally {
      map.close();
    }
  }
  const pseudoSample = {
    name: input.sample,
    umPerPx: input.umPerPx,
    image: { ...input.image, scaleToFullRes: 1 },
  } as unknown as Sample;
  return builtinFeatures(pseudoSample, signal);
}

function keepChannels(f: HistexFeatures, names: string[]): HistexFeatures {
  const idx = names.map((n) => f.channels.indexOf(n));
  const n = f.grid.height * f.grid.width;
  const data = new Float32Array(n * idx.length);
  for (let s = 0; s < n; s++) idx.forEach((c, j) => (data[s * idx.length + j] = f.data[s * f.dim + c]!));
  return { ...f, dim: idx.length, data, channels: names };
}

function optionsFrom(base: HistexOptions, o: SrRunOptions): HistexOptions {
  const out: HistexOptions = { ...base, seed: o.seed };
  if (o.epochs !== undefined) out.epochs = o.epochs;
  for (const k of ['ensemble', 'lr', 'k', 'batchSize', 'loss', 'scale', 'timeBudgetSeconds'] as const)
    if (o[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = o[k];
  if (o['noHistology'] === true) out.histology = false;
  if (o['noEnhancement'] === true) out.enhancement = false;
  return out;
}

/**
 * MIL trains the mean of a spot's superpixel predictions towards the spot's measured value; this
 * makes that constraint exact after training. Within each measured spot's footprint the predicted
 * pattern (the model's histology-driven modulation) is kept and scaled so its mean equals the
 * measured value per superpixel. Superpixels outside every footprint keep the model's values.
 * benchmark.md §8's reference model is constrained the same way ("as MIL implies").
 */
export function calibrateToSpots(
  values: Float32Array,
  present: Uint8Array,
  G: number,
  bags: readonly (readonly number[])[],
  observedSums: ArrayLike<number>,
): void {
  const done = new Uint8Array(present.length);
  bags.forEach((bag, s) => {
    const own = bag.filter((sp) => present[sp] && !done[sp]);
    if (own.length === 0) return;
    const size = bag.length;
    for (let g = 0; g < G; g++) {
      const target = observedSums[s * G + g]! / size;
      let mean = 0;
      for (const sp of own) mean += values[sp * G + g]!;
      mean /= own.length;
      const factor = mean > 1e-12 ? target / mean : 0;
      for (const sp of own) values[sp * G + g] = mean > 1e-12 ? values[sp * G + g]! * factor : target;
    }
    for (const sp of own) done[sp] = 1;
  });
}

function makeMethod(name: 'histex' | 'istar', description: string): SrMethod {
  return {
    name,
    kind: 'superpixel',
    description,
    needsImage: true,
    async predict(input, options, progress, signal): Promise<SrOutput> {
      const f = await featuresFor(
        input,
        (options['features'] as FeatureChoice | undefined) ?? 'builtin',
        {
          components: (options['featureComponents'] as number | undefined) ?? BUILTIN_FOR_HISTEX.components,
          scale: (options['featureScale'] as number | undefined) ?? BUILTIN_FOR_HISTEX.scale,
        },
        signal,
      );
      const preset = (options['preset'] as keyof typeof PRESETS | undefined) ?? 'default';
      const base = name === 'istar' ? PRESETS.istar : (PRESETS[preset] ?? PRESETS.default);
      const o = optionsFrom(base, options);
      const G = input.genes.length;
      const fit = await fitHistex(
        {
          features: f,
          spots: input.spots.map((s) => ({
            x: s.x,
            y: s.y,
            disks: [...s.members],
            ...(s.lattice ? { row: s.lattice.b, col: s.lattice.a } : {}),
          })),
          counts: Float64Array.from(input.counts.data),
          genes: G,
          spotDiameterPx: input.spotDiameterPx,
          lattice: input.lattice,
        },
        o,
        { onProgress: (u) => progress({ ...u, fraction: 0.9 * u.fraction }), ...(signal ? { signal } : {}) },
      );
      const wanted =
        options['everySuperpixel'] === true
          ? tissueIndex(fit.features)
          : Int32Array.from(
              new Set(
                input.targets.flatMap((t) => footprint(fit.features.grid, [t], input.spotDiameterPx / 2)),
              ),
            ).sort();
      const latent = await inferLatent(fit, { superpixels: wanted, ...(signal ? { signal } : {}) });
      const vals = geneValues(
        fit,
        latent,
        Array.from({ length: G }, (_, i) => i),
      );
      const n = f.grid.height * f.grid.width;
      const values = new Float32Array(n * G);
      const present = new Uint8Array(n);
      latent.index.forEach((sp, i) => {
        values.set(vals.subarray(i * G, (i + 1) * G), sp * G);
        present[sp] = 1;
      });
      if (options['calibrate'] !== false) {
        calibrateToSpots(
          values,
          present,
          G,
          input.spots.map((s) => footprint(fit.features.grid, s.members, input.spotDiameterPx / 2)),
          input.counts.data,
        );
      }
      progress({ fraction: 1, message: `${name} done` });
      return {
        kind: 'superpixel',
        grid: { ...f.grid },
        nGenes: G,
        values,
        present,
      };
    },
  };
}

export const histexMethod = makeMethod(
  'histex',
  'HISTEX: enhanced spot expression + histology fused by two BCA layers, MIL-trained ensemble (ONNX)',
);
export const istarMethod = makeMethod(
  'istar',
  'iStar-style pointwise MLP on histology, MIL-trained (HISTEX without BCA)',
);

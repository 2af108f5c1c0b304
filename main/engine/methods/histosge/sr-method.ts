/**
 * HisToSGE as an SrMethod (kind 'spot') for the holdout protocol (benchmark.md): trains on the
 * visible spots' log1p(CP10k) values and predicts at every target spot. Training and target spots
 * share the harness's canonical lattice frame, so the position embeddings line up.
 */
import { badInput } from '../../errors';
import { latticeCoordsOf } from '../../analysis/lattice';
import type { SrInput, SrMethod, SrOutput, SrRunOptions } from '../types';
import { openSpotSource } from './inputs';
import type { LatticePoint } from './lattice';
import { PRESETS, fitHistosge, predictAt, type HistosgeOptions } from './pipeline';

export function optionsFrom(o: SrRunOptions): HistosgeOptions {
  const preset = (o['preset'] as keyof typeof PRESETS | undefined) ?? 'default';
  const base = PRESETS[preset];
  if (!base) throw badInput(`Unknown HisToSGE preset "${String(preset)}" (paper, default).`);
  const out: HistosgeOptions = { ...base, seed: o.seed };
  if (o.epochs !== undefined) out.epochs = o.epochs;
  for (const k of [
    'lr',
    'batchChunks',
    'seqLen',
    'order',
    'patchUm',
    'concat',
    'headDim',
    'mlpDim',
    'validation',
    'patience',
  ] as const)
    if (o[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = o[k];
  return out;
}

function points(input: SrInput): { spots: LatticePoint[]; targets: LatticePoint[] } {
  const s = latticeCoordsOf(input.spots, input.lattice).coords;
  const t = latticeCoordsOf(input.targets, input.lattice).coords;
  return {
    spots: input.spots.map((p, i) => ({ x: p.x, y: p.y, a: s[i]!.a, b: s[i]!.b })),
    targets: input.targets.map((p, i) => ({ x: p.x, y: p.y, a: t[i]!.a, b: t[i]!.b })),
  };
}

export const histosgeMethod: SrMethod = {
  name: 'histosge',
  kind: 'spot',
  description:
    'HisToSGE: patch features + RGB + position, learned x/y embeddings, 1-layer MHSA over 50-spot chunks (ONNX)',
  needsImage: true,
  async predict(input, options, progress, signal): Promise<SrOutput> {
    if (input.space !== 'log1p-cp10k')
      throw badInput(
        'HisToSGE predicts log1p(CP10k) per spot; it runs under the holdout protocol, not on count sums.',
      );
    if (!input.image) throw badInput(`${input.sample} has no image: HisToSGE needs the H&E.`);
    const o = optionsFrom(options);
    const source = await openSpotSource({
      image: input.image,
      umPerPx: input.umPerPx,
      ...(input.features ? { features: input.features } : {}),
      ...(typeof options['featureCacheDir'] === 'string'
        ? { featureCacheDir: options['featureCacheDir'] }
        : {}),
      ...(signal ? { signal } : {}),
    });
    const { spots, targets } = points(input);
    const fit = await fitHistosge(
      {
        source,
        spots,
        values: input.values.data,
        genes: input.genes.length,
        lattice: input.lattice,
        spotDiameterPx: input.spotDiameterPx,
      },
      o,
      {
        onProgress: (u) => progress({ ...u, fraction: 0.9 * u.fraction }),
        ...(signal ? { signal } : {}),
      },
    );
    const pred = await predictAt(fit, targets, signal ? { signal } : {});
    progress({ fraction: 1, message: `histosge done (final loss ${fit.history.at(-1)?.toPrecision(4)})` });
    return {
      kind: 'spot',
      values: { nRows: targets.length, nCols: input.genes.length, data: Float64Array.from(pred) },
    };
  },
};

/**
 * Registry entries of the training-free baselines: `interp` (a stored denser spot set, and the
 * benchmark's interpolation), `coarse` and `tesla` (benchmark methods; in the app they run through
 * the generic path, methods/sample-run.ts).
 */
import { z } from 'zod';
import { defineMethod } from '../entry';
import { foldOption, genesOption, seedOption } from '../options';
import { coarseMethod } from './coarse';
import { interpMethod } from './interp';
import { runInterpolation } from './interp-run';
import { teslaMethod } from './tesla';

export const interpEntry = defineMethod({
  id: 'interp',
  label: 'Interpolation (denser spots, baseline)',
  description: interpMethod.description,
  kind: 'spots',
  trains: false,
  needs: { image: false, lattice: true, featureSet: 'none', modelFile: false },
  options: z.object({ genes: genesOption(100), fold: foldOption(4) }),
  presets: { default: {} },
  predict: interpMethod.predict,
  benchReference: true,
  run: (ctx, o) => runInterpolation('interp', 'interpolation', ctx, o),
});

export const coarseEntry = defineMethod({
  id: 'coarse',
  label: 'Coarse (baseline)',
  description: coarseMethod.description,
  kind: 'spots',
  trains: false,
  needs: { image: false, lattice: true, featureSet: 'none', modelFile: false },
  options: z.object({ genes: genesOption(100), fold: foldOption(4) }),
  presets: { default: {} },
  predict: coarseMethod.predict,
  benchReference: true,
});

export const teslaEntry = defineMethod({
  id: 'tesla',
  label: 'TESLA (baseline)',
  description: teslaMethod.description,
  kind: 'superpixels',
  trains: false,
  needs: { image: true, lattice: false, featureSet: 'none', modelFile: false },
  options: z.object({ genes: genesOption(100), seed: seedOption(0) }),
  presets: { default: {} },
  predict: teslaMethod.predict,
});

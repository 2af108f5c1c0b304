/** Registry entry of HisToSGE (methods.md §4): a denser spot set generated from the measured one. */
import { z } from 'zod';
import { defineMethod } from '../entry';
import { epochsOption, foldOption, genesOption, seedOption } from '../options';
import { PRESETS } from './pipeline';
import { runHistosge } from './sample-run';
import { histosgeMethod } from './sr-method';

export const histosgeEntry = defineMethod({
  id: 'histosge',
  label: 'HisToSGE (denser spots)',
  description: histosgeMethod.description,
  kind: 'spots',
  trains: true,
  needs: { image: true, lattice: true, featureSet: 'none', modelFile: false },
  options: z.object({
    genes: genesOption(100),
    fold: foldOption(4),
    epochs: epochsOption(PRESETS.default.epochs),
    seed: seedOption(PRESETS.default.seed),
    validation: z.number().min(0).max(0.5).default(PRESETS.default.validation).meta({
      title: 'Held-out spots',
      description:
        'fraction of spots kept out of training to stop it before it memorises (0 = train on all, as released)',
    }),
  }),
  presets: {
    default: {},
    paper: { epochs: PRESETS.paper.epochs, validation: PRESETS.paper.validation },
  },
  predict: histosgeMethod.predict,
  // it predicts log1p(CP10k) per spot and refuses coarsen's count sums
  benchProtocols: ['holdout'],
  run: (ctx, o) => runHistosge('histosge', 'HisToSGE', ctx, o),
});

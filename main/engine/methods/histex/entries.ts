/**
 * Registry entries of HISTEX and its iStar-style ablation (methods.md §3, §6): options with the
 * presets' values as defaults, the benchmark prediction (sr-method.ts), the stored run
 * (sample-run.ts) and its reader (stored-run.ts).
 */
import { z } from 'zod';
import { defineMethod } from '../entry';
import { epochsOption, genesOption, seedOption } from '../options';
import { PRESETS } from './pipeline';
import { runHistex } from './sample-run';
import { histexMethod, istarMethod } from './sr-method';
import { StoredRun } from './stored-run';

function histexOptions(base: (typeof PRESETS)[keyof typeof PRESETS]) {
  return z.object({
    genes: genesOption(1000),
    epochs: epochsOption(base.epochs),
    ensemble: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(base.ensemble)
      .meta({ title: 'Ensemble', description: 'models trained; the map is their median' }),
    seed: seedOption(base.seed),
    earlyStopping: z
      .boolean()
      .default(base.earlyStopping !== undefined)
      .meta({ title: 'Early stopping', description: 'stop a model when its loss stalls for 25 epochs' }),
    timeBudgetSeconds: z
      .number()
      .min(0)
      .default(base.timeBudgetSeconds ?? 0)
      .meta({ title: 'Time budget (s)', description: 'wall-clock budget for all training, 0 = none' }),
    histology: z
      .boolean()
      .default(base.histology)
      .meta({ title: 'Histology', description: 'ablation: off = only position channels reach the model' }),
    enhancement: z
      .boolean()
      .default(base.enhancement)
      .meta({ title: 'Enhancement', description: 'ablation: off = gene tokens from measured spots only' }),
  });
}

const PAPER = {
  epochs: PRESETS.paper.epochs,
  ensemble: PRESETS.paper.ensemble,
  earlyStopping: false,
  timeBudgetSeconds: 0,
};

export const histexEntry = defineMethod({
  id: 'histex',
  label: 'HISTEX',
  description: histexMethod.description,
  kind: 'superpixels',
  trains: true,
  needs: { image: true, lattice: false, featureSet: 'optional', modelFile: false },
  options: histexOptions(PRESETS.default),
  presets: { default: {}, paper: PAPER },
  predict: histexMethod.predict,
  run: (ctx, o) => runHistex('histex', 'HISTEX', ctx, o),
  openSuperpixels: (run, arraysDir, sample) => new StoredRun(arraysDir, run, sample),
});

export const istarEntry = defineMethod({
  id: 'istar',
  label: 'iStar (HISTEX without BCA)',
  description: istarMethod.description,
  kind: 'superpixels',
  trains: true,
  needs: { image: true, lattice: false, featureSet: 'optional', modelFile: false },
  options: histexOptions(PRESETS.istar),
  presets: { default: {} },
  predict: istarMethod.predict,
  run: (ctx, o) => runHistex('istar', 'iStar', ctx, o),
  openSuperpixels: (run, arraysDir, sample) => new StoredRun(arraysDir, run, sample),
});

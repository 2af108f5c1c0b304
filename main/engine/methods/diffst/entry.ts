/**
 * Registry entry of Diff-ST (methods.md §5, docs/diffst.md): a superpixel map at twice the spot
 * density from a conditional diffusion model trained on the sample's own coarsening. A stored run
 * goes through the generic path (methods/sample-run.ts), which stores the per-superpixel SD over
 * the K samples with the mean as the run's uncertainty layer, labelled with what it means.
 */
import { z } from 'zod';
import { defineMethod, type MethodEntry, type RunOutcome, type SampleRunContext } from '../entry';
import { genesOption, seedOption } from '../options';
import { runThroughPredict } from '../sample-run';
import { DIFFST_PRESETS } from './presets';
import { diffstMethod, type DiffstOutput } from './sr-method';

const d = DIFFST_PRESETS.default;

const options = z.object({
  genes: genesOption(100),
  model: z.enum(['default', 'tiny', 'paper']).default('default').meta({
    title: 'Model size',
    description: 'network widths and training budget (docs/diffst.md); set by --preset',
  }),
  steps: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(d.sampleSteps)
    .meta({ title: 'Sampling steps', description: 'respaced diffusion steps per sample' }),
  samples: z.number().int().min(2).max(64).default(d.samples).meta({
    title: 'Samples (K)',
    description: 'samples per patch whose SD is the uncertainty',
  }),
  meanSamples: z.number().int().min(2).max(256).default(d.meanSamples).meta({
    title: 'Samples for the mean',
    description: 'samples per patch whose mean is the map (at least K; more lowers its sampling noise)',
  }),
  image: z.enum(['builtin:16', 'rgb']).default('builtin:16').meta({
    title: 'Histology input',
    description:
      "what the image branches read: 'builtin:16' (the built-in feature map's 16 principal components) or 'rgb' (the H&E pixels, as released)",
  }),
  seed: seedOption(0),
});

async function runDiffst(ctx: SampleRunContext, o: z.output<typeof options>): Promise<RunOutcome> {
  let captured: DiffstOutput | null = null;
  const capturing: MethodEntry = {
    ...diffstEntry,
    predict: async (input, opts, progress, signal) => {
      const out = (await diffstMethod.predict(input, opts, progress, signal)) as DiffstOutput;
      captured = out;
      return out;
    },
  };
  // The generic path stores the map with its SD as the run's uncertainty layer (run-store.ts).
  const outcome = await runThroughPredict(capturing, ctx, { ...o });
  const out = captured as DiffstOutput | null;
  if (!out) return outcome;
  return {
    ...outcome,
    finalLoss: out.fit.finalLoss,
    summary: `${outcome.summary}; mean of ${out.meanSamples} samples at ${out.steps} steps, the SD of ${out.samples} as the uncertainty layer`,
    details: { ...(outcome.details ?? {}), samples: out.samples, updates: out.fit.updates },
  };
}

export const diffstEntry: MethodEntry<typeof options> = defineMethod({
  id: 'diffst',
  label: 'Diff-ST (diffusion, 2× density + uncertainty)',
  description: diffstMethod.description,
  kind: 'superpixels',
  trains: true,
  needs: { image: true, lattice: true, featureSet: 'none', modelFile: false },
  options,
  presets: {
    default: {},
    tiny: {
      model: 'tiny',
      steps: DIFFST_PRESETS.tiny.sampleSteps,
      samples: DIFFST_PRESETS.tiny.samples,
      meanSamples: DIFFST_PRESETS.tiny.meanSamples,
      image: 'rgb',
    },
    paper: { model: 'paper', image: 'rgb' },
  },
  predict: diffstMethod.predict,
  run: runDiffst,
});

/**
 * Registry entry of Diff-ST (methods.md §5, docs/diffst.md): a superpixel map at twice the spot
 * density from a conditional diffusion model trained on the sample's own coarsening. A stored run
 * goes through the generic path (methods/sample-run.ts) and then stores the per-superpixel SD over
 * the K samples as a second superpixel run, its own layer in the viewer, labelled with what it means.
 */
import { z } from 'zod';
import { defineMethod, type MethodEntry, type RunOutcome, type SampleRunContext } from '../entry';
import { genesOption, seedOption } from '../options';
import { storeSuperpixelMap } from '../run-store';
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
    description: 'samples per patch: their mean is the map, their SD the uncertainty',
  }),
  seed: seedOption(0),
});

/** The viewer's one-line explanation of the uncertainty layer (its run label). */
export const UNCERTAINTY_LABEL =
  'Diff-ST uncertainty: SD of the K samples per superpixel (counts; high = the samples disagree)';

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
  const outcome = await runThroughPredict(capturing, ctx, { ...o });
  const out = captured as DiffstOutput | null;
  if (!out) return outcome;
  const { runId } = storeSuperpixelMap(ctx.project, `diffst-sd-job-${ctx.task.jobId}`, {
    sampleId: ctx.sampleId,
    method: 'diffst',
    label: UNCERTAINTY_LABEL,
    params: { ...o, uncertaintyOf: outcome.runId, include: [...ctx.include] },
    genes: [
      ...Array.from(
        { length: out.nGenes },
        (_, i) => ctx.sample.genes.findIndex((g) => g.symbol === outcome.genes[i]) as number,
      ),
    ],
    losses: [],
    map: { ...out, values: out.uncertainty },
  });
  return {
    ...outcome,
    finalLoss: out.fit.finalLoss,
    summary: `${outcome.summary}; mean of ${out.samples} samples at ${out.steps} steps, SD stored as run ${runId}`,
    details: {
      ...(outcome.details ?? {}),
      uncertaintyRunId: runId,
      samples: out.samples,
      updates: out.fit.updates,
    },
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
    tiny: { model: 'tiny', steps: DIFFST_PRESETS.tiny.sampleSteps, samples: DIFFST_PRESETS.tiny.samples },
    paper: { model: 'paper' },
  },
  predict: diffstMethod.predict,
  run: runDiffst,
});

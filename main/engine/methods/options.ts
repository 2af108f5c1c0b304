/**
 * Option fields several methods share, as zod schemas with a title (the CLI flag is the key in
 * kebab-case, the SR panel's field label is the title). Each method builds its own z.object from
 * these and its own fields; defaults are the method's default preset.
 */
import { z } from 'zod';

export const genesOption = (dflt: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(dflt)
    .meta({ title: 'Genes', description: 'highly variable genes modelled (plus any asked for by name)' });

export const epochsOption = (dflt: number) =>
  z.number().int().min(1).max(5000).default(dflt).meta({ title: 'Epochs', description: 'training epochs' });

export const seedOption = (dflt = 0) =>
  z
    .number()
    .int()
    .min(0)
    .default(dflt)
    .meta({ title: 'Seed', description: 'seed of initialisation and shuffling' });

/** Density multiple of a generated spot set: k² on any lattice, 2k² (2, 8) on square ones. */
export const FOLDS = [2, 4, 8, 9, 16] as const;
export const foldOption = (dflt: (typeof FOLDS)[number] = 4) =>
  z.literal(FOLDS).default(dflt).meta({
    title: 'Fold',
    description: 'times denser than the measured lattice (2 and 8 on square lattices)',
  });

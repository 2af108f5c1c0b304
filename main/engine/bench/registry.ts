/**
 * The benchmark's view of the method registry (main/engine/methods/registry.ts): every entry with a
 * `predict` is a benchmark method. `registerMethod` here adds a bench-only method (an SrMethod) as
 * an entry with no options of its own, for tests and one-off comparisons.
 */
import { z } from 'zod';
import {
  RESERVED_IDS,
  getMethodEntry,
  listMethodEntries,
  registerMethod as registerEntry,
} from '../methods/registry';
import type { SrMethod } from '../methods/types';

/** Names the harness reserves for controls (benchmark.md step 6). */
export const CONTROL_NAMES = RESERVED_IDS;

/** Adds (or, with replace, replaces) a bench-only method. */
export function registerMethod(m: SrMethod, options: { replace?: boolean } = {}): void {
  registerEntry(
    {
      id: m.name,
      label: m.name,
      description: m.description,
      kind: m.kind === 'superpixel' ? 'superpixels' : 'spots',
      trains: false,
      needs: { image: m.needsImage ?? false, lattice: false, featureSet: 'none', modelFile: false },
      options: z.object({}),
      presets: { default: {} },
      predict: (input, o, progress, signal) => m.predict(input, o, progress, signal),
    },
    options,
  );
}

/** A registered method as the harness calls it. */
export function getMethod(name: string): SrMethod | undefined {
  const e = getMethodEntry(name);
  if (!e?.predict) return undefined;
  return {
    name: e.id,
    kind: e.kind === 'superpixels' ? 'superpixel' : 'spot',
    description: e.description,
    needsImage: e.needs.image,
    predict: e.predict,
  };
}

/** Method names the benchmark can score, sorted. */
export function listMethods(): string[] {
  return listMethodEntries()
    .filter((e) => e.predict)
    .map((e) => e.id)
    .sort();
}

/** Method names that accept the protocol's input (the entry's benchProtocols), sorted. */
export function methodsFor(protocol: 'coarsen' | 'holdout'): string[] {
  return listMethodEntries()
    .filter((e) => e.predict && (e.benchProtocols ?? ['coarsen', 'holdout']).includes(protocol))
    .map((e) => e.id)
    .sort();
}

/** Methods the coarsen protocol always scores (benchmark.md step 5), in registry order. */
export function referenceMethods(): string[] {
  return listMethodEntries()
    .filter((e) => e.benchReference === true && e.predict)
    .map((e) => e.id);
}

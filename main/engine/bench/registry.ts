/**
 * The method registry the harness, the CLI and the app read. Built-in baselines register here;
 * other methods (histex, istar, histosge, …) call registerMethod from their own module, and
 * whoever wires them (the CLI entry, the app's service) imports that module once.
 */
import { badInput } from '../errors';
import { coarseMethod, interpMethod, teslaMethod } from '../methods/baselines/index';
import type { SrMethod } from '../methods/types';

const registry = new Map<string, SrMethod>();

/** Names the harness reserves for controls (benchmark.md step 6). */
export const CONTROL_NAMES = ['noise'] as const;

/** Adds (or, with replace, replaces) a method. Names are lower-case words; ':' is reserved for controls. */
export function registerMethod(m: SrMethod, options: { replace?: boolean } = {}): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(m.name))
    throw badInput(`Method name "${m.name}" must be a lower-case word (letters, digits, - or _).`);
  if ((CONTROL_NAMES as readonly string[]).includes(m.name))
    throw badInput(`"${m.name}" is reserved for a control.`);
  if (registry.has(m.name) && !options.replace)
    throw badInput(`A method named "${m.name}" is already registered.`);
  registry.set(m.name, m);
}

export function getMethod(name: string): SrMethod | undefined {
  return registry.get(name);
}

/** Registered method names, sorted. */
export function listMethods(): string[] {
  return [...registry.keys()].sort();
}

registerMethod(coarseMethod);
registerMethod(interpMethod);
registerMethod(teslaMethod);

/**
 * The one place where SR methods are listed (docs/architecture.md "Add a method"). The CLI
 * (`stsr sr --method`, `stsr bench --methods`), the API (`methods.list`), the SR panel, the `sr`
 * job task and the benchmark harness all read their methods from here. Built-in entries are listed
 * below; plugins (a module file named with `--plugin FILE` or in the project's settings) add theirs
 * through loadPlugin at start-up — and inside every job worker, which has its own module state.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { EngineError, badInput } from '../errors';
import type { Sample } from '../io/sample';
import { coarseEntry, interpEntry, teslaEntry } from './baselines/entries';
import type { AnyOptionsSchema, MethodEntry, SuperpixelReader } from './entry';
import { histexEntry, istarEntry } from './histex/entries';
import { histosgeEntry } from './histosge/entry';
import { diffstEntry } from './diffst/entry';
import { ValuesReader } from './run-store';
import type { SuperpixelRun } from './runs';

const entries = new Map<string, MethodEntry>();
/** the plugin file each non-built-in method came from (job workers load it again) */
const pluginOf = new Map<string, string>();

/** Ids the benchmark reserves for its controls (benchmark.md step 6). */
export const RESERVED_IDS = ['noise'] as const;

/** Adds (or, with replace, replaces) a method. Ids are lower-case words; ':' is reserved for controls. */
export function registerMethod<S extends AnyOptionsSchema>(
  entry: MethodEntry<S>,
  options: { replace?: boolean; plugin?: string } = {},
): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(entry.id))
    throw badInput(`Method id "${entry.id}" must be a lower-case word (letters, digits, - or _).`);
  if ((RESERVED_IDS as readonly string[]).includes(entry.id))
    throw badInput(`"${entry.id}" is reserved for a control.`);
  if (entries.has(entry.id) && !options.replace)
    throw badInput(`A method named "${entry.id}" is already registered.`);
  if (!isObjectSchema(entry.options))
    throw badInput(`Method "${entry.id}": options must be a zod object schema.`);
  if (!entry.predict && !entry.run)
    throw badInput(`Method "${entry.id}" needs predict (benchmark, generic runs) or run (stored runs).`);
  entries.set(entry.id, entry as unknown as MethodEntry);
  if (options.plugin) pluginOf.set(entry.id, options.plugin);
  else pluginOf.delete(entry.id);
}

export function getMethodEntry(id: string): MethodEntry | undefined {
  return entries.get(id);
}

/** The entry, or a BAD_INPUT error listing what there is. */
export function requireMethodEntry(id: string): MethodEntry {
  const e = entries.get(id);
  if (!e) throw badInput(`Unknown SR method "${id}". Available: ${listMethodIds().join(', ')}.`);
  return e;
}

/** Every entry in registration order (built-ins first, then plugins). */
export function listMethodEntries(): MethodEntry[] {
  return [...entries.values()];
}

export function listMethodIds(): string[] {
  return [...entries.keys()];
}

/** The module file a plugin method was loaded from (undefined for built-ins). */
export function pluginFileOf(id: string): string | undefined {
  return pluginOf.get(id);
}

/** The label users see for a method id (the id itself for one no longer registered). */
export function methodLabel(id: string): string {
  return entries.get(id)?.label ?? id;
}

export interface OptionIssue {
  /** where: ['preset'] or ['options', key, …] */
  path: (string | number)[];
  message: string;
}

/**
 * A run's options: the entry's defaults, then the preset, then what was given, checked by the
 * entry's schema (unknown keys are refused so a misspelt flag is not silently ignored). Returns the
 * options or the problems, so each front door reports them its own way.
 */
export function checkOptions(
  entry: MethodEntry,
  preset: string | undefined,
  given: Record<string, unknown> = {},
): { options: Record<string, unknown>; issues: [] } | { options: null; issues: OptionIssue[] } {
  const name = preset ?? 'default';
  const issues: OptionIssue[] = [];
  if (!Object.hasOwn(entry.presets, name) && name !== 'default')
    issues.push({
      path: ['preset'],
      message: `${entry.label} has no preset "${name}" (presets: ${Object.keys(entry.presets).join(', ')})`,
    });
  for (const k of Object.keys(given))
    if (!Object.hasOwn(entry.options.shape, k))
      issues.push({
        path: ['options', k],
        message: `${entry.label} has no option "${k}" (options: ${Object.keys(entry.options.shape).join(', ')})`,
      });
  if (issues.length > 0) return { options: null, issues };
  const r = entry.options.safeParse({ ...(entry.presets[name] ?? {}), ...given });
  if (!r.success)
    return {
      options: null,
      issues: r.error.issues.map((i) => ({
        path: ['options', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
        message: i.message,
      })),
    };
  return { options: r.data as Record<string, unknown>, issues: [] };
}

/** checkOptions, throwing BAD_INPUT with the first problem. */
export function resolveOptions(
  entry: MethodEntry,
  preset: string | undefined,
  given: Record<string, unknown> = {},
): Record<string, unknown> {
  const r = checkOptions(entry, preset, given);
  if (r.options) return r.options;
  const i = r.issues[0]!;
  throw badInput(`${entry.label}: ${i.path.slice(i.path[0] === 'options' ? 1 : 0).join('.')}: ${i.message}.`);
}

/** What `methods.list` reports: everything a front door needs to offer a method and its options. */
export interface MethodInfo {
  id: string;
  label: string;
  description: string;
  kind: MethodEntry['kind'];
  trains: boolean;
  needs: MethodEntry['needs'];
  /** JSON Schema (draft 2020-12) of the options, with defaults, titles and bounds */
  options: Record<string, unknown>;
  presets: Record<string, Record<string, unknown>>;
  /** can be run on a project sample (`stsr sr`, the SR panel) */
  stored: boolean;
  /** can be scored by the benchmark (`stsr bench --methods`) */
  bench: boolean;
  plugin: string | null;
}

export function methodInfo(e: MethodEntry): MethodInfo {
  return {
    id: e.id,
    label: e.label,
    description: e.description,
    kind: e.kind,
    trains: e.trains,
    needs: { ...e.needs },
    options: z.toJSONSchema(e.options, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    presets: Object.fromEntries(Object.entries(e.presets).map(([k, v]) => [k, { ...v }])),
    stored: true,
    bench: e.predict !== undefined,
    plugin: pluginOf.get(e.id) ?? null,
  };
}

/** A stored superpixel run read back through its method's reader (or the generic values reader). */
export function openSuperpixels(run: SuperpixelRun, arraysDir: string, sample: Sample): SuperpixelReader {
  const open = entries.get(run.method)?.openSuperpixels;
  if (open) return open(run, arraysDir, sample);
  if (run.arrays['values'] === undefined)
    throw new EngineError(
      'NOT_FOUND',
      `Run ${run.id} was made by "${run.method}", which is not registered (a plugin not loaded?).`,
      { hint: "Load the method's plugin (project settings or --plugin FILE) to read this run." },
    );
  return new ValuesReader(arraysDir, run);
}

/**
 * Loads a plugin module: its default export (or named export `methods`) is one entry or an array of
 * entries, each registered with the plugin's path so job workers can load it too. Loading the same
 * file twice is harmless (its entries replace themselves).
 */
export async function loadPlugin(file: string, baseDir = process.cwd()): Promise<string[]> {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new EngineError(
      'BAD_INPUT',
      `Cannot load the SR method plugin ${path}: ${(err as Error).message}`,
      {
        file: path,
        hint: 'A plugin is an ES module (.mjs/.js, or .ts in development) whose default export is a method entry or a list of them.',
      },
    );
  }
  const exported = mod['default'] ?? mod['methods'];
  const list = Array.isArray(exported) ? (exported as unknown[]) : [exported];
  const ids: string[] = [];
  for (const e of list) {
    if (!isEntry(e))
      throw new EngineError(
        'BAD_INPUT',
        `${path} does not export an SR method entry (id, label, kind, options, presets, needs, predict or run).`,
        { file: path },
      );
    const existing = pluginOf.get(e.id);
    if (entries.has(e.id) && existing !== path)
      throw badInput(
        `${path}: a method named "${e.id}" is already registered${existing ? ` by ${existing}` : ''}.`,
      );
    registerMethod(e, { replace: true, plugin: path });
    ids.push(e.id);
  }
  return ids;
}

/** A zod object schema, also from another copy of zod (a plugin outside this checkout). */
function isObjectSchema(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const o = s as { safeParse?: unknown; shape?: unknown };
  return typeof o.safeParse === 'function' && typeof o.shape === 'object' && o.shape !== null;
}

function isEntry(e: unknown): e is MethodEntry {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return (
    typeof o['id'] === 'string' &&
    typeof o['label'] === 'string' &&
    (o['kind'] === 'superpixels' || o['kind'] === 'spots') &&
    isObjectSchema(o['options']) &&
    typeof o['presets'] === 'object' &&
    typeof o['needs'] === 'object' &&
    (typeof o['predict'] === 'function' || typeof o['run'] === 'function')
  );
}

/**
 * Job kinds written before the one generic `sr` task (one per method): a project with such a job
 * row still opens and the job still resumes; the task reads the method from the kind.
 */
export const LEGACY_SR_JOB_KINDS: Readonly<Record<string, string>> = {
  'sr.histex': 'histex',
  'sr.histosge': 'histosge',
  'sr.interp': 'interp',
};

// The built-in methods, in the order the SR panel offers them.
const BUILT_IN: MethodEntry[] = [
  histexEntry,
  istarEntry,
  histosgeEntry,
  diffstEntry,
  interpEntry,
  coarseEntry,
  teslaEntry,
];
for (const e of BUILT_IN) registerMethod(e);

/**
 * `stsr sr SAMPLE --method ID [--preset P] [--<option> V …] [--plugin FILE …] [--feature-set ID]`:
 * an SR run of any registered method, stored in the project. The method list, the presets and the
 * option flags (each option's key in kebab-case) all come from the registry; a misspelt flag or a
 * value outside an option's bounds is a usage error.
 */
import { parseArgs } from 'node:util';
import {
  getMethodEntry,
  listMethodEntries,
  loadPlugin,
  methodInfo,
  pluginFileOf,
  resolveOptions,
} from '../../engine/methods/registry';
import type { MethodEntry } from '../../engine/methods/entry';
import { projectPlugins } from '../../engine/methods/plugins';
import { openProject } from '../../engine/store/project';
import type { SrJobParams, SrJobResult } from '../../engine/tasks/sr';
import { UsageError, type Output } from '../output';
import { resolveSample } from '../resolve-sample';
import { runJob } from '../run-job';

/** Without --method: the registry's first entry (its list is in the order the app offers them). */
const defaultMethod = (): string => listMethodEntries()[0]?.id ?? '';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** An option's flag value as its schema's type (the schema then checks bounds). */
function optionValue(entry: MethodEntry, key: string, raw: string): unknown {
  const props = methodInfo(entry).options['properties'];
  const prop =
    typeof props === 'object' && props !== null ? (props as Record<string, unknown>)[key] : undefined;
  const type = typeof prop === 'object' && prop !== null ? (prop as { type?: unknown }).type : undefined;
  if (type === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(raw)) return true;
    if (/^(false|no|off|0)$/i.test(raw)) return false;
    throw new UsageError(`--${kebab(key)} takes true or false, got "${raw}".`);
  }
  if (type === 'number' || type === 'integer') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`--${kebab(key)} takes a number, got "${raw}".`);
    return n;
  }
  return raw;
}

/** The help lines of `stsr --help` for sr, from the registry. */
export function srHelp(): string {
  const methods = listMethodEntries();
  const optionLines = methods
    .map((e) => {
      const flags = Object.keys(e.options.shape).map((k) => `--${kebab(k)}`);
      const presets = Object.keys(e.presets).filter((p) => p !== 'default');
      return `      ${e.id.padEnd(10)} ${flags.join(' ')}${presets.length ? `  (presets: ${presets.join(', ')})` : ''}`;
    })
    .join('\n');
  return `  sr SAMPLE                    super-resolution run stored in the project
      --method ID              ${methods.map((e) => e.id).join('|')} (default ${defaultMethod()})
      --preset P               a named set of the method's options (default: default)
      --feature-set ID         histology from a stored feature set (methods that read one)
      --plugin FILE            load SR methods from a module file first (repeatable); the
                               project's settings may name plugins too
    options per method (values after the flag, e.g. --epochs 20 --histology false):
${optionLines}
`;
}

/**
 * `args` are the words after "sr" (global flags such as --json and --project may be among them).
 * Throws UsageError/EngineError for the caller's error handler (exit codes in output.ts).
 */
export async function srCommand(
  args: string[],
  out: Output,
  context: { projectDir?: string } = {},
): Promise<void> {
  // First pass: which method (and plugins) — the method decides which flags exist.
  const pre = parseArgs({
    args,
    allowPositionals: true,
    strict: false,
    options: {
      method: { type: 'string' },
      plugin: { type: 'string', multiple: true },
      project: { type: 'string' },
    },
  });
  const projectDir =
    (typeof pre.values.project === 'string' ? pre.values.project : undefined) ??
    context.projectDir ??
    process.env.STSR_PROJECT ??
    process.cwd();
  const plugins = (pre.values.plugin ?? []).filter((p): p is string => typeof p === 'string');
  for (const file of plugins) await loadPlugin(file);
  const method = typeof pre.values.method === 'string' ? pre.values.method : defaultMethod();

  const project = openProject(projectDir);
  try {
    for (const file of projectPlugins(project)) await loadPlugin(file, project.dir);
    const entry = getMethodEntry(method);
    if (!entry)
      throw new UsageError(
        `--method ${method} is not a registered SR method: use ${listMethodEntries()
          .map((e) => e.id)
          .join(', ')} (or load its plugin with --plugin FILE).`,
      );
    const optionFlags = Object.fromEntries(
      Object.keys(entry.options.shape).map((k) => [kebab(k), { type: 'string' as const }]),
    );
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...optionFlags,
        method: { type: 'string' },
        preset: { type: 'string' },
        plugin: { type: 'string', multiple: true },
        'feature-set': { type: 'string' },
        project: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1)
      throw new UsageError(`stsr sr takes one SAMPLE, got "${positionals.join(' ')}".`);
    const given: Record<string, unknown> = {};
    for (const key of Object.keys(entry.options.shape)) {
      const raw = (values as Record<string, unknown>)[kebab(key)];
      if (typeof raw === 'string') given[key] = optionValue(entry, key, raw);
    }
    const preset = values.preset;
    // checked before a job is queued, so a bad value is a usage error (exit 2)
    resolveOptions(entry, preset, given);
    let featureSetId: number | undefined;
    if (values['feature-set'] !== undefined) {
      featureSetId = Number(values['feature-set']);
      if (!Number.isInteger(featureSetId) || featureSetId < 1)
        throw new UsageError(`--feature-set must be a whole number ≥ 1, got "${values['feature-set']}".`);
      if (entry.needs.featureSet === 'none') throw new UsageError(`${entry.label} reads no feature set.`);
    }
    const sample = resolveSample(project, positionals[0]);
    const plugin = pluginFileOf(entry.id);
    const params: SrJobParams = {
      sampleId: sample.id,
      method: entry.id,
      options: given,
      ...(preset !== undefined ? { preset } : {}),
      ...(featureSetId !== undefined ? { featureSetId } : {}),
      ...(plugin !== undefined ? { plugins: [plugin] } : {}),
    };
    const r = (await runJob(project, 'sr', params, out)) as SrJobResult;
    out.result(
      {
        runId: r.runId,
        method: r.method,
        label: r.label,
        genes: r.genes.length,
        seconds: r.seconds,
        ...(r.finalLoss !== undefined ? { finalLoss: r.finalLoss } : {}),
        ...(r.details ?? {}),
      },
      `Run ${r.runId}: ${r.label} on ${sample.name}: ${r.summary}`,
    );
  } finally {
    project.close();
  }
}

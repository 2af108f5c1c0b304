/**
 * `stsr methods [--plugin FILE …] [--project DIR] [--json]`: the registered SR methods — what `stsr sr --method`
 * accepts — with their kind, needs, options and presets (the registry's methodInfo, as the API's
 * `methods.list`). Batch tools read this instead of keeping their own list of method names
 * (workflow/Snakefile checks a sample sheet against it).
 */
import { parseArgs } from 'node:util';
import { listMethodEntries, loadPlugin, methodInfo } from '../../engine/methods/registry';
import { projectPlugins } from '../../engine/methods/plugins';
import { openProject } from '../../engine/store/project';
import { UsageError, type Output } from '../output';

export const METHODS_HELP = `  methods                      the registered SR methods (with --json: kind, needs, options, presets)
      --plugin FILE            load SR methods from a module file first (repeatable)
      --project DIR            and the plugins that (existing) project's settings name
`;

export async function methodsCommand(args: string[], out: Output): Promise<void> {
  let values: { plugin?: string[] | undefined; project?: string | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        plugin: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        project: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (positionals.length > 0)
    throw new UsageError(`stsr methods takes no arguments, got "${positionals.join(' ')}".`);
  for (const file of values.plugin ?? []) await loadPlugin(file);
  // openProject, not openOrCreateProject: listing methods never creates a project.
  if (values.project !== undefined) {
    const project = openProject(values.project);
    try {
      for (const file of projectPlugins(project)) await loadPlugin(file, project.dir);
    } finally {
      project.close();
    }
  }
  const methods = listMethodEntries().map(methodInfo);
  const width = Math.max(...methods.map((m) => m.id.length));
  out.result(
    { methods },
    methods
      .map((m) => {
        const presets = Object.keys(m.presets).filter((p) => p !== 'default');
        return `${m.id.padEnd(width)}  ${m.label} (${m.kind}${m.trains ? ', trains' : ''})${
          presets.length ? ` presets: ${presets.join(', ')}` : ''
        }${m.plugin ? ` [${m.plugin}]` : ''}\n${' '.repeat(width + 2)}${m.description}`;
      })
      .join('\n'),
  );
}

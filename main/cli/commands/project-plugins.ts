/**
 * `stsr project plugins [FILE …] [--clear]`: the SR method plugins of the project's settings. With
 * files, each is loaded first (a file that does not load is refused and nothing is changed), then
 * the list is replaced; without, the list is shown. The app and `stsr sr` load them on open.
 */
import { resolve } from 'node:path';
import { loadPlugin } from '../../engine/methods/registry';
import { projectPlugins, setProjectPlugins } from '../../engine/methods/plugins';
import { openProject } from '../../engine/store/project';
import type { Output } from '../output';

export async function projectPluginsCommand(
  projectDir: string,
  files: string[],
  clear: boolean,
  out: Output,
): Promise<void> {
  const project = openProject(projectDir);
  try {
    if (clear || files.length > 0) {
      const absolute = files.map((f) => resolve(f));
      const methods: string[] = [];
      for (const f of absolute) methods.push(...(await loadPlugin(f)));
      setProjectPlugins(project, absolute);
      out.result(
        { plugins: absolute, methods },
        absolute.length > 0
          ? `Plugins of ${project.name()}: ${absolute.join(', ')} (methods ${methods.join(', ')})`
          : `Plugins of ${project.name()} cleared`,
      );
      return;
    }
    const plugins = projectPlugins(project);
    out.result({ plugins }, plugins.length ? plugins.join('\n') : `${project.name()} has no plugins`);
  } finally {
    project.close();
  }
}

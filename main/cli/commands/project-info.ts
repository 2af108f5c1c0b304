import { openProject } from '../../engine/store/project';
import { countRows } from '../../engine/store/repos/counts';
import type { Output } from '../output';

export async function projectInfo(projectDir: string, out: Output): Promise<void> {
  const project = openProject(projectDir);
  try {
    const counts = {
      samples: countRows(project.db, 'samples'),
      runs: countRows(project.db, 'runs'),
      jobs: countRows(project.db, 'jobs'),
    };
    out.result(
      { dir: project.dir, name: project.name(), schemaVersion: project.schemaVersion, counts },
      [
        `Project ${project.name()} (${project.dir})`,
        `  schema version ${project.schemaVersion}`,
        `  ${counts.samples} samples, ${counts.runs} runs, ${counts.jobs} jobs`,
      ].join('\n'),
    );
  } finally {
    project.close();
  }
}

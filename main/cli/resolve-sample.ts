import { EngineError } from '../engine/errors';
import type { Project } from '../engine/store/project';
import { findSampleByName, getSample, type SampleRow } from '../engine/store/repos/samples';
import { UsageError } from './output';

/** SAMPLE arguments accept the numeric id or the sample's name. */
export function resolveSample(project: Project, ref: string | undefined): SampleRow {
  if (!ref)
    throw new UsageError('This command needs a SAMPLE (its id or name; `stsr project info` lists counts).');
  const byName = findSampleByName(project.db, ref);
  if (byName) return byName;
  const row = /^\d+$/.test(ref) ? getSample(project.db, Number(ref)) : undefined;
  if (!row)
    throw new EngineError('NOT_FOUND', `No sample "${ref}" in ${project.dir}.`, {
      hint: 'Import it first with `stsr import PATH`.',
    });
  return row;
}

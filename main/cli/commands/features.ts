import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDerivedExtractor } from '../../engine/features/derived-store';
import { openProject } from '../../engine/store/project';
import type { ExtractFeaturesParams, ExtractFeaturesResult } from '../../engine/tasks/extract-features';
import { UsageError, type Output } from '../output';
import { resolveSample } from '../resolve-sample';
import { runJob } from '../run-job';

export async function featuresCommand(
  projectDir: string,
  ref: string | undefined,
  opts: { extractor?: string },
  out: Output,
): Promise<void> {
  const params: Omit<ExtractFeaturesParams, 'sampleId'> = {};
  if (opts.extractor && isDerivedExtractor(opts.extractor)) {
    params.extractor = opts.extractor;
  } else if (opts.extractor && opts.extractor !== 'builtin') {
    const file = resolve(opts.extractor);
    if (!existsSync(file)) throw new UsageError(`--extractor ${opts.extractor}: no such ONNX file.`);
    params.extractor = file;
  }
  // --provider is a global flag (compute-flags.ts): the extractor's session picks it up.
  const project = openProject(projectDir);
  try {
    const sample = resolveSample(project, ref);
    const r = (await runJob(
      project,
      'features.extract',
      { ...params, sampleId: sample.id },
      out,
    )) as ExtractFeaturesResult;
    if (r.warning) out.note(`warning: ${r.warning}`);
    out.result(
      { ...r },
      `Feature set ${r.featureSetId} of ${sample.name}: ${r.superpixels} superpixels (${r.tissueSuperpixels} on tissue) × ${r.dim} (${r.extractor}, ${r.provider}) in ${r.seconds.toFixed(1)} s`,
    );
  } finally {
    project.close();
  }
}

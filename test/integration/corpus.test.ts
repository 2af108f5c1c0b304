/**
 * The malformed-input corpus in `npm test` (issue #16): every case of test/corpus/cases.ts, built
 * from ../shared/data now, imported into one project that already holds a good sample. Each must
 * give its clear error and leave the project's arrays, pyramids and sample rows as they were.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../../main/engine/store/project';
import { run as importTask } from '../../main/engine/tasks/import-sample';
import { CASES } from '../corpus/cases';
import { describeOutcome, runCaseInline, type CaseOutcome } from '../corpus/run-case';
import { sharedData } from '../helpers/paths';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('stsr-corpus-');
const projectDir = join(tmp.dir, 'project');
const outcomes: CaseOutcome[] = [];

beforeAll(async () => {
  createProject(projectDir).close();
  // a good sample first, so "unchanged" covers real rows and arrays
  await importTask(
    { path: sharedData('her2st', 'C1') },
    { projectDir, jobId: 1, signal: new AbortController().signal, progress: () => undefined },
  );
});
afterAll(() => tmp.cleanup());

describe('malformed-input corpus', () => {
  it('has at least 60 cases across every reader', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    expect(new Set(CASES.map((c) => c.reader))).toEqual(
      new Set(['legacy-st', 'space-ranger', '10x-h5', '10x-mex', 'h5ad', 'xenium', 'image', 'filesystem']),
    );
  });

  it.each(CASES.map((c, i) => [c.id, c, i] as const))(
    '%s',
    async (_id, c, i) => {
      const o = await runCaseInline(c, join(tmp.dir, 'cases', c.id), projectDir, 1000 + i, 60_000);
      outcomes.push(o);
      expect(o.verdict, describeOutcome(o)).toBe('clear-error');
      expect(o.projectChanged, describeOutcome(o)).toBe(false);
    },
    90_000,
  );
});

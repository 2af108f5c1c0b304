import { describe, expect, it } from 'vitest';
import { parseComputeFlags, splitComputeFlags } from '../../../main/cli/compute-flags';
import { EXIT_CODES, errorJson, exitCodeFor, UsageError } from '../../../main/cli/output';
import { EngineError } from '../../../main/engine/errors';
import { computeChoiceFrom, setComputeChoice } from '../../../main/engine/onnx';

describe('global compute flags', () => {
  it('takes --threads and --provider out of the command line wherever they stand', () => {
    expect(
      splitComputeFlags(['sr', 'C2', '--threads', '3', '--method', 'interp', '--provider=cuda', '--json']),
    ).toEqual({
      rest: ['sr', 'C2', '--method', 'interp', '--json'],
      raw: { threads: '3', provider: 'cuda' },
    });
    expect(splitComputeFlags(['bench', '--data', 'x'])).toEqual({ rest: ['bench', '--data', 'x'], raw: {} });
    expect(() => splitComputeFlags(['sr', '--threads'])).toThrow(/--threads needs a value/);
    expect(() => splitComputeFlags(['sr', '--threads', '--json'])).toThrow(/--threads needs a value/);
  });

  it('validates values as usage errors (exit 2)', () => {
    expect(parseComputeFlags({ threads: '4', provider: 'dml' })).toEqual({ threads: 4, provider: 'dml' });
    for (const bad of [{ threads: '0' }, { threads: '2.5' }, { threads: 'all' }, { provider: 'tpu' }]) {
      let caught: unknown;
      try {
        parseComputeFlags(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect(exitCodeFor(caught)).toBe(2);
    }
  });

  it('records the choice in the environment that job workers inherit, and reads it back', () => {
    const env: NodeJS.ProcessEnv = {};
    setComputeChoice({ threads: 2, provider: 'cpu' }, env);
    expect(env).toEqual({ STSR_THREADS: '2', STSR_PROVIDER: 'cpu' });
    expect(computeChoiceFrom(env)).toEqual({ threads: 2, provider: 'cpu' });
    expect(computeChoiceFrom({ STSR_THREADS: '' })).toEqual({});
    expect(() => computeChoiceFrom({ STSR_PROVIDER: 'gpu' })).toThrow(/STSR_PROVIDER must be one of/);
  });
});

describe('failure reasons and exit codes', () => {
  it('maps every failure kind to its documented exit code', () => {
    expect(EXIT_CODES).toEqual({
      INTERNAL: 1,
      CONFLICT: 1,
      UNSUPPORTED: 1,
      CORRUPT: 1,
      SCHEMA_TOO_NEW: 1,
      BAD_INPUT: 2,
      FORBIDDEN: 2,
      NOT_FOUND: 3,
      NO_PROJECT: 3,
      CANCELLED: 4,
    });
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    // a failed job's stored error can carry a Node code (ENOENT): still a failure, never 0
    const fromJob = new EngineError('ENOENT' as EngineError['code'], 'no such file');
    expect(exitCodeFor(fromJob)).toBe(1);
    expect(errorJson(fromJob).code).toBe('INTERNAL');
  });

  it('gives the code, message, hint, file and exit code as JSON', () => {
    const err = new EngineError('BAD_INPUT', 'Counts file x.tsv: line 3 has 2 fields, expected 5.', {
      file: '/d/x.tsv',
      hint: 'Check the file.',
    });
    expect(errorJson(err)).toEqual({
      code: 'BAD_INPUT',
      message: 'Counts file x.tsv: line 3 has 2 fields, expected 5.',
      hint: 'Check the file.',
      file: '/d/x.tsv',
      exitCode: 2,
    });
    expect(errorJson(new TypeError('x is undefined'))).toEqual({
      code: 'INTERNAL',
      message: 'x is undefined',
      exitCode: 1,
    });
  });
});

import { EngineError } from '../engine/errors';

/** How a command reports: human text or, with --json, one JSON object as the LAST stdout line. */
export interface Output {
  json: boolean;
  result(value: Record<string, unknown>, human: string): void;
  /** progress and notes go to stderr so stdout stays machine-readable */
  note(text: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
      else process.stdout.write(`${human}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

/** Exit codes: 0 ok, 1 failure, 2 bad usage or input, 3 not found, 4 cancelled. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof EngineError)) return 1;
  switch (err.code) {
    case 'BAD_INPUT':
    case 'FORBIDDEN':
      return 2;
    case 'NOT_FOUND':
    case 'NO_PROJECT':
      return 3;
    case 'CANCELLED':
      return 4;
    default:
      return 1;
  }
}

export class UsageError extends EngineError {
  constructor(message: string) {
    super('BAD_INPUT', message, { hint: 'Run `stsr --help` for usage.' });
  }
}

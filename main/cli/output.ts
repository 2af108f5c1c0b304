import { EngineError, type ErrorCode } from '../engine/errors';

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

/**
 * The exit code of each failure kind (the error's code). Scripts and schedulers branch on these;
 * the same code is in the --json error object. Changing a number here is a breaking change.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
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
};

/** What each exit code means, for --help (README and docs/cohort.md carry the same table). */
export const EXIT_CODE_HELP = `Exit codes (the --json error's "code" in brackets):
  0 ok
  1 failure [INTERNAL, CONFLICT, UNSUPPORTED, CORRUPT, SCHEMA_TOO_NEW]
  2 bad usage or input [BAD_INPUT, FORBIDDEN]
  3 not found [NOT_FOUND, NO_PROJECT]
  4 cancelled [CANCELLED]
`;

/** The failure kind of any thrown value: an EngineError's code, else INTERNAL. */
export function errorCodeOf(err: unknown): ErrorCode {
  // A job's stored error may carry a code from outside the contract (a Node fs code such as
  // ENOENT, read back from the jobs table): that is an internal failure, never exit code 0.
  return err instanceof EngineError && Object.hasOwn(EXIT_CODES, err.code) ? err.code : 'INTERNAL';
}

export function exitCodeFor(err: unknown): number {
  return EXIT_CODES[errorCodeOf(err)];
}

/** The machine-readable failure reason printed as `{"error": …}` with --json. */
export function errorJson(err: unknown): {
  code: ErrorCode;
  message: string;
  hint?: string;
  file?: string;
  exitCode: number;
} {
  const message = err instanceof Error ? err.message : String(err);
  const e = err instanceof EngineError ? err : undefined;
  return {
    code: errorCodeOf(err),
    message,
    ...(e?.hint ? { hint: e.hint } : {}),
    ...(e?.file ? { file: e.file } : {}),
    exitCode: exitCodeFor(err),
  };
}

export class UsageError extends EngineError {
  constructor(message: string) {
    super('BAD_INPUT', message, { hint: 'Run `stsr --help` for usage.' });
  }
}

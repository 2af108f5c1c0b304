import type { ApiErrorCode } from '../../preload/contract/errors';

/**
 * Errors the engine raises on purpose. Every one says what is wrong and, where it can, which file
 * and what to do: front doors (IPC, HTTP, CLI) show `message` to the user as it is and keep `code`
 * for programs.
 */
/** The contract's codes minus the ones only a transport produces. */
export type ErrorCode = Exclude<ApiErrorCode, 'UNKNOWN_METHOD'>;

export class EngineError extends Error {
  readonly code: ErrorCode;
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { file?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.file = options.file;
    this.hint = options.hint;
  }
}

export function badInput(
  message: string,
  options: { file?: string; hint?: string; cause?: unknown } = {},
): EngineError {
  return new EngineError('BAD_INPUT', message, options);
}

export function cancelled(): EngineError {
  return new EngineError('CANCELLED', 'Cancelled by the user.');
}

/** Throws the engine's CANCELLED error if the signal has fired; long loops call it between chunks. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

import type { z } from 'zod';
import type { ApiErrorBody } from '../../../preload/contract';
import { EngineError } from '../errors';

/** Turns anything thrown by a handler into the contract's error body; unknown errors stay INTERNAL. */
export function toApiError(err: unknown): ApiErrorBody {
  if (err instanceof EngineError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.file ? { file: err.file } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'INTERNAL',
    message: `Unexpected error: ${message}`,
    hint: 'Please report this with the log file.',
  };
}

export function validationError(method: string, error: z.ZodError): ApiErrorBody {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
  const first = issues[0];
  return {
    code: 'BAD_INPUT',
    message: `Invalid input to ${method}: ${first ? `${first.path}: ${first.message}` : 'malformed'}`,
    issues,
  };
}

/** The one error shape every transport carries; `code` mirrors the engine's ErrorCode. */
export type ApiErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CANCELLED'
  | 'UNSUPPORTED'
  | 'CORRUPT'
  | 'SCHEMA_TOO_NEW'
  | 'FORBIDDEN'
  | 'NO_PROJECT'
  | 'UNKNOWN_METHOD'
  | 'INTERNAL';

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  hint?: string;
  file?: string;
  /** zod issues for BAD_INPUT coming from validation: where in the input and what is wrong */
  issues?: { path: string; message: string }[];
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

import type { ApiErrorBody } from '../../../preload/contract';

/** What a failed API call throws, so UI code can `catch` and show a toast with the hint. */
export class ApiError extends Error {
  readonly body: ApiErrorBody;
  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.body = body;
  }
}

export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return err.body;
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

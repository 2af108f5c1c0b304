import { basename } from 'node:path';
import { EngineError, type ErrorCode } from '../errors';

/**
 * What went wrong in an input, as a stable tag: the broken-input corpus asserts on it and the UI
 * can key help text on it, while `message` stays free to improve.
 */
export type ImportProblem =
  | 'not-found'
  | 'empty-file'
  | 'truncated'
  | 'not-utf8'
  | 'wrong-delimiter'
  | 'bad-header'
  | 'bad-row'
  | 'bad-number'
  | 'negative-count'
  | 'non-finite-count'
  | 'duplicate-spot'
  | 'id-mismatch'
  | 'no-spots'
  | 'missing-file'
  | 'missing-image'
  | 'bad-image'
  | 'outside-image'
  | 'wrong-scale'
  | 'bad-structure'
  | 'not-a-file'
  | 'too-large'
  | 'unsupported';

/** An import failure that names the file, where in it (line/field) and what to do. */
export class ImportError extends EngineError {
  readonly problem: ImportProblem;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(
    problem: ImportProblem,
    message: string,
    options: {
      file?: string;
      line?: number;
      field?: string;
      hint?: string;
      cause?: unknown;
      code?: ErrorCode;
    } = {},
  ) {
    super(options.code ?? codeFor(problem), message, options);
    this.name = 'ImportError';
    this.problem = problem;
    this.line = options.line;
    this.field = options.field;
  }
}

function codeFor(problem: ImportProblem): ErrorCode {
  if (problem === 'not-found' || problem === 'missing-file' || problem === 'missing-image')
    return 'NOT_FOUND';
  if (problem === 'truncated') return 'CORRUPT';
  if (problem === 'unsupported') return 'UNSUPPORTED';
  return 'BAD_INPUT';
}

/**
 * Builds the one message shape every reader uses:
 * "<file> line 12, field "pixel_x": <what is wrong>. <what to do>"
 * The full path goes in `file`; the message shows the file name so it stays readable.
 */
export function importError(
  problem: ImportProblem,
  file: string,
  what: string,
  hint: string,
  where: { line?: number; field?: string; cause?: unknown } = {},
): ImportError {
  const at: string[] = [];
  if (where.line !== undefined) at.push(`line ${where.line}`);
  if (where.field !== undefined) at.push(`field "${where.field}"`);
  const loc = at.length > 0 ? ` ${at.join(', ')}` : '';
  return new ImportError(problem, `${basename(file)}${loc}: ${what}. ${hint}`, {
    file,
    hint,
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.field !== undefined ? { field: where.field } : {}),
    ...(where.cause !== undefined ? { cause: where.cause } : {}),
  });
}

/**
 * A decoder failing part-way through the image (a JPEG or PNG cut short passes the header probe)
 * surfaces as a bare libvips/geotiff message; this names the file and the problem instead. Used
 * wherever pixels are decoded: the import's pyramid build, and every later read of the slide
 * (features, figures), since the image stays where the user keeps it and may change after import.
 * The engine's own errors (cancelled, already named) pass through unchanged.
 */
export function decodeFailure(image: string, cause: unknown): unknown {
  if (cause instanceof EngineError) return cause;
  const msg = cause instanceof Error ? cause.message.trim().split('\n')[0]! : String(cause);
  const short = /premature end|truncat|unexpected end|not enough data|read error|EOF/i.test(msg);
  return importError(
    short ? 'truncated' : 'bad-image',
    image,
    short
      ? `the image is cut short: decoding stopped part-way (${msg})`
      : `the image cannot be decoded (${msg})`,
    'The copy or download was probably interrupted, or the file is damaged: copy or export it again.',
    { cause },
  );
}

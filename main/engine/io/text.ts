import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MAX_TEXT_BYTES, requireRegularFile } from './input-limits';
import { importError } from './problems';

/**
 * Text tables (Space Ranger positions CSV, ST-pipeline TSVs, 10x MEX side files) are read whole:
 * the largest real one (a HER2ST counts TSV) is ~30 MB unpacked. They are machine-written with no
 * quoting, so splitting on the delimiter is the whole grammar; a CSV library would add nothing
 * but a dependency (we still reject quoted fields explicitly rather than misread them).
 */

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function requireFile(path: string, what: string, hint: string): void {
  if (!existsSync(path)) throw importError('missing-file', path, `${what} is missing`, hint);
}

/** Reads bytes, transparently un-gzipping by magic number (not by the .gz suffix). */
export function readBytes(path: string): Buffer {
  if (!existsSync(path)) {
    throw importError('not-found', path, 'file not found', 'Check the path, or pick the folder again.');
  }
  const st = requireRegularFile(path);
  if (st.isDirectory()) {
    throw importError('bad-structure', path, 'expected a file but found a folder', 'Pick the file itself.');
  }
  if (st.size > MAX_TEXT_BYTES) {
    throw importError(
      'too-large',
      path,
      `the file is ${(st.size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_TEXT_BYTES / 2 ** 20} MiB a text table may be`,
      'Check that this is the counts or positions table; split or compress it otherwise.',
    );
  }
  const raw = readFileSync(path);
  if (raw.length === 0) {
    throw importError(
      'empty-file',
      path,
      'the file is empty (0 bytes)',
      'Copy the file again from its source.',
    );
  }
  if (raw[0] === GZIP_MAGIC_0 && raw[1] === GZIP_MAGIC_1) {
    let out: Buffer;
    try {
      out = gunzipSync(raw, { maxOutputLength: MAX_TEXT_BYTES });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw importError(
          'too-large',
          path,
          `the gzip stream inflates to more than ${MAX_TEXT_BYTES / 2 ** 20} MiB (a gzip bomb, or not a table)`,
          'Check that this is the counts or positions table the format expects.',
          { cause },
        );
      }
      throw importError(
        'truncated',
        path,
        `the gzip stream is damaged or cut short (${(cause as Error).message})`,
        'The download or copy was probably interrupted: copy the file again.',
        { cause },
      );
    }
    if (out.length === 0) {
      throw importError(
        'empty-file',
        path,
        'the file is empty once un-gzipped',
        'Copy the file again from its source.',
      );
    }
    return out;
  }
  if (/\.gz$/i.test(path)) {
    throw importError(
      'bad-structure',
      path,
      'the file is named .gz but is not gzip-compressed (no gzip signature)',
      'Copy the file again from its source; it may be damaged or a different file renamed.',
    );
  }
  return raw;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly; a byte that is not UTF-8 is reported with its line number. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    // Strip a BOM: Excel-saved tables start with one and it would glue itself to the first name.
    const text = utf8.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (cause) {
    const loose = new TextDecoder('utf-8').decode(bytes);
    const at = loose.indexOf('\ufffd');
    const line = at < 0 ? undefined : countNewlines(loose, at) + 1;
    throw importError(
      'not-utf8',
      path,
      'the text is not valid UTF-8 (names with accents or symbols saved in another encoding, e.g. Latin-1)',
      'Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).',
      { ...(line !== undefined ? { line } : {}), cause },
    );
  }
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export function readText(path: string): string {
  return decodeUtf8(readBytes(path), path);
}

export interface TextLine {
  /** 1-based line number in the file */
  no: number;
  text: string;
}

/** Non-empty lines with their numbers; a trailing newline or CRLF endings are not an error. */
export function textLines(text: string): TextLine[] {
  const out: TextLine[] = [];
  const parts = text.split('\n');
  for (let i = 0; i < parts.length; i++) {
    let t = parts[i]!;
    if (t.endsWith('\r')) t = t.slice(0, -1);
    if (t.trim().length === 0) continue;
    out.push({ no: i + 1, text: t });
  }
  return out;
}

const NAMES: Record<string, string> = { '\t': 'tab', ',': 'comma', ';': 'semicolon', ' ': 'space' };

/**
 * Checks a header/first line uses the delimiter the format requires. A file saved with the wrong
 * one (a counts "TSV" exported as CSV from a spreadsheet) otherwise parses as one giant column.
 */
export function expectDelimiter(
  line: TextLine,
  delimiter: '\t' | ',',
  path: string,
  minFields: number,
): void {
  const n = line.text.split(delimiter).length;
  if (n >= minFields) return;
  const others = ['\t', ',', ';'].filter((d) => d !== delimiter && line.text.split(d).length >= minFields);
  if (others.length > 0) {
    throw importError(
      'wrong-delimiter',
      path,
      `fields are separated by ${NAMES[others[0]!]}s, but this file must be ${NAMES[delimiter]}-separated`,
      `Re-export it ${NAMES[delimiter]}-separated (spreadsheet: "Save as" ${delimiter === '\t' ? 'Tab-delimited text' : 'CSV'}).`,
      { line: line.no },
    );
  }
  throw importError(
    'bad-row',
    path,
    `expected at least ${minFields} ${NAMES[delimiter]}-separated fields, found ${n}`,
    'Check the file is the right one and complete.',
    { line: line.no },
  );
}

export function splitFields(line: TextLine, delimiter: string, path: string): string[] {
  const f = line.text.split(delimiter);
  if (line.text.includes('"')) {
    // Quotes would mean a spreadsheet re-saved it; strip simple quoting but refuse embedded delimiters.
    for (let i = 0; i < f.length; i++) {
      const v = f[i]!;
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) f[i] = v.slice(1, -1);
      else if (v.includes('"')) {
        throw importError(
          'bad-row',
          path,
          'a field contains a stray quote character',
          'Re-export the table without quoting.',
          {
            line: line.no,
          },
        );
      }
    }
  }
  return f;
}

/** Parses a finite number or throws naming the line and column. */
export function parseNumber(value: string, path: string, lineNo: number, field: string): number {
  const v = value.trim();
  const n = v === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(n)) {
    throw importError(
      'bad-number',
      path,
      `"${value}" is not a number`,
      'Fix or remove that row; every coordinate must be a plain number.',
      { line: lineNo, field },
    );
  }
  return n;
}

/** Parses a JSON file, or throws the import error that names it and says which tool wrote it. */
export function readJson(path: string, writer: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    // V8's message quotes the start of the text; a symlinked secret must not end up in an error,
    // so only the position is reported.
    const at = /position (\d+)/.exec((cause as Error).message);
    const where = at ? ` at line ${countNewlines(text, Number(at[1])) + 1}` : '';
    throw importError('bad-structure', path, `not valid JSON${where}`, `Restore the file ${writer} wrote.`, {
      cause,
      ...(at ? { line: countNewlines(text, Number(at[1])) + 1 } : {}),
    });
  }
}

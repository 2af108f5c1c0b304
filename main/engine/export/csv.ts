/**
 * CSV exports: one row per spot (or superpixel) with id, x, y (full-res px), x_um, y_um (µm from
 * the image origin), annotations/domains and the chosen genes (wide: one column per gene). Written streamed and atomically; SR rows are pulled from the row source in
 * blocks so the whole matrix is never in memory.
 */
import { hasNormalisedValues, type Sample } from '../io/sample';
import { writeTextAtomic } from './atomic';
import type { CategoricalColumn, Column } from './h5/dataframe';
import { logNormalize } from '../analysis/normalise';
import { superpixelIds, type SrExportInput } from './sr-input';

export function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** float32 values carry ~7 significant digits; printing more only bloats the file */
export function csvNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '' : String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
}

/** Resolves gene names (symbol or id, case-sensitive) to column indices; unknown names throw. */
export function geneColumns(genes: Sample['genes'], wanted: string[]): number[] {
  const bySymbol = new Map(genes.map((g, i) => [g.symbol, i]));
  const byId = new Map(genes.map((g, i) => [g.id, i]));
  return wanted.map((w) => {
    const i = bySymbol.get(w) ?? byId.get(w);
    if (i === undefined) throw new Error(`gene "${w}" is not in this sample`);
    return i;
  });
}

function labelOf(c: CategoricalColumn, i: number): string {
  const code = c.codes[i]!;
  return code >= 0 ? c.categories[code]! : '';
}

function obsValue(c: Column, i: number): string {
  if (c.kind === 'categorical') return labelOf(c, i);
  if (c.kind === 'boolean') return c.values[i] ? 'true' : 'false';
  if (c.kind === 'string') return c.values[i] ?? '';
  return csvNumber(Number(c.values[i]));
}

export interface SpotCsvOptions {
  /** gene symbols or ids to add as columns (default none) */
  genes?: string[];
  /** raw counts (default) or log1p(CP10k) */
  values?: 'counts' | 'log1p_cp10k';
  domains?: Record<string, CategoricalColumn>;
}

export async function writeSpotCsv(
  sample: Sample,
  out: string,
  opts: SpotCsvOptions = {},
): Promise<{ path: string; rows: number; columns: number; bytes: number }> {
  const cols = geneColumns(sample.genes, opts.genes ?? []);
  // normalised-only samples are written as they are: normalising them again would be wrong
  const m =
    opts.values === 'log1p_cp10k' && !hasNormalisedValues(sample)
      ? logNormalize(sample.counts)
      : sample.counts;
  const where = new Map(cols.map((c, j) => [c, j]));
  const annotations = Object.entries(sample.annotations ?? {});
  const domains = Object.entries(opts.domains ?? {});
  const hasGrid = sample.spots.every((s) => s.row !== undefined && s.col !== undefined);
  const header = [
    'id',
    'x',
    'y',
    'x_um',
    'y_um',
    ...(hasGrid ? ['array_row', 'array_col'] : []),
    ...annotations.map(([k]) => k),
    ...domains.map(([k]) => k),
    ...cols.map((c) => sample.genes[c]!.symbol),
  ];
  const bytes = await writeTextAtomic(out, (sink) => {
    sink.write(header.map(csvField).join(',') + '\n');
    const row = new Float64Array(cols.length);
    sample.spots.forEach((s, i) => {
      row.fill(0);
      for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
        const j = where.get(m.indices[k]!);
        if (j !== undefined) row[j] = m.data[k]!;
      }
      const fields = [csvField(s.id), csvNumber(s.x), csvNumber(s.y)];
      fields.push(csvNumber(s.x * sample.umPerPx), csvNumber(s.y * sample.umPerPx));
      if (hasGrid) fields.push(String(s.row), String(s.col));
      for (const [, labels] of annotations) fields.push(csvField(labels[i] ?? ''));
      for (const [, c] of domains) fields.push(csvField(labelOf(c, i)));
      for (let j = 0; j < cols.length; j++) fields.push(csvNumber(row[j]!));
      sink.write(fields.join(',') + '\n');
    });
  });
  return { path: out, rows: sample.spots.length, columns: header.length, bytes };
}

export interface SrCsvOptions {
  /** gene symbols or ids (default: all genes of the SR output) */
  genes?: string[];
  /** superpixel rows per block read from the source */
  blockRows?: number;
}

export async function writeSrCsv(
  input: SrExportInput,
  out: string,
  opts: SrCsvOptions = {},
): Promise<{ path: string; rows: number; columns: number; bytes: number }> {
  const sp = input.superpixels;
  const n = sp.x.length;
  const cols = opts.genes ? geneColumns(input.genes, opts.genes) : input.genes.map((_, i) => i);
  const ids = superpixelIds(sp);
  const domains = Object.entries(input.domains ?? {});
  const hasGrid = Boolean(sp.row && sp.col);
  const header = [
    'id',
    'x',
    'y',
    'x_um',
    'y_um',
    ...(hasGrid ? ['array_row', 'array_col'] : []),
    ...Object.keys(input.obs ?? {}),
    ...domains.map(([k]) => k),
    ...cols.map((c) => input.genes[c]!.symbol),
  ];
  const g = input.expression.nCols;
  const step = opts.blockRows ?? Math.max(1, Math.floor((1 << 22) / Math.max(1, g)));
  const bytes = await writeTextAtomic(out, async (sink) => {
    sink.write(header.map(csvField).join(',') + '\n');
    for (let a = 0; a < n; a += step) {
      const b = Math.min(n, a + step);
      const block = await input.expression.readRows(a, b);
      for (let i = a; i < b; i++) {
        const fields = [csvField(ids[i]!), csvNumber(sp.x[i]!), csvNumber(sp.y[i]!)];
        fields.push(csvNumber(sp.x[i]! * input.umPerPx), csvNumber(sp.y[i]! * input.umPerPx));
        if (hasGrid) fields.push(String(sp.row![i]), String(sp.col![i]));
        for (const c of Object.values(input.obs ?? {})) fields.push(csvField(obsValue(c, i)));
        for (const [, c] of domains) fields.push(csvField(labelOf(c, i)));
        const off = (i - a) * g;
        for (const c of cols) fields.push(csvNumber(block[off + c]!));
        sink.write(fields.join(',') + '\n');
      }
    }
  });
  return { path: out, rows: n, columns: header.length, bytes };
}

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { LatticeKind, ReadOptions, Sample, Spot } from './sample';
import { ImportError, importError } from './problems';
import { expectDelimiter, parseNumber, readText, splitFields, textLines, type TextLine } from './text';
import { buildGenes, checkSpotsInImage, checkUmPerPx, CsrBuilder, imageRef } from './common';
import { userImage, userImageNote } from './images';
import { leastSquares } from '../analysis/lattice';

/**
 * Legacy Spatial Transcriptomics (ST pipeline / STUtility layout, e.g. HER2ST and the MOB data):
 * a spots × genes counts TSV (spot id "<x>x<y>"), a spot selection / alignment TSV
 * (x y new_x new_y pixel_x pixel_y selected), the H&E, and optionally pathologist labels.
 */

/** The 1k ST array: 100 µm spots, 200 µm centre to centre on a square lattice (Ståhl et al. 2016). */
export const ST_SQUARE_PITCH_UM = 200;
/**
 * Hex-packed ST arrays (the STUtility MOB data): the data README assumes 100 µm between
 * neighbouring spots. Not stated by the source; the user can override µm/px.
 */
export const ST_HEX_NEIGHBOUR_UM = 100;
export const ST_SPOT_DIAMETER_UM = 100;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.svs', '.btf']);
const SPOT_ID = /^(-?\d+(?:\.\d+)?)x(-?\d+(?:\.\d+)?)$/;

type TableKind = 'counts' | 'selection' | 'labels' | 'genemap' | 'other';

interface Table {
  path: string;
  lines: TextLine[];
}

function classify(t: Table): TableKind {
  const head = t.lines[0]?.text.split('\t').map((s) => s.trim().replace(/^"|"$/g, '')) ?? [];
  const has = (k: string) => head.includes(k);
  if (has('gene_id') && has('gene_name')) return 'genemap';
  if (has('label') && has('pixel_x')) return 'labels';
  if (has('x') && has('y') && has('pixel_x') && has('pixel_y')) return 'selection';
  const second = t.lines[1]?.text.split('\t')[0]?.replace(/^"|"$/g, '');
  if (head.length >= 2 && second !== undefined && SPOT_ID.test(second)) return 'counts';
  return 'other';
}

const SELECTION_NAME = /selection|alignment_table/i;

function isTableName(name: string): boolean {
  return /\.(tsv|txt)(\.gz)?$/i.test(name) && !name.startsWith('.');
}

/** True when a folder looks like legacy ST (used by detection; reads only headers of small files). */
export function looksLikeLegacySt(dir: string): boolean {
  const files = readdirSync(dir).filter(isTableName);
  // A table named like an ST selection is enough: if it cannot be read, the reader says why.
  if (files.some((f) => SELECTION_NAME.test(f))) return true;
  return files.some((f) => {
    const p = join(dir, f);
    if (statSync(p).size > 5e6) return false;
    try {
      return classify({ path: p, lines: textLines(readText(p)).slice(0, 2) }) === 'selection';
    } catch {
      return false;
    }
  });
}

export async function readLegacySt(input: string, opts: ReadOptions = {}): Promise<Sample> {
  const inputAbs = resolve(input);
  const isFile = statSync(inputAbs).isFile();
  const dir = isFile ? dirname(inputAbs) : inputAbs;
  const warnings: string[] = [];
  const notes: Record<string, string> = {};

  const tables: Table[] = readdirSync(dir)
    .filter(isTableName)
    .map((f) => join(dir, f))
    .map((p) => ({ path: p, lines: textLines(readText(p)) }));
  const byKind = (k: TableKind) => tables.filter((t) => classify(t) === k);

  let counts: Table | undefined;
  if (isFile) {
    counts = tables.find((t) => t.path === inputAbs);
    if (!counts || classify(counts) !== 'counts') {
      const lines = counts?.lines ?? textLines(readText(inputAbs));
      if (lines.length > 0) expectDelimiter(lines[0]!, '\t', inputAbs, 2);
      throw importError(
        'bad-header',
        inputAbs,
        'this is not an ST counts table (expected a header of gene names and rows starting with a spot id like "10x21")',
        'Pick the counts TSV of the sample, or its folder.',
        { line: lines[0]?.no ?? 1 },
      );
    }
  } else {
    const found = byKind('counts');
    if (found.length === 0) {
      // A counts table saved with the wrong delimiter is not recognised as one: say so precisely.
      for (const t of tables) {
        if (t.lines.length > 1 && /^"?\d+x\d+"?[,;]/.test(t.lines[1]!.text))
          expectDelimiter(t.lines[0]!, '\t', t.path, 2);
        // a header of genes and nothing under it: name that file, not the folder
        if (
          t.lines.length === 1 &&
          !SELECTION_NAME.test(basename(t.path)) &&
          t.lines[0]!.text.split('\t').length > 10
        ) {
          throw importError(
            'no-spots',
            t.path,
            `the counts table has a header of ${t.lines[0]!.text.split('\t').length - 1} genes but no spot rows`,
            'Copy the file again from its source; it was probably cut short.',
            { line: 2 },
          );
        }
      }
      throw importError(
        'missing-file',
        dir,
        'no counts table found (a TSV with gene names in the header and spot ids like "10x21" in the first column)',
        'Add the counts file (.tsv or .tsv.gz) to the folder.',
      );
    }
    if (found.length > 1) {
      throw importError(
        'bad-structure',
        dir,
        `found ${found.length} counts tables (${found.map((t) => basename(t.path)).join(', ')})`,
        'Import one sample at a time: pick its counts file instead of the folder.',
      );
    }
    counts = found[0]!;
  }

  const selections = byKind('selection');
  const named = tables.find((t) => SELECTION_NAME.test(basename(t.path)));
  if (selections.length === 0 && named) {
    // a selection by its name whose header is not one: say what is wrong with that file
    if (named.lines.length > 0) expectDelimiter(named.lines[0]!, '\t', named.path, 7);
    throw importError(
      'bad-header',
      named.path,
      'this spot selection table has no header row "x y new_x new_y pixel_x pixel_y selected"',
      'Restore the header row, or copy the table again from its source.',
      { line: named.lines[0]?.no ?? 1 },
    );
  }
  if (selections.length === 0) {
    throw importError(
      'missing-file',
      dir,
      'no spot selection / alignment table found (header "x y new_x new_y pixel_x pixel_y selected")',
      'Add the *_selection.tsv or alignment_table_*.tsv of the sample; it gives each spot its image position.',
    );
  }
  const stem = basename(counts.path).replace(/\.(tsv|txt)(\.gz)?$/i, '');
  const selection =
    selections.length === 1
      ? selections[0]!
      : (selections.find((t) => basename(t.path).includes(stem)) ?? selections[0]!);
  if (selections.length > 1)
    warnings.push(`Several selection tables in ${dir}; used ${basename(selection.path)}.`);

  // ---- selection table
  const sel = parseSelection(selection);

  // ---- counts
  const parsed = parseCounts(counts);
  notes.counts = basename(counts.path);
  notes.positions = `${basename(selection.path)} pixel_x, pixel_y`;

  // ---- gene symbols: Ensembl ids in the header are mapped through a genes table when one is near
  let symbols = parsed.genes;
  const looksEnsembl =
    parsed.genes.length > 0 && parsed.genes.slice(0, 20).every((g) => /^ENS[A-Z]*G\d+/.test(g));
  const files = [counts.path, selection.path];
  if (looksEnsembl) {
    const map = findGeneMap(dir, tables);
    if (map) {
      const stripped = new Map<string, string>();
      for (const [id, name] of map.names) stripped.set(id.replace(/\.\d+$/, ''), name);
      let hit = 0;
      symbols = parsed.genes.map((g) => {
        const s = map.names.get(g) ?? stripped.get(g.replace(/\.\d+$/, ''));
        if (s !== undefined) hit++;
        return s ?? g;
      });
      notes.symbols = `${basename(map.path)} (${hit}/${parsed.genes.length} ids mapped)`;
      files.push(map.path);
    } else {
      warnings.push(
        'Gene ids are Ensembl ids and no genes table (gene_id, gene_name) was found: symbols are the ids.',
      );
    }
  }
  const genes = buildGenes(parsed.genes, symbols, basename(counts.path), warnings);

  // ---- match spots
  const missing = parsed.spotIds.filter((id) => !sel.byId.has(id));
  // A few counted spots off the alignment table is normal (the MOB tables omit 11 edge spots of
  // 1934); most of them missing means the two files do not belong together.
  if (missing.length > 0 && missing.length * 2 <= parsed.spotIds.length) {
    warnings.push(
      `${missing.length} spots of ${basename(counts.path)} are not in ${basename(selection.path)} and were left out ` +
        `(e.g. ${missing.slice(0, 3).join(', ')}).`,
    );
  } else if (missing.length > 0) {
    throw importError(
      'id-mismatch',
      counts.path,
      `${missing.length} of ${parsed.spotIds.length} spots in the counts table are not in ${basename(selection.path)} ` +
        `(e.g. ${missing.slice(0, 3).join(', ')})`,
      'The counts and the selection table belong to different samples or arrays: pair the right files.',
    );
  }
  const keepRows: number[] = [];
  parsed.spotIds.forEach((id, r) => {
    if (sel.byId.get(id)?.selected) keepRows.push(r);
  });
  const notSelected = parsed.spotIds.length - missing.length - keepRows.length;
  const selectedNoCounts = sel.rows.filter((r) => r.selected && !parsed.index.has(r.id)).length;
  notes.spots =
    `${keepRows.length} spots with selected == 1 and counts` +
    (notSelected > 0 ? `; ${notSelected} counted spots not under tissue dropped` : '') +
    (selectedNoCounts > 0 ? `; ${selectedNoCounts} selected spots have no counts row` : '');
  if (keepRows.length === 0) {
    throw importError(
      'no-spots',
      selection.path,
      'no spot is both selected (selected == 1) and present in the counts table',
      'Check the selection table belongs to this counts table and marks the spots under tissue.',
    );
  }

  const spots: Spot[] = keepRows.map((r) => {
    const s = sel.byId.get(parsed.spotIds[r]!)!;
    return { id: parsed.spotIds[r]!, x: s.px, y: s.py, row: s.y, col: s.x };
  });
  const counted = parsed.matrix;
  const rowsKept = keepRows.length === counted.nRows ? counted : subsetRows(counted, keepRows);

  // ---- geometry
  const fit = fitLattice(sel.rows, selection.path);
  notes.lattice = `${fit.lattice}: ${fit.pxPerUnitX.toFixed(2)} px per array x, ${fit.pxPerUnitY.toFixed(2)} px per array y`;
  notes.umPerPxEstimate = `${fit.umPerPx.toFixed(4)} µm/px from regressing pixel_x on x and pixel_y on y over ${sel.rows.length} spots (${fit.basis})`;
  notes.latticeResidual = `${fit.rmsPx.toFixed(2)} px RMS (${(fit.rmsPx * fit.umPerPx).toFixed(1)} µm)`;
  let umPerPx = fit.umPerPx;
  if (opts.umPerPx !== undefined) {
    checkUmPerPx(
      opts.umPerPx,
      selection.path,
      'umPerPx',
      'Pass the pixel size in µm per full-resolution pixel (e.g. 0.69).',
    );
    umPerPx = opts.umPerPx;
    notes.umPerPx = `user override (lattice estimate ${fit.umPerPx.toFixed(4)})`;
  } else {
    checkUmPerPx(
      umPerPx,
      selection.path,
      'pixel_x',
      'Check pixel_x/pixel_y are in full-resolution image pixels, or pass --um-per-px.',
    );
    notes.umPerPx = 'lattice estimate';
  }

  // ---- image
  const imgPath = opts.imagePath ? resolve(opts.imagePath) : findImage(dir, stem, warnings);
  let image;
  if (imgPath) {
    image = opts.imagePath ? await userImage(opts, selection.path) : await imageRef(imgPath, 1);
    notes.image = opts.imagePath ? userImageNote(opts) : `${basename(imgPath)} found beside the counts`;
    files.push(imgPath);
    const lineOf = (i: number) => sel.byId.get(spots[i]!.id)?.line;
    checkSpotsInImage(spots, image, ST_SPOT_DIAMETER_UM / umPerPx / 2, selection.path, lineOf);
  } else {
    warnings.push('No H&E image found: the sample has positions but nothing to draw them on.');
  }

  // ---- labels
  let annotations: Record<string, string[]> | undefined;
  const labelTables = byKind('labels');
  if (labelTables.length > 0) {
    const lt = labelTables.find((t) => basename(t.path).includes(stem)) ?? labelTables[0]!;
    const labels = readLabels(lt, spots, warnings);
    if (labels) annotations = { label: labels };
    files.push(lt.path);
    notes.annotations = `label from ${basename(lt.path)}`;
  }

  return {
    name: opts.name ?? (isFile ? stem : basename(dir)),
    platform: 'legacy-st',
    spots,
    genes,
    counts: rowsKept,
    spotDiameterUm: ST_SPOT_DIAMETER_UM,
    lattice: fit.lattice,
    umPerPx,
    ...(image ? { image } : {}),
    ...(annotations ? { annotations } : {}),
    provenance: { reader: 'legacy-st', files, notes, warnings },
  };
}

function subsetRows(m: Sample['counts'], rows: number[]): Sample['counts'] {
  let nnz = 0;
  for (const r of rows) nnz += m.indptr[r + 1]! - m.indptr[r]!;
  const indptr = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(nnz);
  const data = new Float32Array(nnz);
  let o = 0;
  rows.forEach((r, i) => {
    const a = m.indptr[r]!;
    const b = m.indptr[r + 1]!;
    indices.set(m.indices.subarray(a, b), o);
    data.set(m.data.subarray(a, b), o);
    o += b - a;
    indptr[i + 1] = o;
  });
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, data };
}

interface SelRow {
  id: string;
  x: number;
  y: number;
  px: number;
  py: number;
  selected: boolean;
  line: number;
}

function spotKey(x: number, y: number): string {
  return `${x}x${y}`;
}

function parseSelection(t: Table): { rows: SelRow[]; byId: Map<string, SelRow> } {
  const [head, ...body] = t.lines;
  if (!head)
    throw importError('empty-file', t.path, 'the selection table has no lines', 'Copy the file again.');
  const cols = splitFields(head, '\t', t.path).map((s) => s.trim());
  const col = (name: string) => cols.indexOf(name);
  const ix = col('x');
  const iy = col('y');
  const ipx = col('pixel_x');
  const ipy = col('pixel_y');
  const isel = col('selected');
  const rows: SelRow[] = [];
  const byId = new Map<string, SelRow>();
  for (const line of body) {
    const f = splitFields(line, '\t', t.path);
    if (f.length !== cols.length) {
      throw importError(
        'bad-row',
        t.path,
        `has ${f.length} fields but the header has ${cols.length}`,
        'The file is truncated or was edited by hand: restore it from the source.',
        { line: line.no },
      );
    }
    const x = parseNumber(f[ix]!, t.path, line.no, 'x');
    const y = parseNumber(f[iy]!, t.path, line.no, 'y');
    const px = parseNumber(f[ipx]!, t.path, line.no, 'pixel_x');
    const py = parseNumber(f[ipy]!, t.path, line.no, 'pixel_y');
    const selected = isel < 0 ? true : parseNumber(f[isel]!, t.path, line.no, 'selected') === 1;
    const id = spotKey(x, y);
    if (byId.has(id)) {
      throw importError(
        'duplicate-spot',
        t.path,
        `spot ${id} appears twice (first on line ${byId.get(id)!.line})`,
        'Remove the duplicate row.',
        { line: line.no },
      );
    }
    const row = { id, x, y, px, py, selected, line: line.no };
    rows.push(row);
    byId.set(id, row);
  }
  if (rows.length === 0) {
    throw importError(
      'empty-file',
      t.path,
      'the selection table has a header but no spots',
      'Copy the file again.',
    );
  }
  return { rows, byId };
}

interface ParsedCounts {
  genes: string[];
  spotIds: string[];
  index: Map<string, number>;
  matrix: Sample['counts'];
}

function parseCounts(t: Table): ParsedCounts {
  const [head, ...body] = t.lines;
  if (!head || body.length === 0) {
    throw importError(
      'empty-file',
      t.path,
      'the counts table has no spot rows',
      'Copy the file again from its source.',
    );
  }
  expectDelimiter(head, '\t', t.path, 2);
  let genes = splitFields(head, '\t', t.path);
  const firstRowFields = body[0]!.text.split('\t').length;
  // R's write.table leaves the row-name column out of the header; pandas writes an empty cell.
  if (genes.length === firstRowFields) genes = genes.slice(1);
  else if (genes.length !== firstRowFields - 1) {
    throw importError(
      'bad-row',
      t.path,
      `the first spot row has ${firstRowFields} fields but the header names ${genes.length} genes`,
      'The file is damaged or not a spots × genes table.',
      { line: body[0]!.no },
    );
  }
  genes = genes.map((g) => g.trim());
  const nGenes = genes.length;
  const b = new CsrBuilder(nGenes);
  const spotIds: string[] = [];
  const index = new Map<string, number>();
  for (const line of body) {
    const f = line.text.split('\t');
    if (f.length !== nGenes + 1) {
      throw importError(
        'bad-row',
        t.path,
        `has ${f.length} fields, expected ${nGenes + 1} (spot id + ${nGenes} genes)`,
        'The file is truncated or damaged: copy it again from its source.',
        { line: line.no },
      );
    }
    const rawId = f[0]!.replace(/^"|"$/g, '');
    const m = SPOT_ID.exec(rawId);
    if (!m) {
      throw importError(
        'bad-row',
        t.path,
        `"${rawId}" is not an ST spot id ("<x>x<y>", e.g. 10x21)`,
        'Spots must be rows and genes columns; transpose the table if it is genes × spots.',
        { line: line.no, field: 'spot id' },
      );
    }
    const id = spotKey(Number(m[1]), Number(m[2]));
    if (index.has(id)) {
      throw importError('duplicate-spot', t.path, `spot ${id} appears twice`, 'Remove the duplicate row.', {
        line: line.no,
      });
    }
    index.set(id, spotIds.length);
    spotIds.push(id);
    for (let j = 1; j <= nGenes; j++) {
      const s = f[j]!;
      if (s === '0') continue;
      const v = Number(s);
      if (!Number.isFinite(v) || s.trim() === '') {
        throw importError(
          'non-finite-count',
          t.path,
          `count "${s}" is not a finite number`,
          'Counts must be raw numbers: re-export the counts with missing values as 0.',
          { line: line.no, field: genes[j - 1]! },
        );
      }
      if (v < 0) {
        throw importError(
          'negative-count',
          t.path,
          `count ${v} is negative`,
          'Counts must be raw read/UMI counts, not normalised or scaled values.',
          { line: line.no, field: genes[j - 1]! },
        );
      }
      if (v !== 0) b.push(j - 1, v);
    }
    b.endRow();
  }
  return { genes, spotIds, index, matrix: b.build() };
}

function findGeneMap(dir: string, tables: Table[]): { path: string; names: Map<string, string> } | undefined {
  let t = tables.find((x) => classify(x) === 'genemap');
  if (!t) {
    const parent = dirname(dir);
    const cand = readdirSync(parent).filter((f) => /genes\.tsv(\.gz)?$/i.test(f));
    for (const f of cand) {
      const p = join(parent, f);
      const tt = { path: p, lines: textLines(readText(p)) };
      if (classify(tt) === 'genemap') {
        t = tt;
        break;
      }
    }
  }
  if (!t) return undefined;
  const head = t.lines[0]!.text.split('\t');
  const iId = head.indexOf('gene_id');
  const iName = head.indexOf('gene_name');
  const names = new Map<string, string>();
  for (const line of t.lines.slice(1)) {
    const f = line.text.split('\t');
    const id = f[iId];
    const name = f[iName];
    if (id && name) names.set(id, name);
  }
  return { path: t.path, names };
}

function findImage(dir: string, stem: string, warnings: string[]): string | undefined {
  const imgs = readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()) && !f.startsWith('.'))
    .map((f) => join(dir, f));
  if (imgs.length === 0) return undefined;
  if (imgs.length === 1) return imgs[0];
  const named = imgs.find((p) => basename(p).includes(stem));
  const pick = named ?? imgs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  warnings.push(`Several images in ${dir}; used ${basename(pick)} (pass --image to choose).`);
  return pick;
}

export interface LatticeFit {
  lattice: LatticeKind;
  pxPerUnitX: number;
  pxPerUnitY: number;
  umPerPx: number;
  rmsPx: number;
  basis: string;
}

/** Least-squares v ≈ intercept + slope·u, by the lattice module's solver. */
function linfit(u: number[], v: number[]): { slope: number; intercept: number } {
  const b = leastSquares(
    u.map((x) => [1, x]),
    v,
  );
  return b ? { slope: b[1]!, intercept: b[0]! } : { slope: Number.NaN, intercept: Number.NaN };
}

/**
 * Pixel size from the array lattice: regress pixel_x on the array x and pixel_y on the array y
 * (all rows of the selection table, selected or not: all were located on the image), then divide
 * the physical spot pitch by the pitch in pixels. The RMS residual says how well spots sit on the
 * lattice; a large one means the pixel columns are not image pixels of this array.
 */
export function fitLattice(rows: readonly SelRow[], file: string): LatticeFit {
  const xs = rows.map((r) => r.x);
  const ys = rows.map((r) => r.y);
  if (new Set(xs).size < 3 || new Set(ys).size < 3) {
    throw importError(
      'wrong-scale',
      file,
      'too few distinct array positions to estimate the pixel size from the lattice',
      'Pass the pixel size with --um-per-px.',
    );
  }
  const fx = linfit(
    xs,
    rows.map((r) => r.px),
  );
  const fy = linfit(
    ys,
    rows.map((r) => r.py),
  );
  let ss = 0;
  for (const r of rows) {
    ss += (r.px - (fx.intercept + fx.slope * r.x)) ** 2 + (r.py - (fy.intercept + fy.slope * r.y)) ** 2;
  }
  const rmsPx = Math.sqrt(ss / rows.length);
  const bx = Math.abs(fx.slope);
  const by = Math.abs(fy.slope);
  // Hex packing: every spot has x + y of one parity while x takes both parities.
  const parity = new Set(rows.map((r) => (((r.x + r.y) % 2) + 2) % 2));
  const xParity = new Set(rows.map((r) => ((r.x % 2) + 2) % 2));
  const lattice: LatticeKind = parity.size === 1 && xParity.size === 2 ? 'hex' : 'square';
  let umPerPx: number;
  let basis: string;
  let unitPx: number;
  if (lattice === 'square') {
    unitPx = (bx + by) / 2;
    umPerPx = ST_SQUARE_PITCH_UM / unitPx;
    basis = `square lattice, ${ST_SQUARE_PITCH_UM} µm per array unit`;
  } else {
    unitPx = Math.min(Math.hypot(bx, by), 2 * bx, 2 * by);
    umPerPx = ST_HEX_NEIGHBOUR_UM / unitPx;
    basis = `hex-packed lattice, ${ST_HEX_NEIGHBOUR_UM} µm assumed between nearest neighbours (${unitPx.toFixed(2)} px)`;
  }
  if (!(unitPx > 0) || rmsPx > 0.3 * Math.min(bx, by)) {
    throw importError(
      'wrong-scale',
      file,
      `pixel_x/pixel_y do not follow the array lattice (RMS residual ${rmsPx.toFixed(1)} px for ${Math.min(bx, by).toFixed(1)} px per array unit)`,
      'Check pixel_x/pixel_y are the aligned image positions of this array, or pass --um-per-px.',
      { field: 'pixel_x' },
    );
  }
  return { lattice, pxPerUnitX: bx, pxPerUnitY: by, umPerPx, rmsPx, basis };
}

/** How many skipped-row reasons a warning spells out (the count is always given). */
const SKIP_REASONS_SHOWN = 3;

/**
 * Pathologist labels are optional: a row that cannot be read (coordinates "NA" beside a duplicated
 * barcode in some public HER2ST files) is skipped and counted in a warning; a table that cannot be
 * read at all is left out with a warning. Only counts, positions and image decide the import.
 */
function readLabels(t: Table, spots: readonly Spot[], warnings: string[]): string[] | undefined {
  let head: string[];
  try {
    head = splitFields(t.lines[0]!, '\t', t.path).map((s) => s.trim());
  } catch (e) {
    warnings.push(`${basename(t.path)} left out: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  // The labels header names the row-name column ("Row.names") or leaves it out (R write.table).
  const body = t.lines.slice(1);
  const width = body[0]?.text.split('\t').length ?? head.length;
  const cols = width === head.length + 1 ? ['', ...head] : head;
  const ix = cols.indexOf('x');
  const iy = cols.indexOf('y');
  const il = cols.indexOf('label');
  const byKey = new Map<string, string>();
  const skipped: string[] = [];
  for (const line of body) {
    try {
      const f = splitFields(line, '\t', t.path);
      const x = Math.round(parseNumber(f[ix] ?? '', t.path, line.no, 'x'));
      const y = Math.round(parseNumber(f[iy] ?? '', t.path, line.no, 'y'));
      const key = spotKey(x, y);
      const label = (f[il] ?? '').trim();
      const seen = byKey.get(key);
      if (seen !== undefined && seen !== label) {
        skipped.push(`line ${line.no}: spot ${x}x${y} labelled again ("${label}" after "${seen}")`);
        continue;
      }
      byKey.set(key, label);
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      // "<file> line 12, field "x": NA is not a number. <hint>" → "line 12, field "x": NA is not a number"
      skipped.push(e.message.slice(basename(t.path).length + 1).replace(/\.\s.*$/, ''));
    }
  }
  if (byKey.size === 0 && skipped.length > 0) {
    warnings.push(
      `${basename(t.path)} left out: none of its ${skipped.length} rows could be read (${skipped[0]}).`,
    );
    return undefined;
  }
  if (skipped.length > 0) {
    const shown = skipped.slice(0, SKIP_REASONS_SHOWN).join('; ');
    const more = skipped.length > SKIP_REASONS_SHOWN ? `; … ${skipped.length - SKIP_REASONS_SHOWN} more` : '';
    warnings.push(
      `${basename(t.path)}: ${skipped.length} unreadable row${skipped.length === 1 ? '' : 's'} skipped (${shown}${more}).`,
    );
  }
  let matched = 0;
  const out = spots.map((s) => {
    const l = byKey.get(spotKey(s.col!, s.row!));
    if (l !== undefined) matched++;
    return l ?? '';
  });
  if (matched < byKey.size) {
    warnings.push(
      `${basename(t.path)}: ${byKey.size - matched} labelled spots are not among the imported spots.`,
    );
  }
  if (matched < spots.length)
    warnings.push(`${spots.length - matched} spots have no label in ${basename(t.path)}.`);
  return out;
}

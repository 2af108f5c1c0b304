/**
 * The broken-input corpus: each case starts from real files in ../shared/data, breaks one thing in
 * a temp copy, and asserts the specific problem, the file and the line/field the error names.
 * Readers are pure, so each case also checks the input folder is left exactly as it was.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ImportError,
  readSample,
  type ImportProblem,
  type ReadOptions,
  type Sample,
} from '../../../main/engine/io';
import { sharedData } from '../../helpers/paths';
import { makeTempDir } from '../../helpers/tmp';
import { writeH5ad } from './fixtures';

const tmp = makeTempDir('stsr-broken-');
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (label: string) => {
  const d = join(tmp.dir, `${++n}-${label}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const SEURAT = () => sharedData('visium', 'seurat-mouse-brain-sagittal-anterior');
const SPANIEL = () => sharedData('visium', 'spaniel-mouse-brain-sagittal-posterior');

/** Copies a HER2ST sample without its 10 MB image unless asked. */
function her2st(id: string, withImage = false): string {
  const d = fresh(`her2st-${id}`);
  for (const f of readdirSync(sharedData('her2st', id))) {
    if (!withImage && f.endsWith('.jpg')) continue;
    copyFileSync(sharedData('her2st', id, f), join(d, f));
  }
  return d;
}

function visium(src: () => string, label: string): string {
  const d = fresh(label);
  cpSync(src(), d, { recursive: true });
  // shared data is read-only; the copies must be writable to be broken
  for (const p of walk(d)) chmodW(p);
  return d;
}

function walk(d: string): string[] {
  const out = [d];
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function chmodW(p: string): void {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
}

function gzText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}

function snapshot(dir: string): string {
  return walk(dir)
    .map((p) => `${p}:${statSync(p).isFile() ? statSync(p).size : 'd'}`)
    .sort()
    .join('\n');
}

async function expectProblem(
  input: string,
  problem: ImportProblem,
  where: { file?: string; line?: number; field?: string | RegExp; message?: RegExp } = {},
  opts: ReadOptions = {},
): Promise<ImportError> {
  const root = statSync(input).isDirectory() ? input : join(input, '..');
  const before = snapshot(root);
  let err: unknown;
  try {
    await readSample(input, opts);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${problem}`).toBeInstanceOf(ImportError);
  const ie = err as ImportError;
  expect({ problem: ie.problem, message: ie.message }).toMatchObject({ problem });
  if (where.file) expect(basename(ie.file ?? '')).toBe(where.file);
  if (where.line !== undefined) expect(ie.line).toBe(where.line);
  if (where.field instanceof RegExp) expect(ie.field).toMatch(where.field);
  else if (where.field !== undefined) expect(ie.field).toBe(where.field);
  if (where.message) expect(ie.message).toMatch(where.message);
  // every message says what to do
  expect(ie.hint?.length ?? 0).toBeGreaterThan(10);
  expect(ie.message).toContain(ie.hint!);
  expect(snapshot(root)).toBe(before);
  return ie;
}

describe('broken inputs give their specific error (built from real files)', () => {
  it('1. truncated 10x h5', async () => {
    const d = visium(SEURAT, 'trunc-h5');
    truncateSync(join(d, 'filtered_feature_bc_matrix.h5'), 60_000);
    await expectProblem(d, 'truncated', { file: 'filtered_feature_bc_matrix.h5' });
  });

  it('2. barcodes of the matrix missing from the positions', async () => {
    const d = visium(SEURAT, 'mismatch');
    const p = join(d, 'spatial', 'tissue_positions_list.csv');
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll('-1,', '-2,'));
    await expectProblem(d, 'id-mismatch', {
      file: 'filtered_feature_bc_matrix.h5',
      message: /2695 of 2695 barcodes/,
    });
  });

  it('3. header-less v2 positions are read by content, with a warning', async () => {
    const d = visium(SEURAT, 'v2-no-header');
    renameSync(join(d, 'spatial', 'tissue_positions_list.csv'), join(d, 'spatial', 'tissue_positions.csv'));
    const s: Sample = await readSample(d);
    expect(s.spots.length).toBe(2695);
    expect(s.provenance.warnings.join(' ')).toMatch(/tissue_positions.csv has no header row/);
  });

  it('4. NaN in the counts names the line and the gene', async () => {
    const d = her2st('C2');
    const lines = gzText(join(d, 'C2.tsv.gz')).split('\n');
    const f = lines[4]!.split('\t');
    f[11] = 'NaN';
    lines[4] = f.join('\t');
    writeFileSync(join(d, 'C2.tsv.gz'), gzipSync(lines.join('\n')));
    const gene = lines[0]!.split('\t')[11]!;
    await expectProblem(d, 'non-finite-count', { file: 'C2.tsv.gz', line: 5, field: gene });
  });

  it('5. a negative count in a MEX matrix names its line', async () => {
    const d = visium(SPANIEL, 'negative');
    const p = join(d, 'outs', 'filtered_feature_bc_matrix', 'matrix.mtx.gz');
    const lines = gzText(p).split('\n');
    let i = 0;
    while (lines[i]!.startsWith('%')) i++;
    const k = i + 10; // 10th entry after the size line
    const f = lines[k]!.split(' ');
    f[2] = '-3';
    lines[k] = f.join(' ');
    writeFileSync(p, gzipSync(lines.join('\n')));
    await expectProblem(d, 'negative-count', { file: 'matrix.mtx.gz', line: k + 1 });
  });

  it('6. Visium folder without its images', async () => {
    const d = visium(SEURAT, 'no-image');
    rmSync(join(d, 'spatial', 'tissue_lowres_image.png'));
    await expectProblem(d, 'missing-image', { message: /tissue_hires_image.png or tissue_lowres_image.png/ });
  });

  it('7. an --image path that does not exist', async () => {
    const d = her2st('C1');
    await expectProblem(d, 'missing-image', { file: 'nope.jpg' }, { imagePath: join(d, 'nope.jpg') });
  });

  it('8. an image smaller than the positions (a downscaled copy)', async () => {
    const d = her2st('C2');
    await sharp(sharedData('her2st', 'C2', '5714_HE_BT_C2.jpg'))
      .resize(2318)
      .jpeg()
      .toFile(join(d, 'small.jpg'));
    const e = await expectProblem(d, 'outside-image', { file: 'C2_selection.tsv' });
    expect(e.line).toBeGreaterThan(1);
    expect(e.message).toMatch(/small\.jpg \(2318×/);
  });

  it('9. an empty counts file', async () => {
    const d = her2st('C1');
    writeFileSync(join(d, 'C1.tsv.gz'), '');
    await expectProblem(join(d, 'C1.tsv.gz'), 'empty-file', { file: 'C1.tsv.gz' });
  });

  it('10. counts saved comma-separated instead of tab-separated', async () => {
    const d = her2st('C1');
    const text = gzText(join(d, 'C1.tsv.gz')).replaceAll('\t', ',');
    writeFileSync(join(d, 'C1.tsv.gz'), gzipSync(text));
    await expectProblem(d, 'wrong-delimiter', { file: 'C1.tsv.gz', line: 1 });
  });

  it('11. positions saved semicolon-separated', async () => {
    const d = visium(SEURAT, 'semicolon');
    const p = join(d, 'spatial', 'tissue_positions_list.csv');
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll(',', ';'));
    await expectProblem(d, 'wrong-delimiter', { file: 'tissue_positions_list.csv', line: 1 });
  });

  it('12. a gene name that is not UTF-8 (Latin-1 byte)', async () => {
    const d = her2st('C1');
    const raw = gunzipSync(readFileSync(join(d, 'C1.tsv.gz')));
    const at = raw.indexOf('\tSAMD11');
    raw[at + 2] = 0xe9; // "SAMD11" → "S\xe9MD11": é in Latin-1
    writeFileSync(join(d, 'C1.tsv.gz'), gzipSync(raw));
    await expectProblem(d, 'not-utf8', { file: 'C1.tsv.gz', line: 1 });
  });

  it('13. a gzip file cut short', async () => {
    const d = her2st('C1');
    const p = join(d, 'C1.tsv.gz');
    truncateSync(p, Math.floor(statSync(p).size / 2));
    await expectProblem(d, 'truncated', { file: 'C1.tsv.gz' });
  });

  it('14. a counts row cut short names its line', async () => {
    const d = her2st('C1');
    const lines = gzText(join(d, 'C1.tsv.gz')).split('\n');
    lines[7] = lines[7]!.slice(0, 400);
    writeFileSync(join(d, 'C1.tsv.gz'), gzipSync(lines.join('\n')));
    await expectProblem(d, 'bad-row', { file: 'C1.tsv.gz', line: 8 });
  });

  it('15. wrong scale: spot_diameter_fullres of 0', async () => {
    const d = visium(SEURAT, 'zero-diameter');
    const p = join(d, 'spatial', 'scalefactors_json.json');
    writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), spot_diameter_fullres: 0 }));
    await expectProblem(d, 'wrong-scale', { file: 'scalefactors_json.json', field: 'spot_diameter_fullres' });
  });

  it('16. wrong scale: lowres scale factor 10× too large puts spots off the image', async () => {
    const d = visium(SEURAT, 'bad-scalef');
    const p = join(d, 'spatial', 'scalefactors_json.json');
    const sf = JSON.parse(readFileSync(p, 'utf8')) as Record<string, number>;
    writeFileSync(p, JSON.stringify({ ...sf, tissue_lowres_scalef: sf.tissue_lowres_scalef! * 10 }));
    await expectProblem(d, 'outside-image', { file: 'tissue_positions_list.csv' });
  });

  it('17. wrong scale: pixel columns that do not follow the array lattice', async () => {
    const d = her2st('C1');
    const p = join(d, 'C1_selection.tsv');
    const lines = readFileSync(p, 'utf8').trimEnd().split('\n');
    const px = lines.slice(1).map((l) => l.split('\t')[4]);
    px.reverse(); // pixel_x shuffled against x
    const out = [
      lines[0],
      ...lines.slice(1).map((l, i) =>
        l
          .split('\t')
          .map((v, j) => (j === 4 ? px[i] : v))
          .join('\t'),
      ),
    ];
    writeFileSync(p, out.join('\n'));
    await expectProblem(d, 'wrong-scale', { file: 'C1_selection.tsv', field: 'pixel_x' });
  });

  it('18. missing scale factors', async () => {
    const d = visium(SEURAT, 'no-scalefactors');
    rmSync(join(d, 'spatial', 'scalefactors_json.json'));
    await expectProblem(d, 'missing-file', { file: 'scalefactors_json.json' });
  });

  it('19. a spot listed twice in the selection table', async () => {
    const d = her2st('C1');
    const p = join(d, 'C1_selection.tsv');
    const lines = readFileSync(p, 'utf8').trimEnd().split('\n');
    lines.push(lines[3]!);
    writeFileSync(p, lines.join('\n') + '\n');
    await expectProblem(d, 'duplicate-spot', { file: 'C1_selection.tsv', line: lines.length });
  });

  it('20. a selection table that lacks most of the counted spots', async () => {
    const d = her2st('C1');
    const p = join(d, 'C1_selection.tsv');
    writeFileSync(p, readFileSync(p, 'utf8').split('\n').slice(0, 41).join('\n') + '\n');
    await expectProblem(d, 'id-mismatch', { file: 'C1.tsv.gz', message: /136 of 176 spots/ });
  });

  it('21. MEX matrix cut short (fewer entries than its header says)', async () => {
    const d = visium(SPANIEL, 'mtx-short');
    const p = join(d, 'outs', 'filtered_feature_bc_matrix', 'matrix.mtx.gz');
    const lines = gzText(p).trimEnd().split('\n');
    writeFileSync(p, gzipSync(lines.slice(0, lines.length - 100).join('\n')));
    await expectProblem(d, 'truncated', { file: 'matrix.mtx.gz' });
  });

  it('22. .h5ad without obsm["spatial"]', async () => {
    const d = fresh('h5ad');
    const file = join(d, 'x.h5ad');
    const m = {
      nRows: 2,
      nCols: 2,
      indptr: Uint32Array.of(0, 1, 2),
      indices: Uint32Array.of(0, 1),
      data: Float32Array.of(1, 2),
    };
    await writeH5ad(file, {
      obsNames: ['a', 'b'],
      varNames: ['g1', 'g2'],
      geneIds: ['g1', 'g2'],
      counts: m,
      dense: false,
      library: 'lib',
      scalefactors: { spot_diameter_fullres: 90 },
    });
    await expectProblem(
      file,
      'bad-structure',
      { file: 'x.h5ad', field: 'obsm/spatial' },
      { scratchDir: join(d, 'scratch') },
    );
  });

  it('23. a text file named .h5ad', async () => {
    const d = fresh('fake-h5ad');
    writeFileSync(join(d, 'x.h5ad'), 'obs,var\n1,2\n');
    await expectProblem(join(d, 'x.h5ad'), 'bad-structure', { file: 'x.h5ad' });
  });

  it('24. a folder with no spatial data', async () => {
    const d = fresh('nothing');
    writeFileSync(join(d, 'notes.txt'), 'hello');
    await expectProblem(d, 'unsupported');
  });

  it('25. Xenium experiment without pixel_size', async () => {
    const d = fresh('xenium');
    writeFileSync(join(d, 'experiment.xenium'), JSON.stringify({ major_version: 1 }));
    await expectProblem(d, 'wrong-scale', { file: 'experiment.xenium', field: 'pixel_size' });
  });
});

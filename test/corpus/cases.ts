/**
 * The malformed-input corpus (issue #16): every case is built at run time from the real files in
 * ../shared/data by breaking one thing, and states the error it must give: the code, the file the
 * message must name, and words saying what is wrong. test/integration/corpus.test.ts imports each
 * case into a project and checks also that the project's arrays and sample rows are unchanged;
 * `npm run bench -- reliability` runs the same list through the job runner and counts hangs,
 * silent acceptances, crashes and changed projects. docs/reliability.md lists the cases.
 */
import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ErrorCode } from '../../main/engine/errors';
import type { ImportParams } from '../../main/engine/tasks/import-sample';
import { writeH5ad } from '../unit/io/fixtures';
import { sharedData } from '../helpers/paths';
import {
  HER2ST,
  MOB,
  SEURAT,
  SPANIEL,
  copyShared,
  editLines,
  gzText,
  junk,
  mkfifo,
  pngBomb,
  writeGz,
} from './build';

export interface CorpusCase {
  id: string;
  /** the reader or layer the case is aimed at */
  reader: 'legacy-st' | 'space-ranger' | '10x-h5' | '10x-mex' | 'h5ad' | 'xenium' | 'image' | 'filesystem';
  what: string;
  /** builds the input under `dir` (an empty folder) and returns the import's parameters */
  build(dir: string): Promise<ImportParams> | ImportParams;
  code: ErrorCode;
  /** the file name the message must contain */
  file: string;
  /** what the message must say about the problem */
  problem: RegExp;
}

const SEL = 'C1_selection.tsv';
const CNT = 'C1.tsv.gz';
const her2st = (dir: string, edit?: (d: string) => void): ImportParams => {
  const d = HER2ST(join(dir, 'C1'));
  edit?.(d);
  return { path: d };
};
const mob = (dir: string, edit?: (d: string) => void): ImportParams => {
  const d = MOB(join(dir, 'MOB1'));
  edit?.(d);
  return { path: d };
};
const seurat = (dir: string, edit?: (d: string) => void): ImportParams => {
  const d = SEURAT(join(dir, 'seurat'));
  edit?.(d);
  return { path: d };
};
const spaniel = (dir: string, edit?: (d: string) => void): ImportParams => {
  const d = SPANIEL(join(dir, 'spaniel'));
  edit?.(d);
  return { path: d };
};
const sp = (d: string, f: string) => join(d, 'spatial', f);
const mex = (d: string, f: string) => join(d, 'outs', 'filtered_feature_bc_matrix', f);
const spx = (d: string, f: string) => join(d, 'outs', 'spatial', f);
const cell = (line: string, i: number, v: string, sep = '\t') => {
  const f = line.split(sep);
  f[i] = v;
  return f.join(sep);
};

async function smallH5ad(
  file: string,
  extra: { noSpatial?: boolean; xy?: Float64Array } = {},
): Promise<void> {
  await writeH5ad(file, {
    obsNames: ['a', 'b'],
    varNames: ['g1', 'g2'],
    geneIds: ['g1', 'g2'],
    counts: {
      nRows: 2,
      nCols: 2,
      indptr: Uint32Array.of(0, 1, 2),
      indices: Uint32Array.of(0, 1),
      data: Float32Array.of(1, 2),
    },
    dense: false,
    library: 'lib',
    scalefactors: { spot_diameter_fullres: 90 },
    ...(extra.noSpatial ? {} : { xy: extra.xy ?? Float64Array.of(10, 10, 20, 20) }),
  });
}

export const CASES: CorpusCase[] = [
  // ---------------------------------------------------------------- legacy ST counts (HER2ST C1)
  {
    id: 'st-counts-empty',
    reader: 'legacy-st',
    what: 'counts file of 0 bytes',
    build: (d) => her2st(d, (s) => writeFileSync(join(s, CNT), '')),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /empty/,
  },
  {
    id: 'st-counts-gzip-cut',
    reader: 'legacy-st',
    what: 'gzip stream cut in half',
    build: (d) =>
      her2st(d, (s) => truncateSync(join(s, CNT), Math.floor(readFileSync(join(s, CNT)).length / 2))),
    code: 'CORRUPT',
    file: CNT,
    problem: /cut short|damaged/,
  },
  {
    id: 'st-counts-nan',
    reader: 'legacy-st',
    what: 'NaN in a count',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => ((l[4] = cell(l[4]!, 11, 'NaN')), l))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /line 5.*(NaN|finite)/,
  },
  {
    id: 'st-counts-negative',
    reader: 'legacy-st',
    what: 'a negative count',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => ((l[6] = cell(l[6]!, 3, '-2')), l))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /line 7.*negative/,
  },
  {
    id: 'st-counts-word',
    reader: 'legacy-st',
    what: 'a word where a count should be',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => ((l[3] = cell(l[3]!, 5, 'seven')), l))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /line 4.*seven|line 4.*number/,
  },
  {
    id: 'st-counts-commas',
    reader: 'legacy-st',
    what: 'saved comma-separated',
    build: (d) => her2st(d, (s) => writeGz(join(s, CNT), gzText(join(s, CNT)).replaceAll('\t', ','))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /comma|delimit|tab/i,
  },
  {
    id: 'st-counts-latin1',
    reader: 'legacy-st',
    what: 'a gene name in Latin-1',
    build: (d) =>
      her2st(d, (s) => {
        const raw = Buffer.from(gzText(join(s, CNT)), 'utf8');
        raw[raw.indexOf('\tSAMD11') + 2] = 0xe9;
        writeGz(join(s, CNT), raw);
      }),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /UTF-8/,
  },
  {
    id: 'st-counts-row-cut',
    reader: 'legacy-st',
    what: 'a row cut short',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => ((l[7] = l[7]!.slice(0, 400)), l))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /line 8/,
  },
  {
    id: 'st-counts-random-gz',
    reader: 'legacy-st',
    what: 'random bytes named .tsv.gz',
    build: (d) => her2st(d, (s) => writeFileSync(join(s, CNT), junk(50_000))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /not gzip/,
  },
  {
    id: 'st-counts-gzipped-junk',
    reader: 'legacy-st',
    what: 'valid gzip of random bytes',
    build: (d) => her2st(d, (s) => writeGz(join(s, CNT), junk(50_000))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /UTF-8|header|delimit/,
  },
  {
    id: 'st-counts-fifo',
    reader: 'filesystem',
    what: 'counts file is a named pipe (FIFO)',
    build: (d) =>
      her2st(d, (s) => {
        rmSync(join(s, CNT));
        mkfifo(join(s, CNT));
      }),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /named pipe|FIFO/,
  },
  {
    id: 'st-counts-dev-zero',
    reader: 'filesystem',
    what: 'counts file is a symlink to /dev/zero',
    build: (d) =>
      her2st(d, (s) => {
        rmSync(join(s, CNT));
        symlinkSync('/dev/zero', join(s, CNT));
      }),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /device/,
  },
  {
    id: 'st-counts-folder',
    reader: 'filesystem',
    what: 'counts "file" is a folder',
    build: (d) =>
      her2st(d, (s) => {
        rmSync(join(s, CNT));
        mkdirSync(join(s, CNT));
      }),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /folder/,
  },
  {
    id: 'st-counts-header-only',
    reader: 'legacy-st',
    what: 'counts with a header and no spots',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => l.slice(0, 1))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /no spot rows/,
  },
  {
    id: 'st-counts-dup-spot',
    reader: 'legacy-st',
    what: 'a spot row listed twice in the counts',
    build: (d) => her2st(d, (s) => editLines(join(s, CNT), (l) => [...l.slice(0, 3), l[2]!, ...l.slice(3)])),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /twice|duplicate/i,
  },
  // ---------------------------------------------------------------- legacy ST selection table
  {
    id: 'st-sel-duplicate',
    reader: 'legacy-st',
    what: 'a spot listed twice in the selection',
    build: (d) => her2st(d, (s) => editLines(join(s, SEL), (l) => [...l.filter((x) => x), l[3]!, ''])),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /twice|duplicate/i,
  },
  {
    id: 'st-sel-most-missing',
    reader: 'legacy-st',
    what: 'selection lacks most counted spots',
    build: (d) => her2st(d, (s) => editLines(join(s, SEL), (l) => l.slice(0, 41))),
    code: 'BAD_INPUT',
    file: CNT,
    problem: /136 of 176 spots/,
  },
  {
    id: 'st-sel-shuffled-pixels',
    reader: 'legacy-st',
    what: 'pixel_x shuffled against the array',
    build: (d) =>
      her2st(d, (s) =>
        editLines(join(s, SEL), (l) => {
          const rows = l.filter((x) => x).slice(1);
          const px = rows.map((r) => r.split('\t')[4]!).reverse();
          return [l[0]!, ...rows.map((r, i) => cell(r, 4, px[i]!))];
        }),
      ),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /pixel_x/,
  },
  {
    id: 'st-sel-word-pixel',
    reader: 'legacy-st',
    what: 'a word in pixel_y',
    build: (d) => her2st(d, (s) => editLines(join(s, SEL), (l) => ((l[5] = cell(l[5]!, 5, 'abc')), l))),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /line 6/,
  },
  {
    id: 'st-sel-no-header',
    reader: 'legacy-st',
    what: 'selection without its header row',
    build: (d) => her2st(d, (s) => editLines(join(s, SEL), (l) => l.slice(1))),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /header|column/i,
  },
  {
    id: 'st-sel-empty',
    reader: 'legacy-st',
    what: 'selection of 0 bytes',
    build: (d) => her2st(d, (s) => writeFileSync(join(s, SEL), '')),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /empty/,
  },
  {
    id: 'st-sel-fifo',
    reader: 'filesystem',
    what: 'selection is a FIFO',
    build: (d) =>
      her2st(d, (s) => {
        rmSync(join(s, SEL));
        mkfifo(join(s, SEL));
      }),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /named pipe|FIFO/,
  },
  {
    id: 'st-sel-semicolons',
    reader: 'legacy-st',
    what: 'selection saved with semicolons',
    build: (d) =>
      her2st(d, (s) => writeFileSync(join(s, SEL), readFileSync(join(s, SEL), 'utf8').replaceAll('\t', ';'))),
    code: 'BAD_INPUT',
    file: SEL,
    problem: /semicolon|delimit|tab/i,
  },
  // ---------------------------------------------------------------- images (MOB1 with its JPEG)
  {
    id: 'img-jpeg-truncated',
    reader: 'image',
    what: 'JPEG cut at 60 % (header intact)',
    build: (d) => mob(d, (s) => truncateSync(join(s, 'MOB1.jpg'), Math.floor(328_839 * 0.6))),
    code: 'CORRUPT',
    file: 'MOB1.jpg',
    problem: /cut short/,
  },
  {
    id: 'img-jpeg-junk',
    reader: 'image',
    what: 'random bytes named .jpg',
    build: (d) => mob(d, (s) => writeFileSync(join(s, 'MOB1.jpg'), junk(300_000))),
    code: 'BAD_INPUT',
    file: 'MOB1.jpg',
    problem: /image/,
  },
  {
    id: 'img-jpeg-empty',
    reader: 'image',
    what: 'image of 0 bytes',
    build: (d) => mob(d, (s) => writeFileSync(join(s, 'MOB1.jpg'), '')),
    code: 'BAD_INPUT',
    file: 'MOB1.jpg',
    problem: /image|empty/,
  },
  {
    id: 'img-png-bomb',
    reader: 'image',
    what: 'a 300-byte PNG declaring 40000×40000 px',
    build: (d) =>
      mob(d, (s) => {
        rmSync(join(s, 'MOB1.jpg'));
        writeFileSync(join(s, 'MOB1.png'), pngBomb(40_000, 40_000));
      }),
    code: 'BAD_INPUT',
    file: 'MOB1.png',
    problem: /40000×40000.*--max-image-pixels/,
  },
  {
    id: 'img-png-bomb-flag',
    reader: 'image',
    what: 'the same bomb with the budget raised: refused when decoded, not hung',
    build: (d) => ({
      ...mob(d, (s) => {
        rmSync(join(s, 'MOB1.jpg'));
        writeFileSync(join(s, 'MOB1.png'), pngBomb(40_000, 40_000));
      }),
      maxImagePixels: 2_000_000_000,
    }),
    code: 'CORRUPT',
    file: 'MOB1.png',
    problem: /cut short|cannot be decoded/,
  },
  {
    id: 'img-truncated-png',
    reader: 'image',
    what: 'PNG cut at 50 %',
    build: async (d) => {
      const p = mob(d);
      await sharp(join(p.path, 'MOB1.jpg')).png().toFile(join(p.path, 'MOB1.png'));
      rmSync(join(p.path, 'MOB1.jpg'));
      truncateSync(join(p.path, 'MOB1.png'), Math.floor(readFileSync(join(p.path, 'MOB1.png')).length / 2));
      return p;
    },
    code: 'CORRUPT',
    file: 'MOB1.png',
    problem: /cut short/,
  },
  {
    id: 'img-arg-missing',
    reader: 'image',
    what: '--image that does not exist',
    build: (d) => ({ ...her2st(d), imagePath: join(d, 'nope.jpg') }),
    code: 'NOT_FOUND',
    file: 'nope.jpg',
    problem: /does not exist|not found/,
  },
  {
    id: 'img-arg-dev-zero',
    reader: 'filesystem',
    what: '--image /dev/zero',
    build: (d) => ({ ...mob(d), imagePath: '/dev/zero' }),
    code: 'BAD_INPUT',
    file: 'zero',
    problem: /device/,
  },
  {
    id: 'img-arg-fifo',
    reader: 'filesystem',
    what: '--image is a FIFO',
    build: (d) => {
      const p = mob(d);
      mkfifo(join(d, 'slide.jpg'));
      return { ...p, imagePath: join(d, 'slide.jpg') };
    },
    code: 'BAD_INPUT',
    file: 'slide.jpg',
    problem: /named pipe|FIFO/,
  },
  {
    id: 'img-arg-folder',
    reader: 'image',
    what: '--image is a folder',
    build: (d) => {
      const p = mob(d);
      mkdirSync(join(d, 'pics.jpg'));
      return { ...p, imagePath: join(d, 'pics.jpg') };
    },
    code: 'BAD_INPUT',
    file: 'pics.jpg',
    problem: /image|folder/,
  },
  {
    id: 'img-downscaled',
    reader: 'image',
    what: 'an image 4× smaller than the positions',
    build: async (d) => {
      const p = mob(d);
      await sharp(join(p.path, 'MOB1.jpg')).resize(476).jpeg().toFile(join(d, 'small.jpg'));
      return { ...p, imagePath: join(d, 'small.jpg') };
    },
    code: 'BAD_INPUT',
    file: 'small.jpg',
    problem: /outside the image/,
  },
  {
    id: 'img-text-as-tiff',
    reader: 'image',
    what: 'a text file named .tif given as --image',
    build: (d) => {
      const p = mob(d);
      writeFileSync(join(d, 'slide.tif'), 'this is not a tiff\n');
      return { ...p, imagePath: join(d, 'slide.tif') };
    },
    code: 'BAD_INPUT',
    file: 'slide.tif',
    problem: /image|TIFF/i,
  },
  // ---------------------------------------------------------------- MOB legacy ST tables
  {
    id: 'mob-alignment-junk',
    reader: 'legacy-st',
    what: 'alignment table replaced by random bytes',
    build: (d) => mob(d, (s) => writeFileSync(join(s, 'alignment_table_MOB1.tsv'), junk(4000))),
    code: 'BAD_INPUT',
    file: 'alignment_table_MOB1.tsv',
    problem: /UTF-8|header|column/,
  },
  {
    id: 'mob-counts-truncated',
    reader: 'legacy-st',
    what: 'plain-text counts cut mid-row',
    build: (d) => mob(d, (s) => truncateSync(join(s, 'MOB1.tsv'), 2_000_017)),
    code: 'BAD_INPUT',
    file: 'MOB1.tsv',
    problem: /line \d+/,
  },
  // ---------------------------------------------------------------- Space Ranger (h5 matrix)
  {
    id: 'sr-h5-truncated',
    reader: '10x-h5',
    what: 'filtered_feature_bc_matrix.h5 cut to 60 kB',
    build: (d) => seurat(d, (s) => truncateSync(join(s, 'filtered_feature_bc_matrix.h5'), 60_000)),
    code: 'CORRUPT',
    file: 'filtered_feature_bc_matrix.h5',
    problem: /truncated|damaged/,
  },
  {
    id: 'sr-h5-text',
    reader: '10x-h5',
    what: 'a text file named filtered_feature_bc_matrix.h5',
    build: (d) => seurat(d, (s) => writeFileSync(join(s, 'filtered_feature_bc_matrix.h5'), 'barcode,gene\n')),
    code: 'BAD_INPUT',
    file: 'filtered_feature_bc_matrix.h5',
    problem: /not an HDF5/,
  },
  {
    id: 'sr-h5-fifo',
    reader: 'filesystem',
    what: 'the matrix .h5 is a FIFO',
    build: (d) =>
      seurat(d, (s) => {
        rmSync(join(s, 'filtered_feature_bc_matrix.h5'));
        mkfifo(join(s, 'filtered_feature_bc_matrix.h5'));
      }),
    code: 'BAD_INPUT',
    file: 'filtered_feature_bc_matrix.h5',
    problem: /named pipe|FIFO/,
  },
  {
    id: 'sr-barcode-mismatch',
    reader: 'space-ranger',
    what: 'positions whose barcodes match none of the matrix',
    build: (d) =>
      seurat(d, (s) =>
        writeFileSync(
          sp(s, 'tissue_positions_list.csv'),
          readFileSync(sp(s, 'tissue_positions_list.csv'), 'utf8').replaceAll('-1,', '-2,'),
        ),
      ),
    code: 'BAD_INPUT',
    file: 'filtered_feature_bc_matrix.h5',
    problem: /2695 of 2695 barcodes/,
  },
  {
    id: 'sr-positions-semicolon',
    reader: 'space-ranger',
    what: 'positions saved with semicolons',
    build: (d) =>
      seurat(d, (s) =>
        writeFileSync(
          sp(s, 'tissue_positions_list.csv'),
          readFileSync(sp(s, 'tissue_positions_list.csv'), 'utf8').replaceAll(',', ';'),
        ),
      ),
    code: 'BAD_INPUT',
    file: 'tissue_positions_list.csv',
    problem: /semicolon|delimit|comma/i,
  },
  {
    id: 'sr-positions-word',
    reader: 'space-ranger',
    what: 'a word in pxl_row_in_fullres',
    build: (d) =>
      seurat(d, (s) =>
        editLines(sp(s, 'tissue_positions_list.csv'), (l) => ((l[9] = cell(l[9]!, 4, 'top', ',')), l)),
      ),
    code: 'BAD_INPUT',
    file: 'tissue_positions_list.csv',
    problem: /line 10/,
  },
  {
    id: 'sr-positions-short-row',
    reader: 'space-ranger',
    what: 'a positions row with 3 fields',
    build: (d) =>
      seurat(d, (s) =>
        editLines(
          sp(s, 'tissue_positions_list.csv'),
          (l) => ((l[20] = l[20]!.split(',').slice(0, 3).join(',')), l),
        ),
      ),
    code: 'BAD_INPUT',
    file: 'tissue_positions_list.csv',
    problem: /line 21/,
  },
  {
    id: 'sr-positions-empty',
    reader: 'space-ranger',
    what: 'positions file of 0 bytes',
    build: (d) => seurat(d, (s) => writeFileSync(sp(s, 'tissue_positions_list.csv'), '')),
    code: 'BAD_INPUT',
    file: 'tissue_positions_list.csv',
    problem: /empty/,
  },
  {
    id: 'sr-scalefactors-missing',
    reader: 'space-ranger',
    what: 'no scalefactors_json.json',
    build: (d) => seurat(d, (s) => rmSync(sp(s, 'scalefactors_json.json'))),
    code: 'NOT_FOUND',
    file: 'scalefactors_json.json',
    problem: /missing/,
  },
  {
    id: 'sr-scalefactors-not-json',
    reader: 'space-ranger',
    what: 'scale factors that are not JSON',
    build: (d) =>
      seurat(d, (s) => writeFileSync(sp(s, 'scalefactors_json.json'), '{"spot_diameter_fullres": 89.4,')),
    code: 'BAD_INPUT',
    file: 'scalefactors_json.json',
    problem: /not valid JSON/,
  },
  {
    id: 'sr-scalefactors-secret-link',
    reader: 'space-ranger',
    what: 'scale factors symlinked to a non-JSON secret (the error must not echo it)',
    build: (d) =>
      seurat(d, (s) => {
        writeFileSync(join(d, 'secret.txt'), 'root:x:0:0:TOP-SECRET-VALUE\n');
        rmSync(sp(s, 'scalefactors_json.json'));
        symlinkSync(join(d, 'secret.txt'), sp(s, 'scalefactors_json.json'));
      }),
    code: 'BAD_INPUT',
    file: 'scalefactors_json.json',
    problem: /^(?![\s\S]*TOP-SECRET)[\s\S]*not valid JSON/,
  },
  {
    id: 'sr-scalefactors-array',
    reader: 'space-ranger',
    what: 'scale factors that are a JSON array',
    build: (d) => seurat(d, (s) => writeFileSync(sp(s, 'scalefactors_json.json'), '[1,2,3]')),
    code: 'BAD_INPUT',
    file: 'scalefactors_json.json',
    problem: /JSON object/,
  },
  {
    id: 'sr-spot-diameter-zero',
    reader: 'space-ranger',
    what: 'spot_diameter_fullres of 0',
    build: (d) =>
      seurat(d, (s) => {
        const p = sp(s, 'scalefactors_json.json');
        writeFileSync(
          p,
          JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), spot_diameter_fullres: 0 }),
        );
      }),
    code: 'BAD_INPUT',
    file: 'scalefactors_json.json',
    problem: /spot_diameter_fullres/,
  },
  {
    id: 'sr-spot-diameter-huge',
    reader: 'space-ranger',
    what: 'spot_diameter_fullres 10 000× too small (implausible µm/px)',
    build: (d) =>
      seurat(d, (s) => {
        const p = sp(s, 'scalefactors_json.json');
        writeFileSync(
          p,
          JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), spot_diameter_fullres: 0.008 }),
        );
      }),
    code: 'BAD_INPUT',
    file: 'scalefactors_json.json',
    problem: /µm\/px/,
  },
  {
    id: 'sr-lowres-scale-10x',
    reader: 'space-ranger',
    what: 'lowres scale factor 10× too large',
    build: (d) =>
      seurat(d, (s) => {
        const p = sp(s, 'scalefactors_json.json');
        const sf = JSON.parse(readFileSync(p, 'utf8')) as Record<string, number>;
        writeFileSync(p, JSON.stringify({ ...sf, tissue_lowres_scalef: sf.tissue_lowres_scalef! * 10 }));
      }),
    code: 'BAD_INPUT',
    file: 'tissue_positions_list.csv',
    problem: /outside the image/,
  },
  {
    id: 'sr-no-images',
    reader: 'space-ranger',
    what: 'spatial/ without its images',
    build: (d) => seurat(d, (s) => rmSync(sp(s, 'tissue_lowres_image.png'))),
    code: 'NOT_FOUND',
    file: 'tissue_hires_image.png',
    problem: /tissue_lowres_image.png/,
  },
  {
    id: 'sr-lowres-bomb',
    reader: 'image',
    what: 'tissue_lowres_image.png replaced by a 40000×40000 bomb',
    build: (d) => seurat(d, (s) => writeFileSync(sp(s, 'tissue_lowres_image.png'), pngBomb(40_000, 40_000))),
    code: 'BAD_INPUT',
    file: 'tissue_lowres_image.png',
    problem: /40000×40000.*--max-image-pixels/,
  },
  {
    id: 'sr-lowres-truncated',
    reader: 'image',
    what: 'tissue_lowres_image.png cut at 50 %',
    build: (d) =>
      seurat(d, (s) =>
        truncateSync(
          sp(s, 'tissue_lowres_image.png'),
          Math.floor(readFileSync(sp(s, 'tissue_lowres_image.png')).length / 2),
        ),
      ),
    code: 'CORRUPT',
    file: 'tissue_lowres_image.png',
    problem: /cut short/,
  },
  // ---------------------------------------------------------------- Space Ranger (MEX matrix)
  {
    id: 'mex-negative',
    reader: '10x-mex',
    what: 'a negative count in matrix.mtx.gz',
    build: (d) =>
      spaniel(d, (s) =>
        editLines(mex(s, 'matrix.mtx.gz'), (l) => {
          let i = 0;
          while (l[i]!.startsWith('%')) i++;
          l[i + 10] = cell(l[i + 10]!, 2, '-3', ' ');
          return l;
        }),
      ),
    code: 'BAD_INPUT',
    file: 'matrix.mtx.gz',
    problem: /negative/,
  },
  {
    id: 'mex-cut-short',
    reader: '10x-mex',
    what: 'matrix.mtx.gz with 100 entries fewer than its header says',
    build: (d) =>
      spaniel(d, (s) => editLines(mex(s, 'matrix.mtx.gz'), (l) => l.filter((x) => x).slice(0, -100))),
    code: 'CORRUPT',
    file: 'matrix.mtx.gz',
    problem: /entries|cut short|truncated/,
  },
  {
    id: 'mex-features-missing',
    reader: '10x-mex',
    what: 'features.tsv.gz missing (named as such, not "no matrix folder")',
    build: (d) => spaniel(d, (s) => rmSync(mex(s, 'features.tsv.gz'))),
    code: 'NOT_FOUND',
    file: 'features.tsv.gz',
    problem: /features.tsv.gz is missing/,
  },
  {
    id: 'mex-barcodes-junk',
    reader: '10x-mex',
    what: 'barcodes.tsv.gz of random bytes',
    build: (d) => spaniel(d, (s) => writeFileSync(mex(s, 'barcodes.tsv.gz'), junk(20_000))),
    code: 'BAD_INPUT',
    file: 'barcodes.tsv.gz',
    problem: /not gzip/,
  },
  {
    id: 'mex-bad-header',
    reader: '10x-mex',
    what: 'matrix.mtx.gz without its MatrixMarket header',
    build: (d) =>
      spaniel(d, (s) =>
        editLines(mex(s, 'matrix.mtx.gz'), (l) => l.filter((x) => !x.startsWith('%%MatrixMarket'))),
      ),
    code: 'BAD_INPUT',
    file: 'matrix.mtx.gz',
    problem: /MatrixMarket|header/,
  },
  {
    id: 'mex-index-out-of-range',
    reader: '10x-mex',
    what: 'a gene index past the features list',
    build: (d) =>
      spaniel(d, (s) =>
        editLines(mex(s, 'matrix.mtx.gz'), (l) => {
          let i = 0;
          while (l[i]!.startsWith('%')) i++;
          l[i + 5] = cell(l[i + 5]!, 0, '99999999', ' ');
          return l;
        }),
      ),
    code: 'BAD_INPUT',
    file: 'matrix.mtx.gz',
    problem: /range|99999999|features/,
  },
  {
    id: 'mex-fifo',
    reader: 'filesystem',
    what: 'matrix.mtx.gz is a FIFO',
    build: (d) =>
      spaniel(d, (s) => {
        rmSync(mex(s, 'matrix.mtx.gz'));
        mkfifo(mex(s, 'matrix.mtx.gz'));
      }),
    code: 'BAD_INPUT',
    file: 'matrix.mtx.gz',
    problem: /named pipe|FIFO/,
  },
  {
    id: 'mex-positions-missing',
    reader: 'space-ranger',
    what: 'positions file renamed away',
    build: (d) =>
      spaniel(d, (s) => renameSync(spx(s, 'tissue_positions_list.csv'), spx(s, 'positions-old.csv'))),
    code: 'UNSUPPORTED',
    file: 'spaniel',
    problem: /no known spatial format/,
  },
  // ---------------------------------------------------------------- h5ad
  {
    id: 'h5ad-text',
    reader: 'h5ad',
    what: 'a CSV named .h5ad',
    build: (d) => {
      writeFileSync(join(d, 'x.h5ad'), 'obs,var\n1,2\n');
      return { path: join(d, 'x.h5ad') };
    },
    code: 'BAD_INPUT',
    file: 'x.h5ad',
    problem: /not an HDF5/,
  },
  {
    id: 'h5ad-no-spatial',
    reader: 'h5ad',
    what: 'AnnData without obsm["spatial"]',
    build: async (d) => {
      await smallH5ad(join(d, 'x.h5ad'), { noSpatial: true });
      return { path: join(d, 'x.h5ad') };
    },
    code: 'BAD_INPUT',
    file: 'x.h5ad',
    problem: /obsm\/spatial/,
  },
  {
    id: 'h5ad-truncated',
    reader: 'h5ad',
    what: 'the squidpy test .h5ad cut to 40 %',
    build: (d) => {
      const f = join(d, 'test_data.h5ad');
      copyShared(f, 'formats', 'squidpy', 'test_data.h5ad');
      truncateSync(f, Math.floor(readFileSync(f).length * 0.4));
      return { path: f };
    },
    code: 'CORRUPT',
    file: 'test_data.h5ad',
    problem: /truncated|damaged/,
  },
  {
    id: 'h5ad-empty',
    reader: 'h5ad',
    what: '.h5ad of 0 bytes',
    build: (d) => {
      writeFileSync(join(d, 'x.h5ad'), '');
      return { path: join(d, 'x.h5ad') };
    },
    code: 'BAD_INPUT',
    file: 'x.h5ad',
    problem: /empty/,
  },
  {
    id: 'h5ad-fifo',
    reader: 'filesystem',
    what: 'an .h5ad that is a FIFO',
    build: (d) => {
      mkfifo(join(d, 'x.h5ad'));
      return { path: join(d, 'x.h5ad') };
    },
    code: 'BAD_INPUT',
    file: 'x.h5ad',
    problem: /named pipe|FIFO/,
  },
  {
    id: 'h5ad-two-in-folder',
    reader: 'h5ad',
    what: 'a folder with two .h5ad files',
    build: async (d) => {
      await smallH5ad(join(d, 'a.h5ad'));
      await smallH5ad(join(d, 'b.h5ad'));
      return { path: d };
    },
    code: 'UNSUPPORTED',
    file: 'a.h5ad',
    problem: /2 \.h5ad files/,
  },
  {
    id: 'h5ad-nan-spatial',
    reader: 'h5ad',
    what: 'NaN coordinates in obsm["spatial"]',
    build: async (d) => {
      await smallH5ad(join(d, 'x.h5ad'), { xy: Float64Array.of(10, Number.NaN, 20, 20) });
      return { path: join(d, 'x.h5ad') };
    },
    code: 'BAD_INPUT',
    file: 'x.h5ad',
    problem: /spatial|NaN|finite/,
  },
  // ---------------------------------------------------------------- Xenium
  {
    id: 'xenium-no-pixel-size',
    reader: 'xenium',
    what: 'experiment.xenium without pixel_size',
    build: (d) => {
      writeFileSync(join(d, 'experiment.xenium'), JSON.stringify({ major_version: 1 }));
      return { path: d };
    },
    code: 'BAD_INPUT',
    file: 'experiment.xenium',
    problem: /pixel_size/,
  },
  {
    id: 'xenium-not-json',
    reader: 'xenium',
    what: 'experiment.xenium that is not JSON',
    build: (d) => {
      writeFileSync(join(d, 'experiment.xenium'), 'pixel_size = 0.2125\n');
      return { path: d };
    },
    code: 'BAD_INPUT',
    file: 'experiment.xenium',
    problem: /not valid JSON/,
  },
  // ---------------------------------------------------------------- the path itself
  {
    id: 'fs-missing-path',
    reader: 'filesystem',
    what: 'a path that does not exist',
    build: (d) => ({ path: join(d, 'no-such-sample') }),
    code: 'NOT_FOUND',
    file: 'no-such-sample',
    problem: /nothing exists/,
  },
  {
    id: 'fs-empty-folder',
    reader: 'filesystem',
    what: 'an empty folder',
    build: (d) => {
      mkdirSync(join(d, 'empty'));
      return { path: join(d, 'empty') };
    },
    code: 'UNSUPPORTED',
    file: 'empty',
    problem: /no known spatial format/,
  },
  {
    id: 'fs-input-fifo',
    reader: 'filesystem',
    what: 'the import path itself is a FIFO',
    build: (d) => {
      mkfifo(join(d, 'sample.tsv.gz'));
      return { path: join(d, 'sample.tsv.gz') };
    },
    code: 'BAD_INPUT',
    file: 'sample.tsv.gz',
    problem: /named pipe|FIFO/,
  },
  {
    id: 'fs-input-dev-null',
    reader: 'filesystem',
    what: 'the import path is /dev/null',
    build: () => ({ path: '/dev/null' }),
    code: 'BAD_INPUT',
    file: 'null',
    problem: /device/,
  },
  {
    id: 'fs-symlink-loop',
    reader: 'filesystem',
    what: 'the import path is a symlink loop',
    build: (d) => {
      symlinkSync(join(d, 'loop'), join(d, 'loop'));
      return { path: join(d, 'loop') };
    },
    code: 'NOT_FOUND',
    file: 'loop',
    problem: /nothing exists|loop/,
  },
  {
    id: 'fs-random-file',
    reader: 'filesystem',
    what: 'a random binary file with no known ending',
    build: (d) => {
      writeFileSync(join(d, 'data.bin'), junk(10_000));
      return { path: join(d, 'data.bin') };
    },
    code: 'UNSUPPORTED',
    file: 'data.bin',
    problem: /not a format/,
  },
];

/** Shared data the corpus needs; the test skips nothing, it fails if this is missing. */
export const CORPUS_SOURCES = [sharedData('her2st', 'C1'), sharedData('mob', 'MOB1')];

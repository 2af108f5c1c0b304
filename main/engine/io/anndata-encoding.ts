/**
 * Which AnnData on-disk layouts we read (formats.md §1): anndata ≥ 0.7 elements carry
 * `encoding-type` / `encoding-version` attributes (the anndata spec). Versions newer than the
 * ones we know are refused rather than guessed at; files from anndata < 0.7 (obs as one compound
 * table, `raw.X`, `h5sparse_format`) are refused with the one thing that helps: re-save them.
 */
import { attrString, h5, type H5File, type H5Dataset, type H5Group } from './hdf5';
import { importError } from './problems';

/** The newest encoding-version of each element type that this reader understands. */
export const KNOWN_ENCODINGS: Readonly<Record<string, string>> = {
  anndata: '0.1.0',
  raw: '0.1.0',
  dict: '0.1.0',
  dataframe: '0.2.0',
  array: '0.2.0',
  csr_matrix: '0.1.0',
  csc_matrix: '0.1.0',
  categorical: '0.2.0',
  'string-array': '0.2.0',
  'nullable-integer': '0.1.0',
  'nullable-boolean': '0.1.0',
  'nullable-string-array': '0.1.0',
  string: '0.2.0',
  'numeric-scalar': '0.2.0',
};

function parts(v: string): number[] {
  return v.split('.').map((x) => Number.parseInt(x, 10) || 0);
}

/** a > b in (major, minor, patch) order; patch differences never break the layout. */
function newerLayout(a: string, b: string): boolean {
  const [am = 0, an = 0] = parts(a);
  const [bm = 0, bn = 0] = parts(b);
  return am !== bm ? am > bm : an > bn;
}

/** Refuses an element whose encoding-version is newer than the one we know for its type. */
export function checkEncoding(obj: H5Group | H5Dataset | H5File, where: string, file: string): void {
  const type = attrString(obj, 'encoding-type');
  const version = attrString(obj, 'encoding-version');
  if (type === undefined || version === undefined) return;
  const known = KNOWN_ENCODINGS[type];
  if (known !== undefined && !newerLayout(version, known)) return;
  if (known === undefined && !newerLayout(version, '0.2.0')) return; // an unknown type is judged where it is read
  throw importError(
    'unsupported',
    file,
    known === undefined
      ? `"${where}" has encoding "${type}" ${version}, which this version of STSR Studio does not know`
      : `"${where}" is encoded as ${type} ${version}, newer than the ${type} ${known} this version of STSR Studio reads`,
    'Update STSR Studio, or re-save the file with anndata ≤ 0.11 (adata.write_h5ad(path)).',
    { field: where },
  );
}

/** Files written before anndata 0.7 (no element encodings, obs as a compound dataset). */
export function checkAnndataAge(f: H5File, file: string): void {
  const keys = f.keys();
  const obs = f.get('obs');
  const compoundObs = obs instanceof h5().Dataset;
  const h5sparse = (key: string): boolean => {
    const g = f.get(key);
    return g instanceof h5().Group && attrString(g, 'h5sparse_format') !== undefined;
  };
  if (compoundObs || keys.includes('raw.X') || h5sparse('X')) {
    const sign = compoundObs ? 'obs is a single compound table' : '"raw.X" / h5sparse matrices';
    throw importError(
      'unsupported',
      file,
      `written by anndata older than 0.7 (${sign}), a layout this reader does not read`,
      `Re-save it with a current anndata: python -c "import anndata; anndata.read_h5ad('old.h5ad').write_h5ad('new.h5ad')", then import new.h5ad.`,
      { field: compoundObs ? 'obs' : 'raw.X' },
    );
  }
  checkEncoding(f, '/', file);
}

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { importError } from './problems';
import { requireRegularFile } from './input-limits';
import { attrString, getGroup, isHdf5, openHdf5 } from './hdf5';
import { findPositions, hdBinDir, looksLikeVisium, readScalefactors } from './spaceranger';
import { looksLikeLegacySt } from './legacy-st';

export type ReaderName = 'spaceranger' | 'visium-hd' | 'xenium' | 'legacy-st' | 'h5ad';

export interface Detected {
  reader: ReaderName;
  /** what the reader should open (a folder or a file) */
  path: string;
  /** why this reader was chosen, for the provenance and the CLI's output */
  reason: string;
}

async function hdf5Kind(path: string): Promise<'anndata' | 'tenx' | 'other'> {
  const f = await openHdf5(path);
  try {
    if (attrString(f, 'encoding-type') === 'anndata') return 'anndata';
    const keys = f.keys();
    if (keys.includes('obs') && keys.includes('var')) return 'anndata';
    if (getGroup(f, 'matrix')) return 'tenx';
    return 'other';
  } finally {
    f.close();
  }
}

function isHdBin(dir: string): boolean {
  if (findPositions(join(dir, 'spatial'))?.endsWith('.parquet')) return true;
  const sf = join(dir, 'spatial', 'scalefactors_json.json');
  if (!existsSync(sf)) return false;
  try {
    return readScalefactors(sf).bin_size_um !== undefined;
  } catch {
    return false;
  }
}

async function detectDir(dir: string): Promise<Detected | undefined> {
  if (existsSync(join(dir, 'experiment.xenium')))
    return { reader: 'xenium', path: dir, reason: 'experiment.xenium present' };
  if (existsSync(join(dir, 'outs', 'experiment.xenium'))) {
    return { reader: 'xenium', path: join(dir, 'outs'), reason: 'outs/experiment.xenium present' };
  }
  const bin = hdBinDir(dir);
  if (bin && isHdBin(bin))
    return { reader: 'visium-hd', path: bin, reason: `${basename(bin)} binned output with HD scale factors` };
  if (looksLikeVisium(dir))
    return { reader: 'spaceranger', path: dir, reason: 'spatial/ with Space Ranger tissue positions' };
  const h5ads = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.h5ad'));
  if (h5ads.length === 1)
    return { reader: 'h5ad', path: join(dir, h5ads[0]!), reason: `${h5ads[0]} (AnnData)` };
  if (h5ads.length > 1) {
    throw importError(
      'unsupported',
      dir,
      `the folder holds ${h5ads.length} .h5ad files (${h5ads.slice(0, 4).join(', ')}), so which one to import is ambiguous`,
      'Import one of them by its file path.',
    );
  }
  if (looksLikeLegacySt(dir))
    return { reader: 'legacy-st', path: dir, reason: 'ST spot selection / alignment table' };
  return undefined;
}

/** Picks a reader from what the files contain, not from what they are called. */
export async function detectFormat(input: string): Promise<Detected> {
  const path = resolve(input);
  if (!existsSync(path)) {
    throw importError(
      'not-found',
      path,
      'nothing exists at this path',
      'Check the path (folders and files both work).',
    );
  }
  if (requireRegularFile(path).isDirectory()) {
    const d = await detectDir(path);
    if (d) return d;
    throw importError(
      'unsupported',
      path,
      'no known spatial format in this folder (looked for Space Ranger spatial/, Visium HD binned_outputs/, ' +
        'Xenium experiment.xenium, an .h5ad, or ST counts + selection tables)',
      'Pick the Space Ranger outs/ folder, the Xenium output folder, an .h5ad, or the folder of an ST sample.',
    );
  }
  if (statSync(path).size === 0) {
    throw importError(
      'empty-file',
      path,
      'the file is empty (0 bytes)',
      'Copy the file again from its source.',
    );
  }
  if (basename(path) === 'experiment.xenium')
    return { reader: 'xenium', path: dirname(path), reason: 'experiment.xenium' };
  if (isHdf5(path)) {
    const kind = await hdf5Kind(path);
    if (kind === 'anndata') return { reader: 'h5ad', path, reason: 'HDF5 with AnnData obs/var' };
    if (kind === 'tenx') {
      const d = await detectDir(dirname(path));
      if (d && d.reader !== 'h5ad' && d.reader !== 'legacy-st')
        return { ...d, reason: `${d.reason} (beside ${basename(path)})` };
      throw importError(
        'missing-file',
        path,
        'this is a 10x count matrix, but no spatial positions are beside it',
        'Pick the whole Space Ranger outs/ (or Xenium output) folder, with spatial/.',
      );
    }
    throw importError(
      'unsupported',
      path,
      'an HDF5 file that is neither AnnData nor a 10x matrix',
      'Pick an .h5ad or a 10x .h5.',
    );
  }
  if (/\.(tsv|txt)(\.gz)?$/i.test(path)) return { reader: 'legacy-st', path, reason: 'ST counts table' };
  if (/\.h5ad$/i.test(path)) {
    throw importError(
      'bad-structure',
      path,
      'named .h5ad but not an HDF5 file',
      'The file is damaged or mis-named: export it again.',
    );
  }
  throw importError(
    'unsupported',
    path,
    'not a format STSR Studio reads',
    'Pick a Space Ranger outs/ folder, a Xenium folder, an .h5ad, or an ST sample folder / counts TSV.',
  );
}

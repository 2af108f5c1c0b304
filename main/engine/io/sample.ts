/**
 * The one in-memory model every reader returns (docs/architecture.md, "io/").
 * Coordinates are full-resolution image pixels, x to the right and y down, whatever the source
 * called them; µm per full-res pixel says how big a pixel is.
 */

/** Compressed sparse rows: one row per spot, columns are gene indices. */
export interface CsrMatrix {
  nRows: number;
  nCols: number;
  /** length nRows + 1 */
  indptr: Uint32Array;
  /** column index of each stored value */
  indices: Uint32Array;
  data: Float32Array;
}

export type LatticeKind = 'square' | 'hex' | 'none';

export interface Spot {
  id: string;
  /** full-resolution image pixels */
  x: number;
  y: number;
  /** array (lattice) indices when the platform has them */
  row?: number;
  col?: number;
}

export interface Gene {
  /** stable id (Ensembl id when known, else the symbol) */
  id: string;
  /** display symbol, made unique the way scanpy's var_names_make_unique does */
  symbol: string;
}

export interface ImageRef {
  /** absolute path of the image file the positions refer to (or a scaled version of it) */
  path: string;
  width: number;
  height: number;
  /** full-res px per px of this image file (1 for the full-res image; 1/scalef for hires/lowres) */
  scaleToFullRes: number;
}

/** A per-spot embedding (an .h5ad's obsm['X_pca'], ['X_umap'], …): spots × nCols, row-major. */
export interface Embedding {
  nCols: number;
  data: Float32Array;
}

/** Where a value came from, for the sample's info panel and for reproducibility. */
export interface Provenance {
  reader: string;
  files: string[];
  /** e.g. { umPerPx: 'scalefactors_json.json spot_diameter_fullres', ... } */
  notes: Record<string, string>;
  warnings: string[];
}

export interface Sample {
  name: string;
  platform: 'visium' | 'visium-hd' | 'xenium' | 'legacy-st' | 'h5ad';
  spots: Spot[];
  genes: Gene[];
  /** spots × genes raw counts */
  counts: CsrMatrix;
  /** footprint diameter in µm (55 for Visium, 100 for legacy ST, bin size for HD) */
  spotDiameterUm: number;
  lattice: LatticeKind;
  /** µm per full-resolution image pixel */
  umPerPx: number;
  image?: ImageRef;
  /** optional per-spot categorical annotations, e.g. pathologist labels; '' = unlabelled */
  annotations?: Record<string, string[]>;
  /** per-spot embeddings kept from an .h5ad's obsm (X_pca, X_umap, …); exports write them back */
  embeddings?: Record<string, Embedding>;
  provenance: Provenance;
}

/** What the user can say when importing; everything else is read from the files. */
export interface ReadOptions {
  /** sample name (default: the folder or file name) */
  name?: string;
  /** an image to use instead of the one found beside the data (full resolution unless imageScale) */
  imagePath?: string;
  /** image px per full-res px of imagePath (Space Ranger's *_scalef, e.g. 0.05 for a lowres PNG); default 1 */
  imageScale?: number;
  /** µm per full-resolution pixel, overriding what the reader derives */
  umPerPx?: number;
  /**
   * Where a reader may write images it has to extract (an .h5ad embeds its PNGs as arrays).
   * Default: a folder under the OS temp dir. Never the project: importing writes nothing there.
   */
  scratchDir?: string;
}

/**
 * True when the sample's matrix holds normalised values (an .h5ad with only log1p X): such a
 * sample is read-only data, and exports must not normalise it again.
 */
export function hasNormalisedValues(sample: Pick<Sample, 'provenance'>): boolean {
  return sample.provenance.notes.values === 'normalised';
}

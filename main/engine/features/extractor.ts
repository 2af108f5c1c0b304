/**
 * The extractor contract. An extractor turns a batch of tiles into one vector per 16-px
 * superpixel: `run(tiles) → (B, 14, 14, dim)`. The manifest says exactly which model and which
 * input convention produced a feature set, and is stored with it so results stay reproducible.
 */

export interface InputConvention {
  /** tile side fed to the model, = 224 + 2·halo */
  size: number;
  /** context pixels on every side beyond the 224-px tile (0 for foundation models) */
  halo: number;
  layout: 'NCHW';
  dtype: 'float32';
  /** value fed for channel c = (rgb/255 − mean[c]) / std[c] */
  mean: [number, number, number];
  std: [number, number, number];
}

/** A map-level stage after the per-tile model (the built-in extractor's context and z-scoring). */
export interface PostStage {
  /** per-tile channels the model emits */
  baseDim: number;
  /** side lengths of the tissue-only neighbourhood means appended after the base channels */
  context: number[];
  /** z-score every final channel over tissue superpixels */
  standardise: boolean;
}

export interface ExtractorManifest {
  /** 'builtin' or the model file's base name */
  id: string;
  kind: 'builtin' | 'onnx';
  version: string;
  /** sha256 of the model bytes (for the built-in one, of the generated graph) */
  sha256: string;
  /** absolute path of a user model file */
  file?: string;
  input: InputConvention;
  output: {
    /** final channels per superpixel in the stored map */
    dim: number;
    layout: string;
    /** names of the final channels, when they have meanings */
    channels?: string[];
  };
  post?: PostStage;
  notes?: string;
}

export interface FeatureExtractor {
  readonly id: string;
  /** channels `run` returns per superpixel (before any post stage) */
  readonly dim: number;
  /** tiles per `run` call; a model with a fixed batch is always fed exactly this many */
  readonly batchSize: number;
  readonly fixedBatch: boolean;
  readonly manifest: ExtractorManifest;
  /** execution provider the session ended up on */
  readonly provider: string;
  /**
   * tiles: B × 3 × size × size float32, normalised per manifest.input. Returns B × 14 × 14 × dim,
   * row-major (superpixel (r, c) of tile b at ((b·14 + r)·14 + c)·dim).
   */
  run(tiles: Float32Array, b: number): Promise<Float32Array>;
  close(): Promise<void>;
}

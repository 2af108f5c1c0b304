/**
 * What one SR method tells the app (docs/architecture.md "Add a method"): its id and label, the
 * kind of result it makes, its options as a zod schema with defaults and presets, what it needs,
 * how it predicts for the benchmark, how it runs on a project sample and is stored, and how a
 * stored superpixel run is read back. main/engine/methods/registry.ts holds one entry per method;
 * the CLI, the API (`methods.list`), the SR panel, the `sr` job task and the benchmark all read it.
 */
import type { z } from 'zod';
import type { ProgressFn } from '../jobs/progress';
import type { TaskContext } from '../jobs/task';
import type { Sample } from '../io/sample';
import type { Project } from '../store/project';
import type { SuperpixelRun } from './runs';
import type { SrInput, SrOutput, SrRunOptions, SuperpixelGrid } from './types';

/** What a stored run of the method is: a superpixel map over the slide, or a (denser) spot set. */
export type RunKind = 'superpixels' | 'spots';

export interface MethodNeeds {
  /** the sample's H&E (the benchmark skips samples without one; the app refuses them) */
  image: boolean;
  /** a spot lattice (square or hexagonal): methods that place new spots between measured ones */
  lattice: boolean;
  /**
   * histology features: 'optional' = a stored feature set of the sample may be chosen (else the
   * method computes its own), 'required' = one must be chosen, 'none' = not read.
   */
  featureSet: 'none' | 'optional' | 'required';
  /** a trained model file supplied by the user (e.g. an ONNX export) */
  modelFile: boolean;
}

/** What a method's `run` gets: the project, the loaded sample, where to report and when to stop. */
export interface SampleRunContext {
  project: Project;
  sample: Sample;
  sampleId: number;
  /** gene indices asked for by name (e.g. the one on screen), modelled besides the method's own choice */
  include: readonly number[];
  /** a stored feature set of the sample chosen as histology input (needs.featureSet) */
  featureSetId?: number;
  /** a model file chosen by the user (needs.modelFile) */
  modelFile?: string;
  /** a folder that survives a crash of this job (checkpoints); the same folder when it resumes */
  workDir: string;
  progress: ProgressFn;
  signal: AbortSignal;
  /** the job's own context, for methods that run another task inline (feature extraction) */
  task: TaskContext;
}

/**
 * A stored run's summary: what the CLI prints and the job row keeps. `details` are small extra
 * numbers or strings (fold, spot counts, superpixels, feature set) shown as they are.
 */
export interface RunOutcome {
  runId: number;
  /** gene symbols modelled */
  genes: string[];
  seconds: number;
  finalLoss?: number;
  /** one human line after "Run N: <label> on <sample>: " */
  summary: string;
  details?: Record<string, number | string | number[]>;
}

/**
 * A stored superpixel run read back: any genes' values for any block of its superpixels, one gene
 * over the grid for the viewer, the superpixel centres for exports and, when the method has one, a
 * per-superpixel latent (clustering, obsm in exports).
 */
export interface SuperpixelReader {
  readonly grid: SuperpixelGrid;
  /** flat superpixel index (i·width + j) of each stored row */
  readonly index: Int32Array;
  /** sample gene index of each modelled gene */
  readonly genes: readonly number[];
  /** values of rows start..end−1 for the given gene columns (positions in `genes`), row-major */
  rows(start: number, end: number, cols?: readonly number[]): Float32Array;
  /** one sample gene over the whole grid (width·height), with the mask of superpixels that have a value */
  geneMap(sampleGene: number): { values: Float32Array; present: Uint8Array; grid: SuperpixelGrid };
  /** rows × d latent, when the method has one */
  latent?(): { dim: number; data: Float32Array };
  /** the run's uncertainty layer (same rows and genes), when it has one (SuperpixelRun.uncertainty) */
  uncertainty?(): SuperpixelReader | null;
}

/** Bench-facing prediction (the harness's protocols): the SrMethod contract of methods/types.ts. */
export type PredictFn = (
  input: SrInput,
  options: SrRunOptions,
  progress: ProgressFn,
  signal?: AbortSignal,
) => Promise<SrOutput>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- entries differ only in their option schema
export type AnyOptionsSchema = z.ZodObject<any>;

export interface MethodEntry<S extends AnyOptionsSchema = AnyOptionsSchema> {
  /** registry key, CLI name, job parameter and run-row method: a lower-case word */
  id: string;
  /** how users see it (select, run lists, layer labels) */
  label: string;
  /** one line for listings */
  description: string;
  kind: RunKind;
  /** true when it learns from the sample (epochs, loss curve) */
  trains: boolean;
  needs: MethodNeeds;
  /** options with defaults: `options.parse({})` is the default run */
  options: S;
  /** named partial option sets (the first is the default); `default` is always there */
  presets: Record<string, Partial<z.input<S>>>;
  /** benchmark prediction; absent = the method runs on project samples only */
  predict?: PredictFn;
  /** a reference baseline the coarsen protocol always scores (benchmark.md step 5) */
  benchReference?: boolean;
  /** benchmark protocols whose input the method accepts (absent: both); `--methods all` uses it */
  benchProtocols?: readonly ('coarsen' | 'holdout')[];
  /**
   * Train (if it trains), predict over the sample and store the run. Absent: the generic path
   * (methods/sample-run.ts) calls `predict` on the sample's own spots and stores its output.
   */
  run?(ctx: SampleRunContext, options: z.output<S>): Promise<RunOutcome>;
  /**
   * Read a stored superpixel run back, for methods that store something other than values per
   * superpixel (e.g. a latent and a head). Absent: the values stored by the generic path.
   */
  openSuperpixels?(run: SuperpixelRun, arraysDir: string, sample: Sample): SuperpixelReader;
}

/** Identity with inference: keeps an entry's option type while it is written. */
export function defineMethod<S extends AnyOptionsSchema>(entry: MethodEntry<S>): MethodEntry<S> {
  return entry;
}

import { z } from 'zod';
import { COLORMAP_NAMES, type ColormapName } from './colormaps';

/**
 * Input and output shapes of every method. Inputs are validated by zod in main on every transport;
 * outputs are typed (and checked in tests) so the renderer can trust them.
 */

const nonEmptyPath = z.string().trim().min(1, 'a path is required').max(4096);
const id = z.number().int().positive();

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

export const JobInfo = z.object({
  id: z.number().int(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  fraction: z.number(),
  message: z.string(),
  etaSeconds: z.number().nullable(),
  metrics: z.record(z.string(), z.number()),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
  result: z.unknown().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobInfo = z.infer<typeof JobInfo>;

export const ProjectInfo = z.object({
  dir: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  counts: z.object({ samples: z.number().int(), runs: z.number().int(), jobs: z.number().int() }),
});
export type ProjectInfo = z.infer<typeof ProjectInfo>;

export const SampleSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  platform: z.string(),
  spots: z.number().int(),
  genes: z.number().int(),
  umPerPx: z.number(),
  image: z.object({ width: z.number(), height: z.number() }).nullable(),
  createdAt: z.string(),
});
export type SampleSummary = z.infer<typeof SampleSummary>;

export const SampleDetail = z.object({
  summary: SampleSummary,
  spotDiameterUm: z.number(),
  lattice: z.string(),
  /** full-res px, one entry per spot */
  x: z.array(z.number()),
  y: z.array(z.number()),
  spotIds: z.array(z.string()),
  /** project-relative .dzi of the slide pyramid, when there is an image */
  slide: z.object({ dzi: z.string(), width: z.number(), height: z.number() }).nullable(),
  annotations: z.array(z.string()),
  /** labelled classes of the first annotation ('' and 'undetermined' not counted): a default k */
  annotationClasses: z.number().int(),
  reader: z.string(),
  warnings: z.array(z.string()),
});
export type SampleDetail = z.infer<typeof SampleDetail>;

export const GeneHit = z.object({ index: z.number().int(), id: z.string(), symbol: z.string() });
export type GeneHit = z.infer<typeof GeneHit>;

export const Domain = z.object({
  label: z.number().int().min(0),
  name: z.string().trim().min(1).max(80),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1f77b4'),
  mergedInto: z.number().int().min(0).nullable(),
});
export type Domain = z.infer<typeof Domain>;

export const ClusteringInfo = z.object({
  id: z.number().int(),
  sampleId: z.number().int(),
  k: z.number().int(),
  /** the SR run whose superpixels it labels; null = the measured spots */
  runId: z.number().int().nullable(),
  level: z.string(),
  sizes: z.array(z.number().int()),
  domains: z.array(Domain),
  agreement: z.record(z.string(), z.object({ ari: z.number(), nmi: z.number() })),
  createdAt: z.string(),
});
export type ClusteringInfo = z.infer<typeof ClusteringInfo>;

export const MarkerGene = z.object({
  gene: z.number().int(),
  symbol: z.string(),
  score: z.number(),
  logFoldChange: z.number(),
  meanIn: z.number(),
  meanOut: z.number(),
  fractionIn: z.number(),
});
export type MarkerGene = z.infer<typeof MarkerGene>;

export const RasterLayer = z.object({
  /** project-relative PNG, one pixel per superpixel */
  path: z.string(),
  /** placement on the slide in full-resolution pixels */
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
  label: z.string(),
  range: z.tuple([z.number(), z.number()]).nullable(),
});
export type RasterLayer = z.infer<typeof RasterLayer>;

/** A scalar map over superpixels as raw values, coloured by the viewer (its own map and range). */
export const ValueLayer = z.object({
  /** project-relative file: rows × cols float32, host byte order (little-endian), NaN = no value */
  path: z.string(),
  rows: z.number().int().min(0),
  cols: z.number().int().min(0),
  /** top-left corner and size of one cell on the slide, in full-resolution pixels */
  x: z.number(),
  y: z.number(),
  cellPx: z.number().positive(),
  gene: GeneHit,
  label: z.string(),
  /** 0 to the 99th percentile */
  range: z.tuple([z.number(), z.number()]),
});
export type ValueLayer = z.infer<typeof ValueLayer>;

export const RunInfo = z.object({
  id: z.number().int(),
  sampleId: z.number().int(),
  /** registry id of the method */
  method: z.string(),
  /** how the method is named to users */
  label: z.string(),
  /** 'superpixels' (an SR map) or 'spots' (a generated denser spot set) */
  output: z.enum(['superpixels', 'spots']),
  genes: z.array(GeneHit),
  losses: z.array(z.number()),
  createdAt: z.string(),
  /** what the run's uncertainty layer means (one line), when it has one (Diff-ST's SD) */
  uncertainty: z.string().optional(),
});
export type RunInfo = z.infer<typeof RunInfo>;

/** One SR method as the registry (main/engine/methods/registry.ts) describes it. */
export const MethodInfo = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  /** what a stored run is: a superpixel map or a (denser) spot set */
  kind: z.enum(['superpixels', 'spots']),
  /** learns from the sample (epochs, loss curve) */
  trains: z.boolean(),
  needs: z.object({
    image: z.boolean(),
    lattice: z.boolean(),
    featureSet: z.enum(['none', 'optional', 'required']),
    modelFile: z.boolean(),
  }),
  /** JSON Schema of the options (type, default, title, minimum/maximum, enum per property) */
  options: z.record(z.string(), z.unknown()),
  /** named partial option sets; `default` is the schema's defaults */
  presets: z.record(z.string(), z.record(z.string(), z.unknown())),
  /** can be run on a project sample */
  stored: z.boolean(),
  /** can be scored by the benchmark */
  bench: z.boolean(),
  /** the module file it was loaded from, for plugin methods */
  plugin: z.string().nullable(),
});
export type MethodInfo = z.infer<typeof MethodInfo>;

export const RecentProject = z.object({ dir: z.string(), name: z.string(), openedAt: z.string() });
export type RecentProject = z.infer<typeof RecentProject>;

/**
 * A cohort opened read-only (docs/cohort.md): the index the cohort workflow writes
 * (<out>/cohort/index.json), with every path resolved. Each sample's project opens as usual.
 */
export const CohortSample = z.object({
  name: z.string(),
  status: z.enum(['ok', 'failed', 'not run']),
  /** absolute folder of the sample's own project, and whether it is there */
  projectDir: z.string(),
  projectExists: z.boolean(),
  spots: z.number().int().nullable(),
  genes: z.number().int().nullable(),
  sr: z
    .object({
      method: z.string(),
      /** the registry's label (the id for a method not registered here) */
      label: z.string(),
      runId: z.number().int().nullable(),
      genes: z.number().int().nullable(),
      /** superpixels of a superpixel run, spots of a generated spot set */
      size: z.number().int().nullable(),
      sizeUnit: z.enum(['superpixels', 'spots']),
      finalLoss: z.number().nullable(),
    })
    .nullable(),
  domains: z
    .object({
      k: z.number().int(),
      sizes: z.array(z.number().int()),
      /** ARI against each annotation column of the sample */
      ari: z.record(z.string(), z.number()),
    })
    .nullable(),
  /** wall seconds and peak resident MB of each workflow step, in order */
  steps: z.array(
    z.object({ step: z.string(), seconds: z.number().nullable(), peakMb: z.number().nullable() }),
  ),
  hasFigure: z.boolean(),
  failures: z.array(
    z.object({
      step: z.string(),
      code: z.string(),
      message: z.string(),
      exitCode: z.number().int().nullable(),
    }),
  ),
});
export type CohortSample = z.infer<typeof CohortSample>;

export const CohortInfo = z.object({
  /** the index file read */
  file: z.string(),
  name: z.string(),
  created: z.string(),
  /** false: the run stopped with failures (index.incomplete.json) */
  complete: z.boolean(),
  counts: z.object({ samples: z.number().int(), ok: z.number().int(), failed: z.number().int() }),
  samples: z.array(CohortSample),
});
export type CohortInfo = z.infer<typeof CohortInfo>;

export const RecentCohort = z.object({ file: z.string(), name: z.string(), openedAt: z.string() });
export type RecentCohort = z.infer<typeof RecentCohort>;

export const AppInfo = z.object({
  version: z.string(),
  transport: z.enum(['electron', 'http']),
  project: ProjectInfo.nullable(),
  /** the ONNX execution provider a session actually ran on here (cpu, cuda, dml) */
  executionProviders: z.array(z.string()),
  /** why a faster provider was not used (e.g. CUDA libraries missing), or null */
  providerFallback: z.string().nullable(),
});
export type AppInfo = z.infer<typeof AppInfo>;

const Ring = z
  .array(z.tuple([z.number().finite(), z.number().finite()]))
  .min(4)
  .max(100_000);
/** a drawn region in full-resolution image px (GeoJSON Polygon or MultiPolygon) */
export const RegionGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: z.array(Ring).min(1).max(1000) }),
  z.object({
    type: z.literal('MultiPolygon'),
    coordinates: z.array(z.array(Ring).min(1).max(1000)).min(1).max(1000),
  }),
]);
export type RegionGeometry = z.infer<typeof RegionGeometry>;

export const Annotation = z.object({
  id: z.number().int(),
  sampleId: z.number().int(),
  /** the label (QuPath classification name) */
  name: z.string(),
  color: z.string(),
  kind: z.enum(['polygon', 'rectangle', 'brush']),
  geometry: RegionGeometry,
});
export type Annotation = z.infer<typeof Annotation>;

export const RegionStats = z.object({
  annotationId: z.number().int(),
  spots: z.number().int(),
  /** superpixels of the chosen run inside the region (null without a run) */
  superpixels: z.number().int().nullable(),
  areaMm2: z.number(),
  genes: z.array(
    z.object({
      symbol: z.string(),
      /** mean raw counts and mean log1p CP10k over the spots inside */
      meanCounts: z.number().nullable(),
      meanLog1p: z.number().nullable(),
      /** mean SR value (counts per superpixel) over the run's superpixels inside; null if not modelled */
      meanSr: z.number().nullable(),
    }),
  ),
  /** region vs the rest of the spots, Wilcoxon rank-sum with BH-adjusted p */
  topGenes: z.array(
    z.object({
      symbol: z.string(),
      score: z.number(),
      pValue: z.number(),
      pAdj: z.number(),
      logFoldChange: z.number(),
      fractionIn: z.number(),
      fractionOut: z.number(),
    }),
  ),
});
export type RegionStats = z.infer<typeof RegionStats>;

const Opacity = z.number().min(0).max(1);
const Colormap = z.enum(COLORMAP_NAMES as [ColormapName, ...ColormapName[]]);
/** the colour range as on screen (the figure's colour bar shows exactly this) */
const ColourRange = z.tuple([z.number().finite(), z.number().finite()]);

/** One layer of an exported figure, as the viewer shows it (bottom to top in `layers`). */
export const FigureLayerRequest = z.discriminatedUnion('kind', [
  /** observed spots, coloured by a gene's log1p CP10k (plain without a gene) */
  z
    .object({
      kind: z.literal('spots'),
      gene: z.string().min(1).max(100).optional(),
      colormap: Colormap.optional(),
      range: ColourRange.optional(),
      opacity: Opacity.optional(),
    })
    .strict(),
  /** one gene's SR map of a superpixel run */
  z
    .object({
      kind: z.literal('sr'),
      runId: id,
      gene: z.string().min(1).max(100),
      colormap: Colormap.optional(),
      range: ColourRange.optional(),
      opacity: Opacity.optional(),
    })
    .strict(),
  /** a clustering's domains (spots or superpixels), in the domains' own colours */
  z.object({ kind: z.literal('domains'), clusteringId: id, opacity: Opacity.optional() }).strict(),
  /** the pathologist labels imported with the sample */
  z.object({ kind: z.literal('labels'), opacity: Opacity.optional() }).strict(),
]);
export type FigureLayerRequest = z.infer<typeof FigureLayerRequest>;

/** A figure of the current view or of a drawn region, at a chosen size and resolution. */
export const FigureRequest = z
  .object({
    /** output pixels */
    width: z.number().int().min(100).max(20000),
    height: z.number().int().min(100).max(20000),
    /** pixels per inch: PNG pHYs, the SVG's and PDF's physical size */
    dpi: z.number().int().min(36).max(2400).optional(),
    title: z.string().max(200).optional(),
    /** full-res px rectangle (the view on screen), or a drawn region (its box, outline drawn) */
    region: z
      .discriminatedUnion('kind', [
        z
          .object({
            kind: z.literal('view'),
            x: z.number().finite(),
            y: z.number().finite(),
            width: z.number().positive().finite(),
            height: z.number().positive().finite(),
          })
          .strict(),
        z.object({ kind: z.literal('annotation'), annotationId: id }).strict(),
      ])
      .optional(),
    /** 0 hides the slide */
    slideOpacity: Opacity.optional(),
    layers: z.array(FigureLayerRequest).max(8),
    /**
     * A side-by-side figure instead (e.g. observed spots | the SR map, as the split view shows
     * them): these panels left to right over the same region, each with its title and keys, one
     * scale bar; `layers` must then be empty.
     */
    panels: z
      .array(
        z
          .object({
            /** default: the gene and what the panel shows (observed, the run's SR) */
            title: z.string().max(200).optional(),
            layers: z.array(FigureLayerRequest).min(1).max(8),
          })
          .strict(),
      )
      .min(2)
      .max(4)
      .optional(),
  })
  .strict();
export type FigureRequest = z.infer<typeof FigureRequest>;

export const Inputs = {
  'app.info': z.object({}).strict(),
  'project.create': z
    .object({ dir: nonEmptyPath, name: z.string().trim().min(1).max(200).optional() })
    .strict(),
  'project.open': z.object({ dir: nonEmptyPath }).strict(),
  'project.info': z.object({}).strict(),
  'project.recent': z.object({}).strict(),
  'samples.list': z.object({}).strict(),
  'samples.import': z
    .object({
      path: nonEmptyPath,
      name: z.string().trim().min(1).max(200).optional(),
      imagePath: nonEmptyPath.optional(),
      umPerPx: z.number().positive().finite().optional(),
    })
    .strict(),
  'samples.get': z.object({ sampleId: id }).strict(),
  'samples.genes': z
    .object({ sampleId: id, query: z.string().max(100), limit: z.number().int().min(1).max(200).optional() })
    .strict(),
  /** per-spot values of one gene: raw counts or log1p of counts per 10⁴ */
  /** every gene of the sample in column order, for the viewer's local search (loaded once) */
  'samples.geneNames': z.object({ sampleId: id }).strict(),
  'samples.expression': z
    .object({
      sampleId: id,
      gene: z.number().int().min(0),
      /** the symbol the viewer means: refused if gene `gene` of this sample is another gene */
      symbol: z.string().min(1).optional(),
      scale: z.enum(['counts', 'log1p-cp10k']).optional(),
    })
    .strict(),
  'clusterings.run': z
    .object({
      sampleId: id,
      k: z.number().int().min(2).max(30),
      seed: z.number().int().min(0).optional(),
      /** cluster this SR run's superpixel latent instead of the spots */
      runId: id.optional(),
      /** SR domains: 'tissue' (default) follows the image, 'latent' is HISTEX's raw latent */
      space: z.enum(['tissue', 'latent']).optional(),
    })
    .strict(),
  'layers.domains': z.object({ clusteringId: id }).strict(),
  'clusterings.list': z.object({ sampleId: id }).strict(),
  'clusterings.labels': z.object({ clusteringId: id }).strict(),
  'clusterings.setDomains': z.object({ clusteringId: id, domains: z.array(Domain).min(1).max(30) }).strict(),
  'clusterings.markers': z
    .object({ clusteringId: id, n: z.number().int().min(1).max(100).optional() })
    .strict(),
  /** writes into the project's exports/ folder; the job's result names the file */
  'exports.run': z
    .object({
      sampleId: id,
      format: z.enum(['h5ad', 'csv', 'geojson', 'png', 'svg', 'pdf']),
      clusteringId: id.optional(),
      /** several clusterings as obs columns (spot h5ad/csv/geojson: spot clusterings; with runId: that run's) */
      clusteringIds: z.array(id).max(20).optional(),
      /** export an SR run's superpixels (h5ad, csv) */
      runId: id.optional(),
      gene: z.string().min(1).max(100).optional(),
      /** png/svg/pdf: the figure as on screen; without it, spots coloured by `gene` or the clustering */
      figure: FigureRequest.optional(),
    })
    .strict(),
  /** extractor: an id from features.extractors (weights-free); ONNX files go through the CLI */
  'features.run': z
    .object({
      sampleId: id,
      extractor: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,31}$/)
        .optional(),
    })
    .strict(),
  'features.list': z.object({ sampleId: id }).strict(),
  'features.extractors': z.object({}).strict(),
  'layers.featuresPca': z.object({ sampleId: id }).strict(),
  'methods.list': z.object({}).strict(),
  /**
   * Options are validated by the method's own schema (methods.list); genes, epochs, seed and fold
   * may also be given at the top level, as shorthand for the same options.
   */
  'runs.start': z
    .object({
      sampleId: id,
      /** a registry id from methods.list */
      method: z.string().regex(/^[a-z][a-z0-9_-]*$/),
      preset: z.string().min(1).max(100).optional(),
      options: z.record(z.string(), z.unknown()).optional(),
      fold: z.number().int().min(2).max(64).optional(),
      genes: z.number().int().min(1).max(5000).optional(),
      epochs: z.number().int().min(1).max(5000).optional(),
      seed: z.number().int().min(0).optional(),
      /** gene indices to model besides the highly variable ones (e.g. the one on screen) */
      include: z.array(z.number().int().min(0)).max(100).optional(),
      /** a stored feature set of the sample as histology input (methods that read one) */
      featureSetId: id.optional(),
    })
    .strict(),
  'runs.list': z.object({ sampleId: id }).strict(),
  'layers.spotSet': z.object({ runId: id, gene: z.number().int().min(0) }).strict(),
  /**
   * one gene's SR map as raw values (the viewer colours it); `symbol` guards the gene index;
   * `layer: 'uncertainty'` reads the run's uncertainty layer instead (RunInfo.uncertainty)
   */
  'layers.srValues': z
    .object({
      runId: id,
      gene: z.number().int().min(0),
      symbol: z.string().min(1).optional(),
      layer: z.enum(['values', 'uncertainty']).optional(),
    })
    .strict(),
  /** per spot: total counts, and each annotation column (pathologist labels of legacy ST imports) */
  'samples.spotInfo': z.object({ sampleId: id }).strict(),
  'jobs.list': z.object({}).strict(),
  'jobs.cancel': z.object({ jobId: id }).strict(),
  'jobs.resume': z.object({ jobId: id }).strict(),
  /** Reads a small project file (JSON/text) by project-relative path; anything outside is refused. */
  'project.readText': z.object({ path: nonEmptyPath }).strict(),
  /** a cohort index (file, or the cohort or results folder holding it), read-only */
  'cohort.open': z.object({ path: nonEmptyPath }).strict(),
  'cohort.recent': z.object({}).strict(),
  /** a sample's domain figure from the cohort's results (PNG, as base64) */
  'cohort.figure': z.object({ file: nonEmptyPath, sample: z.string().min(1).max(200) }).strict(),
  'annotations.list': z.object({ sampleId: id }).strict(),
  /** creates (no id) or replaces (id) one drawn region */
  'annotations.save': z
    .object({
      sampleId: id,
      id: id.optional(),
      name: z.string().trim().min(1).max(200),
      color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
      kind: z.enum(['polygon', 'rectangle', 'brush']),
      geometry: RegionGeometry,
    })
    .strict(),
  'annotations.delete': z.object({ id }).strict(),
  /** a QuPath/GeoJSON FeatureCollection as text (browser mode cannot hand over paths) */
  'annotations.importGeojson': z
    .object({
      sampleId: id,
      text: z
        .string()
        .min(2)
        .max(64 * 2 ** 20),
    })
    .strict(),
  'annotations.exportGeojson': z.object({ sampleId: id }).strict(),
  'regions.stats': z
    .object({
      annotationId: id,
      genes: z.array(z.string().min(1).max(100)).max(50),
      runId: id.optional(),
      nTop: z.number().int().min(1).max(200).optional(),
    })
    .strict(),
} as const;

export const Outputs = {
  'app.info': AppInfo,
  'project.create': ProjectInfo,
  'project.open': ProjectInfo,
  'project.info': ProjectInfo,
  'project.recent': z.array(RecentProject),
  'samples.list': z.array(SampleSummary),
  'samples.import': z.object({ jobId: z.number().int() }),
  'samples.get': SampleDetail,
  'samples.genes': z.array(GeneHit),
  'samples.geneNames': z.object({ ids: z.array(z.string()), symbols: z.array(z.string()) }),
  'samples.expression': z.object({
    gene: GeneHit,
    values: z.array(z.number()),
    min: z.number(),
    max: z.number(),
  }),
  'clusterings.run': z.object({ jobId: z.number().int() }),
  'layers.domains': RasterLayer,
  'clusterings.list': z.array(ClusteringInfo),
  'clusterings.labels': z.object({ labels: z.array(z.number().int()) }),
  'clusterings.setDomains': ClusteringInfo,
  'clusterings.markers': z.array(
    z.object({ label: z.number().int(), name: z.string(), genes: z.array(MarkerGene) }),
  ),
  'exports.run': z.object({ jobId: z.number().int(), path: z.string() }),
  'features.run': z.object({ jobId: z.number().int() }),
  'features.list': z.array(
    z.object({ id: z.number().int(), extractor: z.string(), dim: z.number().int(), createdAt: z.string() }),
  ),
  'features.extractors': z.array(z.object({ id: z.string(), label: z.string(), description: z.string() })),
  'layers.featuresPca': RasterLayer,
  'methods.list': z.array(MethodInfo),
  'runs.start': z.object({ jobId: z.number().int() }),
  'runs.list': z.array(RunInfo),
  'layers.srValues': ValueLayer,
  'samples.spotInfo': z.object({
    totals: z.array(z.number()),
    annotations: z.array(z.object({ name: z.string(), labels: z.array(z.string()) })),
  }),
  'layers.spotSet': z.object({
    x: z.array(z.number()),
    y: z.array(z.number()),
    measured: z.array(z.number().int()),
    values: z.array(z.number()),
    diameterUm: z.number(),
    label: z.string(),
  }),
  'jobs.list': z.array(JobInfo),
  'jobs.cancel': JobInfo,
  'jobs.resume': JobInfo,
  'project.readText': z.object({ text: z.string() }),
  'cohort.open': CohortInfo,
  'cohort.recent': z.array(RecentCohort),
  'cohort.figure': z.object({ mime: z.literal('image/png'), base64: z.string() }),
  'annotations.list': z.array(Annotation),
  'annotations.save': Annotation,
  'annotations.delete': z.object({ id: z.number().int() }),
  'annotations.importGeojson': z.array(Annotation),
  'annotations.exportGeojson': z.object({ text: z.string() }),
  'regions.stats': RegionStats,
} as const satisfies Record<keyof typeof Inputs, z.ZodType>;

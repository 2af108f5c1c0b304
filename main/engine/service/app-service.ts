import { EventEmitter } from 'node:events';
import packageJson from '../../../package.json' with { type: 'json' };
import { probeProvider } from '../onnx/probe-provider';
import { ZodError, type z } from 'zod';
import { closeSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { parseHex } from '../export';
import { getFeatureSet, listFeatureSets, openSampleFeatures } from '../features';
import { isWeightsFreeExtractor, listExtractors } from '../features/extractors';
import { featuresPcaPng, gridPlacement, gridPng, srValueLabel, type GridPlacement } from '../layers';
import type { MethodEntry, SuperpixelReader } from '../methods/entry';
import {
  checkOptions,
  getMethodEntry,
  listMethodEntries,
  listMethodIds,
  loadPlugin,
  methodInfo,
  openSuperpixels,
  pluginFileOf,
  requireMethodEntry,
} from '../methods/registry';
import { projectPlugins } from '../methods/plugins';
import { parseRun, type SpotSetRun, type SrRun, type SuperpixelRun } from '../methods/runs';
import { lruGet } from './lru';
import { getRun, listRuns } from '../store/repos/runs';
import { writeFileAtomic } from '../store/atomic-file';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { effectiveLabels, rankGenesGroups, validateDomains } from '../analysis';
import { readArrayFile } from '../store/array-file';
import { getClustering, listClusterings, setDomains, type ClusteringRow } from '../store/repos/clusterings';
import {
  Inputs,
  type ApiEvent,
  type ApiResult,
  type ClusteringInfo,
  type JobInfo,
  type MethodName,
  type MethodOutput,
  type ProjectInfo,
  type SampleSummary,
} from '../../../preload/contract';
import { EngineError } from '../errors';
import { JobRunner } from '../jobs/runner';
import { createProject, openProject, type Project } from '../store/project';
import { guardProjectFile, openGuarded } from '../store/path-guard';
import { EXPORTS_DIR, LAYERS_DIR } from '../store/project-paths';
import { countRows } from '../store/repos/counts';
import type { JobRow } from '../store/repos/jobs';
import { getSample, listSamples, type SampleRow } from '../store/repos/samples';
import { listLayers } from '../store/repos/layers';
import { loadSample } from '../store/sample-store';
import type { Sample } from '../io/sample';
import { geneColumn, rowSums, searchGenes } from './sample-queries';
import { readRecentProjects, rememberProject } from '../settings/recent-projects';
import { readRecentCohorts, rememberCohort } from '../settings/recent-cohorts';
import { cohortFigure, readCohortIndex } from '../cohort/cohort-index';
import { TASKS, taskModule } from '../tasks';
import type { SrValuesMeta, SrValuesRequest } from '../tasks/sr-values-layer';
import { ThreadService } from '../jobs/thread-service';
import type { SrJobParams } from '../tasks/sr';
import { toApiError, validationError } from './errors';
import { regionHandlers } from './region-handlers';
import { shownClusteringInfo } from './domain-info';

/** The version users see is package.json's (bundled in at build time, never a second copy). */
const APP_VERSION = packageJson.version;
const MAX_TEXT_BYTES = 4 * 2 ** 20;

type Handlers = {
  [M in MethodName]: (input: z.output<(typeof Inputs)[M]>) => Promise<MethodOutput<M>> | MethodOutput<M>;
};

type RunsStartInput = z.output<(typeof Inputs)['runs.start']>;

/** The options a runs.start asks for: `options`, plus the top-level shorthands the method has. */
function givenOptions(entry: MethodEntry, i: RunsStartInput): Record<string, unknown> {
  const given: Record<string, unknown> = { ...(i.options ?? {}) };
  for (const k of ['genes', 'epochs', 'seed', 'fold'] as const)
    if (i[k] !== undefined && Object.hasOwn(entry.options.shape, k)) given[k] = i[k];
  return given;
}

/** runs.start's method and options checked against the registry, as zod issues (null = fine). */
function runStartIssues(i: RunsStartInput): ZodError | null {
  const entry = getMethodEntry(i.method);
  const issue = (path: PropertyKey[], message: string) => ({
    code: 'custom' as const,
    path,
    message,
    input: i,
  });
  if (!entry)
    return new ZodError([
      issue(['method'], `Unknown SR method "${i.method}" (available: ${listMethodIds().join(', ')})`),
    ]);
  const r = checkOptions(entry, i.preset, givenOptions(entry, i));
  if (r.options) {
    if (i.featureSetId !== undefined && entry.needs.featureSet === 'none')
      return new ZodError([issue(['featureSetId'], `${entry.label} reads no feature set`)]);
    return null;
  }
  return new ZodError(r.issues.map((x) => issue(x.path, x.message)));
}

function sampleSummary(s: SampleRow): SampleSummary {
  return {
    id: s.id,
    name: s.name,
    platform: s.platform,
    spots: s.nSpots,
    genes: s.nGenes,
    umPerPx: s.umPerPx,
    image: s.image
      ? { width: s.image.width * s.image.scaleToFullRes, height: s.image.height * s.image.scaleToFullRes }
      : null,
    createdAt: s.createdAt,
  };
}

function clusteringInfo(c: ClusteringRow): ClusteringInfo {
  const params = c.params as { level?: string; sizes?: number[]; agreement?: ClusteringInfo['agreement'] };
  return {
    id: c.id,
    sampleId: c.sampleId,
    k: c.k,
    runId: c.runId,
    level: params.level ?? 'spot',
    sizes: params.sizes ?? [],
    domains: c.domains,
    agreement: params.agreement ?? {},
    createdAt: c.createdAt,
  };
}

export function jobInfo(row: JobRow): JobInfo {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    state: row.state,
    fraction: row.fraction,
    message: row.message,
    etaSeconds: row.etaSeconds,
    metrics: row.metrics,
    error: row.error,
    result: row.result ?? null,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/**
 * The engine behind the contract: one open project at a time, its job runner, and the handler for
 * every method. Transports (IPC, HTTP, tests) call `dispatch`, which validates every input with zod.
 */
export class AppService extends EventEmitter<{ event: [ApiEvent] }> {
  private project: Project | null = null;
  private runner: JobRunner | null = null;
  /** the last few samples read, with library sizes: switching genes must not re-read arrays */
  private readonly sampleCache = new Map<number, { sample: Sample; lib: Float64Array }>();
  private readonly runCache = new Map<number, SuperpixelReader>();
  /** work too slow for this thread (a stored run's first gene map), with its own caches */
  private service: ThreadService | null = null;

  constructor(private readonly options: { transport: 'electron' | 'http'; maxHeavyJobs?: number }) {
    super();
  }

  currentProject(): Project | null {
    return this.project;
  }

  async dispatch(method: string, rawInput: unknown): Promise<ApiResult<unknown>> {
    if (!Object.hasOwn(Inputs, method)) {
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method "${method}".` } };
    }
    const name = method as MethodName;
    const parsed = Inputs[name].safeParse(rawInput ?? {});
    if (!parsed.success) return { ok: false, error: validationError(name, parsed.error) };
    // a run's method and options are checked against the registry, as the schema checks the rest
    const methodIssues = name === 'runs.start' ? runStartIssues(parsed.data as RunsStartInput) : null;
    if (methodIssues) return { ok: false, error: validationError(name, methodIssues) };
    try {
      const handler = this.handlers[name] as (input: unknown) => unknown;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  }

  async openProjectDir(dir: string, create = false, name?: string): Promise<ProjectInfo> {
    const next = create ? createProject(dir, name) : openProject(dir);
    // SR methods named in the project's settings join the registry before anything lists methods
    try {
      for (const file of projectPlugins(next)) await loadPlugin(file, next.dir);
    } catch (err) {
      next.close();
      throw err;
    }
    await this.closeProject();
    this.project = next;
    this.runner = new JobRunner(next, TASKS, { maxHeavy: this.options.maxHeavyJobs ?? 1 });
    this.runner.on('job', (row) => {
      this.emit('event', { type: 'job', job: jobInfo(row) });
      if (row.state !== 'done') return;
      // each task declares what its finished job changed (tasks/index.ts)
      for (const e of TASKS.get(row.kind)?.announces?.(row.params) ?? []) this.emit('event', e);
    });
    rememberProject(next.dir, next.name());
    const info = this.projectInfo();
    this.emit('event', { type: 'project', project: info });
    return info;
  }

  async closeProject(): Promise<void> {
    this.sampleCache.clear();
    this.runCache.clear();
    await this.service?.close();
    this.service = null;
    await this.runner?.close();
    this.project?.close();
    this.runner = null;
    this.project = null;
  }

  private requireProject(): { project: Project; runner: JobRunner } {
    if (!this.project || !this.runner) {
      throw new EngineError('NO_PROJECT', 'No project is open.', {
        hint: 'Create or open a project first.',
      });
    }
    return { project: this.project, runner: this.runner };
  }

  private cachedSample(id: number): { sample: Sample; lib: Float64Array } {
    const { project } = this.requireProject();
    return lruGet(this.sampleCache, id, 3, () => {
      const sample = loadSample(project, id);
      return { sample, lib: rowSums(sample.counts) };
    });
  }

  private serviceThread(): ThreadService {
    return (this.service ??= new ThreadService(taskModule('sr-values-layer')));
  }

  /** An SR run's arrays stay loaded while the user switches genes. */
  private superpixelReader(run: SuperpixelRun): SuperpixelReader {
    const { project } = this.requireProject();
    return lruGet(this.runCache, run.id, 2, () =>
      openSuperpixels(run, project.arraysDir, this.cachedSample(run.sampleId).sample),
    );
  }

  /** A run of this project, parsed (methods/runs.ts), or NOT_FOUND. */
  private run(id: number): SrRun {
    const row = getRun(this.requireProject().project.db, id);
    if (!row) throw new EngineError('NOT_FOUND', `No SR run with id ${id} in this project.`);
    return parseRun(row, (m) => getMethodEntry(m)?.label);
  }

  private superpixelRun(id: number): SuperpixelRun {
    const run = this.run(id);
    if (run.kind !== 'superpixels')
      throw new EngineError(
        'NOT_FOUND',
        `Run ${run.id} generated spots, not superpixels: show it as a spot set.`,
      );
    return run;
  }

  private spotSetRun(id: number): SpotSetRun {
    const run = this.run(id);
    if (run.kind !== 'spots') throw new EngineError('NOT_FOUND', `No generated spot set with run id ${id}.`);
    return run;
  }

  private sampleRow(id: number): SampleRow {
    const row = getSample(this.requireProject().project.db, id);
    if (!row) throw new EngineError('NOT_FOUND', `No sample with id ${id} in this project.`);
    return row;
  }

  private requireFeatureSet(sampleId: number, id: number): void {
    const row = getFeatureSet(this.requireProject().project, id);
    if (!row || row.sampleId !== sampleId)
      throw new EngineError('NOT_FOUND', `Feature set ${id} does not belong to sample ${sampleId}.`, {
        hint: "Pick one of the sample's feature sets, or leave it out to use the built-in features.",
      });
  }

  private clusteringRow(id: number): ClusteringRow {
    const row = getClustering(this.requireProject().project.db, id);
    if (!row) throw new EngineError('NOT_FOUND', `No clustering with id ${id} in this project.`);
    return row;
  }

  /** sizes and agreement as the merged domains show them (domain-info.ts) */
  private shownInfo(c: ClusteringRow): ClusteringInfo {
    return shownClusteringInfo(
      clusteringInfo(c),
      () => this.clusteringLabels(c),
      () => this.cachedSample(c.sampleId).sample.annotations,
    );
  }

  private clusteringLabels(row: ClusteringRow): Int32Array {
    return readArrayFile(join(this.requireProject().project.arraysDir, row.labelsArray)).data as Int32Array;
  }

  private projectInfo(): ProjectInfo {
    const { project } = this.requireProject();
    return {
      dir: project.dir,
      name: project.name(),
      schemaVersion: project.schemaVersion,
      counts: {
        samples: countRows(project.db, 'samples'),
        runs: countRows(project.db, 'runs'),
        jobs: countRows(project.db, 'jobs'),
      },
    };
  }

  private readonly handlers: Handlers = {
    'app.info': async () => {
      const ran = await probeProvider();
      return {
        version: APP_VERSION,
        transport: this.options.transport,
        project: this.project ? this.projectInfo() : null,
        executionProviders: [ran.provider],
        providerFallback: ran.fallbackReason ?? null,
      };
    },
    'project.create': (i) => this.openProjectDir(i.dir, true, i.name),
    'project.open': (i) => this.openProjectDir(i.dir),
    'project.info': () => this.projectInfo(),
    'project.recent': () => readRecentProjects(),
    // Read-only: opening a cohort reads its index; each sample's project opens with project.open.
    'cohort.open': (i) => {
      const cohort = readCohortIndex(i.path);
      rememberCohort(cohort.file, cohort.name);
      return cohort;
    },
    'cohort.recent': () => readRecentCohorts(),
    'cohort.figure': (i) => cohortFigure(i.file, i.sample),
    'samples.list': () => listSamples(this.requireProject().project.db).map(sampleSummary),
    'samples.get': (i) => {
      const row = this.sampleRow(i.sampleId);
      const { sample } = this.cachedSample(i.sampleId);
      const slide = listLayers(this.requireProject().project.db, row.id, 'slide')[0];
      return {
        summary: sampleSummary(row),
        spotDiameterUm: row.spotDiameterUm,
        lattice: row.lattice,
        x: sample.spots.map((s) => s.x),
        y: sample.spots.map((s) => s.y),
        spotIds: sample.spots.map((s) => s.id),
        slide: slide ? (slide.settings as { dzi: string; width: number; height: number }) : null,
        annotations: Object.keys(sample.annotations ?? {}),
        annotationClasses: new Set(
          (Object.values(sample.annotations ?? {})[0] ?? []).filter((l) => l !== '' && l !== 'undetermined'),
        ).size,
        reader: row.provenance.reader,
        warnings: row.provenance.warnings,
      };
    },
    'samples.genes': (i) => {
      this.sampleRow(i.sampleId);
      return searchGenes(this.cachedSample(i.sampleId).sample.genes, i.query, i.limit ?? 20);
    },
    'samples.geneNames': (i) => {
      this.sampleRow(i.sampleId);
      const { genes } = this.cachedSample(i.sampleId).sample;
      return { ids: genes.map((g) => g.id), symbols: genes.map((g) => g.symbol) };
    },
    'samples.expression': (i) => {
      this.sampleRow(i.sampleId);
      const { sample, lib } = this.cachedSample(i.sampleId);
      const named = sample.genes[i.gene];
      // A gene index means nothing without its sample: the name guards against an index from another sample.
      if (i.symbol !== undefined && named && named.symbol !== i.symbol)
        throw new EngineError(
          'BAD_INPUT',
          `Gene ${i.gene} of sample ${i.sampleId} is ${named.symbol}, not ${i.symbol}.`,
          { hint: 'Type the gene again.' },
        );
      const values = geneColumn(sample.counts, i.gene, i.scale ?? 'log1p-cp10k', lib);
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const g = sample.genes[i.gene]!;
      return { gene: { index: i.gene, id: g.id, symbol: g.symbol }, values: Array.from(values), min, max };
    },
    'samples.import': (i) => {
      const { runner } = this.requireProject();
      const job = runner.submit('sample.import', i);
      return { jobId: job.id };
    },
    'clusterings.run': (i) => {
      this.sampleRow(i.sampleId);
      const { project, runner } = this.requireProject();
      if (i.runId !== undefined) {
        const run = getRun(project.db, i.runId);
        if (!run || run.sampleId !== i.sampleId) {
          throw new EngineError('NOT_FOUND', `Run ${i.runId} is not an SR run of sample ${i.sampleId}.`);
        }
        return { jobId: runner.submit('cluster.superpixels', { ...i, runId: i.runId }).id };
      }
      return { jobId: runner.submit('cluster.spots', i).id };
    },
    'layers.domains': async (i) => {
      const { project } = this.requireProject();
      const c = this.clusteringRow(i.clusteringId);
      if (c.runId === null)
        throw new EngineError(
          'BAD_INPUT',
          `Clustering ${c.id} is of spots: it is drawn on the spots, not as a layer.`,
        );
      const { grid, index } = this.superpixelReader(this.superpixelRun(c.runId));
      const labels = effectiveLabels(c.domains, this.clusteringLabels(c));
      const colour = new Map(c.domains.map((d) => [d.label, parseHex(d.color)]));
      const at = new Int32Array(grid.height * grid.width).fill(-1);
      index.forEach((sp, k) => (at[sp] = labels[k]!));
      const key = createHash('sha1').update(JSON.stringify(c.domains)).digest('hex').slice(0, 10);
      const rel = `${LAYERS_DIR}/domains-${c.id}-${key}.png`;
      mkdirSync(join(project.dir, LAYERS_DIR), { recursive: true });
      writeFileAtomic(
        join(project.dir, rel),
        await gridPng(grid.height, grid.width, (sp) => (at[sp]! >= 0 ? (colour.get(at[sp]!) ?? null) : null)),
      );
      return {
        path: rel,
        ...gridPlacement(grid),
        label: `SR domains (k = ${c.k})`,
        range: null,
      };
    },
    'clusterings.list': (i) => {
      this.sampleRow(i.sampleId);
      return listClusterings(this.requireProject().project.db, i.sampleId).map((c) => this.shownInfo(c));
    },
    'clusterings.labels': (i) => ({
      labels: Array.from(this.clusteringLabels(this.clusteringRow(i.clusteringId))),
    }),
    'clusterings.setDomains': (i) => {
      const { project } = this.requireProject();
      const row = this.clusteringRow(i.clusteringId);
      validateDomains(row.domains, i.domains);
      project.db.transaction(() => setDomains(project.db, row.id, i.domains))();
      return this.shownInfo(this.clusteringRow(row.id));
    },
    'clusterings.markers': (i) => {
      const row = this.clusteringRow(i.clusteringId);
      // Marker genes are ranked on measured spots; SR domains have no spot labels of their own.
      if (row.runId !== null) return [];
      const { sample } = this.cachedSample(row.sampleId);
      const labels = effectiveLabels(row.domains, this.clusteringLabels(row));
      const ranked = rankGenesGroups(sample.counts, labels, i.n ?? 20);
      return [...ranked.entries()].map(([label, genes]) => ({
        label,
        name: row.domains.find((d) => d.label === label)?.name ?? `Domain ${label + 1}`,
        genes: genes.map((g) => ({ ...g, symbol: sample.genes[g.gene]!.symbol })),
      }));
    },
    'exports.run': (i) => {
      const { project, runner } = this.requireProject();
      const row = this.sampleRow(i.sampleId);
      // The UI may only write inside the project: browser mode must not let a page pick paths.
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const safeName = row.name.replace(/[^A-Za-z0-9._-]+/g, '_');
      const rel = `${EXPORTS_DIR}/${safeName}-${stamp}.${i.format}`;
      const job = runner.submit('export.sample', { ...i, out: join(project.dir, rel) });
      return { jobId: job.id, path: rel };
    },
    'features.run': (i) => {
      const extractor = i.extractor ?? 'builtin';
      if (!isWeightsFreeExtractor(extractor)) {
        throw new EngineError(
          'BAD_INPUT',
          `Unknown extractor "${extractor}": one of ${listExtractors()
            .map((e) => e.id)
            .join(', ')} (a user's ONNX model goes through \`stsr features --extractor FILE.onnx\`).`,
        );
      }
      this.sampleRow(i.sampleId);
      const params = extractor === 'builtin' ? { sampleId: i.sampleId } : { sampleId: i.sampleId, extractor };
      return { jobId: this.requireProject().runner.submit('features.extract', params).id };
    },
    'features.extractors': () => listExtractors(),
    'features.list': (i) => {
      this.sampleRow(i.sampleId);
      return listFeatureSets(this.requireProject().project, i.sampleId).map((r) => ({
        id: r.id,
        extractor: r.extractor,
        dim: r.dim,
        createdAt: r.createdAt,
      }));
    },
    'layers.featuresPca': async (i) => {
      const { project } = this.requireProject();
      this.sampleRow(i.sampleId);
      const { row, map } = openSampleFeatures(project, i.sampleId);
      try {
        const rel = `${LAYERS_DIR}/features-pca-${row.id}.png`;
        const meta = `${LAYERS_DIR}/features-pca-${row.id}.json`;
        const file = join(project.dir, rel);
        let placement: GridPlacement;
        if (existsSync(file) && existsSync(join(project.dir, meta))) {
          placement = JSON.parse(readFileSync(join(project.dir, meta), 'utf8')) as GridPlacement;
        } else {
          const r = await featuresPcaPng(map);
          placement = r.placement;
          mkdirSync(join(project.dir, LAYERS_DIR), { recursive: true });
          writeFileAtomic(file, r.png);
          writeFileAtomic(join(project.dir, meta), Buffer.from(JSON.stringify(placement)));
        }
        return { path: rel, ...placement, label: `Features (${row.extractor}) PCA 1–3 as RGB`, range: null };
      } finally {
        map.close();
      }
    },
    'methods.list': () => listMethodEntries().map(methodInfo),
    'runs.start': (i) => {
      this.sampleRow(i.sampleId);
      const { runner } = this.requireProject();
      // method and options were checked in dispatch (runStartIssues)
      const entry = requireMethodEntry(i.method);
      const { sampleId, method, preset, include, featureSetId } = i;
      const given = givenOptions(entry, i);
      if (featureSetId !== undefined) this.requireFeatureSet(sampleId, featureSetId);
      const plugin = pluginFileOf(entry.id);
      const params: SrJobParams = {
        sampleId,
        method,
        options: given,
        ...(preset !== undefined ? { preset } : {}),
        ...(include !== undefined ? { include } : {}),
        ...(featureSetId !== undefined ? { featureSetId } : {}),
        ...(plugin !== undefined ? { plugins: [plugin] } : {}),
      };
      return { jobId: runner.submit('sr', params).id };
    },
    'runs.list': (i) => {
      this.sampleRow(i.sampleId);
      const { sample } = this.cachedSample(i.sampleId);
      return listRuns(this.requireProject().project.db, i.sampleId).map((row) => {
        const r = parseRun(row, (m) => getMethodEntry(m)?.label);
        return {
          id: r.id,
          sampleId: r.sampleId,
          method: r.method,
          label: r.label,
          output: r.kind,
          genes: r.genes.map((g) => ({
            index: g,
            id: sample.genes[g]?.id ?? String(g),
            symbol: sample.genes[g]?.symbol ?? String(g),
          })),
          losses: r.losses,
          createdAt: r.createdAt,
          ...(r.kind === 'superpixels' && r.uncertainty !== undefined ? { uncertainty: r.uncertainty } : {}),
        };
      });
    },
    'layers.srValues': async (i) => {
      const { project } = this.requireProject();
      const run = this.superpixelRun(i.runId);
      const { sample } = this.cachedSample(run.sampleId);
      const g = sample.genes[i.gene];
      if (!g || (i.symbol !== undefined && g.symbol !== i.symbol))
        throw new EngineError('BAD_INPUT', `Gene ${i.gene} of this sample is not ${i.symbol ?? 'a gene'}.`);
      const sd = i.layer === 'uncertainty';
      // A stored run never changes, so each gene's map is computed once and kept (values + a
      // small JSON of its placement and range); the id and creation time name the run.
      const stamp = createHash('sha1').update(`${run.id}:${run.createdAt}`).digest('hex').slice(0, 8);
      const rel = `${LAYERS_DIR}/srv-${run.id}-${stamp}-${i.gene}${sd ? '-sd' : ''}.f32`;
      const file = join(project.dir, rel);
      const metaFile = file.replace(/\.f32$/, '.json');
      let meta: SrValuesMeta | null = null;
      if (existsSync(file) && existsSync(metaFile)) {
        try {
          meta = JSON.parse(readFileSync(metaFile, 'utf8')) as SrValuesMeta;
        } catch {
          meta = null;
        }
      }
      // made in the service thread (tasks/sr-values-layer.ts): a gene map blocks for too long here
      const plugin = pluginFileOf(run.method);
      meta ??= await this.serviceThread().call<SrValuesMeta>('srValuesLayer', {
        projectDir: project.dir,
        run,
        gene: i.gene,
        layer: sd ? 'uncertainty' : 'values',
        file,
        metaFile,
        ...(plugin !== undefined ? { plugin } : {}),
      } satisfies SrValuesRequest);
      const cut = meta;
      return {
        path: rel,
        rows: cut.rows,
        cols: cut.cols,
        x: cut.x,
        y: cut.y,
        cellPx: cut.cellPx,
        gene: { index: i.gene, id: g.id, symbol: g.symbol },
        label: sd
          ? `${g.symbol} uncertainty (${run.label}): ${run.uncertainty ?? ''}`
          : srValueLabel(g.symbol, run.label),
        range: cut.range,
      };
    },
    'samples.spotInfo': (i) => {
      this.sampleRow(i.sampleId);
      const { sample, lib } = this.cachedSample(i.sampleId);
      return {
        totals: Array.from(lib),
        annotations: Object.entries(sample.annotations ?? {}).map(([name, labels]) => ({ name, labels })),
      };
    },
    'layers.spotSet': (i) => {
      const { project } = this.requireProject();
      const run = this.spotSetRun(i.runId);
      const q = run.genes.indexOf(i.gene);
      const { sample } = this.cachedSample(run.sampleId);
      if (q < 0) {
        throw new EngineError(
          'NOT_FOUND',
          `${sample.genes[i.gene]?.symbol ?? i.gene} was not modelled in run ${run.id}.`,
        );
      }
      const read = (f: string) => readArrayFile(join(project.arraysDir, f));
      const xy = read(run.arrays.xy).data;
      const values = read(run.arrays.values);
      const G = values.shape[1]!;
      const n = values.shape[0]!;
      const v = values.data;
      return {
        x: Array.from({ length: n }, (_, k) => Number(xy[2 * k]!)),
        y: Array.from({ length: n }, (_, k) => Number(xy[2 * k + 1]!)),
        measured: Array.from(read(run.arrays.measured).data, Number),
        values: Array.from({ length: n }, (_, k) => Number(v[k * G + q]!)),
        diameterUm: run.spotDiameterUm,
        label: `${sample.genes[i.gene]?.symbol ?? i.gene} (${run.label} ${run.fold}×, log1p CP10k)`,
      };
    },
    'jobs.list': () => this.requireProject().runner.list().map(jobInfo),
    'jobs.cancel': (i) => jobInfo(this.requireProject().runner.cancel(i.jobId)),
    'jobs.resume': (i) => jobInfo(this.requireProject().runner.resume(i.jobId)),
    'project.readText': (i) => {
      const { project } = this.requireProject();
      // realpath inside the project, never the database under any alias, text kinds only
      const file = guardProjectFile(project.dir, i.path, 'text');
      if (file.size > MAX_TEXT_BYTES)
        throw new EngineError('BAD_INPUT', `${i.path} is too large to read as text.`);
      const fd = openGuarded(file);
      try {
        return { text: readFileSync(fd, 'utf8') };
      } finally {
        closeSync(fd);
      }
    },
    ...regionHandlers({
      db: () => this.requireProject().project.db,
      sampleRow: (id) => this.sampleRow(id),
      cachedSample: (id) => this.cachedSample(id),
      superpixelReader: (run) => this.superpixelReader(run),
    }),
  };
}

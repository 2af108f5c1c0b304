import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { parseHex } from '../export';
import { getFeatureSet, listFeatureSets, openSampleFeatures } from '../features';
import {
  cropValues,
  featuresPcaPng,
  gridPng,
  maskedQuantile,
  scalarColour,
  type GridPlacement,
} from '../layers';
import { StoredRun } from '../methods/histex';
import { lruGet } from './lru';
import { getRun, listRuns, type RunRow } from '../store/repos/runs';
import { writeFileAtomic } from '../store/atomic-file';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
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
import { DB_FILE, EXPORTS_DIR, LAYERS_DIR, resolveInsideProject } from '../store/project-paths';
import { countRows } from '../store/repos/counts';
import type { JobRow } from '../store/repos/jobs';
import { getSample, listSamples, type SampleRow } from '../store/repos/samples';
import { listLayers } from '../store/repos/layers';
import { loadSample } from '../store/sample-store';
import type { Sample } from '../io/sample';
import { geneColumn, rowSums, searchGenes } from './sample-queries';
import { readRecentProjects, rememberProject } from '../settings/recent-projects';
import { TASKS } from '../tasks';
import { spotSetMethodName } from '../tasks/spot-set';
import { toApiError, validationError } from './errors';

const APP_VERSION = '0.1.0';
const MAX_TEXT_BYTES = 4 * 2 ** 20;

type Handlers = {
  [M in MethodName]: (input: z.output<(typeof Inputs)[M]>) => Promise<MethodOutput<M>> | MethodOutput<M>;
};

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
  private readonly runCache = new Map<number, StoredRun>();

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
    try {
      const handler = this.handlers[name] as (input: unknown) => unknown;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  }

  async openProjectDir(dir: string, create = false, name?: string): Promise<ProjectInfo> {
    const next = create ? createProject(dir, name) : openProject(dir);
    await this.closeProject();
    this.project = next;
    this.runner = new JobRunner(next, TASKS, { maxHeavy: this.options.maxHeavyJobs ?? 1 });
    this.runner.on('job', (row) => {
      this.emit('event', { type: 'job', job: jobInfo(row) });
      if (row.state !== 'done') return;
      if (row.kind === 'sample.import') this.emit('event', { type: 'samples-changed' });
      if (row.kind.startsWith('sr.')) {
        this.emit('event', { type: 'runs-changed', sampleId: (row.params as { sampleId: number }).sampleId });
      }
      if (row.kind === 'features.extract') {
        this.emit('event', {
          type: 'layers-changed',
          sampleId: (row.params as { sampleId: number }).sampleId,
        });
      }
      if (row.kind === 'cluster.superpixels') {
        this.emit('event', {
          type: 'clusterings-changed',
          sampleId: (row.params as { sampleId: number }).sampleId,
        });
      }
      if (row.kind === 'cluster.spots') {
        this.emit('event', {
          type: 'clusterings-changed',
          sampleId: (row.params as { sampleId: number }).sampleId,
        });
      }
    });
    rememberProject(next.dir, next.name());
    const info = this.projectInfo();
    this.emit('event', { type: 'project', project: info });
    return info;
  }

  async closeProject(): Promise<void> {
    this.sampleCache.clear();
    this.runCache.clear();
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

  /** An SR run's arrays stay loaded while the user switches genes. */
  private storedRun(run: RunRow): StoredRun {
    const { project } = this.requireProject();
    return lruGet(
      this.runCache,
      run.id,
      2,
      () => new StoredRun(project.arraysDir, run, this.cachedSample(run.sampleId).sample),
    );
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
    'app.info': () => ({
      version: APP_VERSION,
      transport: this.options.transport,
      project: this.project ? this.projectInfo() : null,
      executionProviders: ['cpu'],
    }),
    'project.create': (i) => this.openProjectDir(i.dir, true, i.name),
    'project.open': (i) => this.openProjectDir(i.dir),
    'project.info': () => this.projectInfo(),
    'project.recent': () => readRecentProjects(),
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
      const run = c.runId !== null ? getRun(project.db, c.runId) : undefined;
      if (!run)
        throw new EngineError(
          'BAD_INPUT',
          `Clustering ${c.id} is of spots: it is drawn on the spots, not as a layer.`,
        );
      const grid = run.result.grid as {
        rows: number;
        cols: number;
        superpixelPx: number;
        originPx: { x: number; y: number };
      };
      const index = readArrayFile(join(project.arraysDir, (run.arrays as { index: string }).index))
        .data as Int32Array;
      const labels = effectiveLabels(c.domains, this.clusteringLabels(c));
      const colour = new Map(c.domains.map((d) => [d.label, parseHex(d.color)]));
      const at = new Int32Array(grid.rows * grid.cols).fill(-1);
      index.forEach((sp, k) => (at[sp] = labels[k]!));
      const key = createHash('sha1').update(JSON.stringify(c.domains)).digest('hex').slice(0, 10);
      const rel = `${LAYERS_DIR}/domains-${c.id}-${key}.png`;
      mkdirSync(join(project.dir, LAYERS_DIR), { recursive: true });
      writeFileAtomic(
        join(project.dir, rel),
        await gridPng(grid.rows, grid.cols, (sp) => (at[sp]! >= 0 ? (colour.get(at[sp]!) ?? null) : null)),
      );
      const s = grid.superpixelPx;
      return {
        path: rel,
        x: grid.originPx.x,
        y: grid.originPx.y,
        width: grid.cols * s,
        height: grid.rows * s,
        label: `SR domains (k = ${c.k})`,
        range: null,
      };
    },
    'clusterings.list': (i) => {
      this.sampleRow(i.sampleId);
      return listClusterings(this.requireProject().project.db, i.sampleId).map(clusteringInfo);
    },
    'clusterings.labels': (i) => ({
      labels: Array.from(this.clusteringLabels(this.clusteringRow(i.clusteringId))),
    }),
    'clusterings.setDomains': (i) => {
      const { project } = this.requireProject();
      const row = this.clusteringRow(i.clusteringId);
      validateDomains(row.domains, i.domains);
      project.db.transaction(() => setDomains(project.db, row.id, i.domains))();
      return clusteringInfo(this.clusteringRow(row.id));
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
      this.sampleRow(i.sampleId);
      return { jobId: this.requireProject().runner.submit('features.extract', { sampleId: i.sampleId }).id };
    },
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
    'runs.start': (i) => {
      this.sampleRow(i.sampleId);
      const { runner } = this.requireProject();
      if (i.method === 'histosge') {
        const { sampleId, genes, epochs, seed, fold, include } = i;
        return { jobId: runner.submit('sr.histosge', { sampleId, genes, epochs, seed, fold, include }).id };
      }
      if (i.method === 'interp') {
        const { sampleId, genes, fold, include } = i;
        return { jobId: runner.submit('sr.interp', { sampleId, genes, fold, include }).id };
      }
      if (i.featureSetId !== undefined) this.requireFeatureSet(i.sampleId, i.featureSetId);
      return { jobId: runner.submit('sr.histex', i).id };
    },
    'runs.list': (i) => {
      this.sampleRow(i.sampleId);
      const { sample } = this.cachedSample(i.sampleId);
      return listRuns(this.requireProject().project.db, i.sampleId).map((r) => ({
        id: r.id,
        sampleId: r.sampleId,
        method: r.method,
        output: r.result.kind === 'spots' ? ('spots' as const) : ('superpixels' as const),
        genes: ((r.result.genes as number[] | undefined) ?? []).map((g) => ({
          index: g,
          id: sample.genes[g]?.id ?? String(g),
          symbol: sample.genes[g]?.symbol ?? String(g),
        })),
        losses: (r.result.losses as number[] | undefined) ?? [],
        createdAt: r.createdAt,
      }));
    },
    'layers.srGene': async (i) => {
      const { project } = this.requireProject();
      const run = getRun(project.db, i.runId);
      if (!run) throw new EngineError('NOT_FOUND', `No SR run with id ${i.runId} in this project.`);
      if (run.result.kind === 'spots')
        throw new EngineError(
          'NOT_FOUND',
          `Run ${run.id} generated spots, not superpixels: show it as a spot set.`,
        );
      const { sample } = this.cachedSample(run.sampleId);
      const map = this.storedRun(run).geneMap(i.gene);
      const range: [number, number] = [0, maskedQuantile(map.values, map.present, 0.99) || 1];
      const rel = `${LAYERS_DIR}/sr-${run.id}-${i.gene}.png`;
      mkdirSync(join(project.dir, LAYERS_DIR), { recursive: true });
      writeFileAtomic(
        join(project.dir, rel),
        await gridPng(map.grid.rows, map.grid.cols, scalarColour(map.values, map.present, range)),
      );
      const k = map.grid.superpixelPx;
      return {
        path: rel,
        x: map.grid.originPx.x,
        y: map.grid.originPx.y,
        width: map.grid.cols * k,
        height: map.grid.rows * k,
        label: `${sample.genes[i.gene]?.symbol ?? i.gene} (${run.method} SR, counts per 8 µm)`,
        range,
      };
    },
    'layers.srValues': (i) => {
      const { project } = this.requireProject();
      const run = getRun(project.db, i.runId);
      if (!run || run.result.kind === 'spots')
        throw new EngineError('NOT_FOUND', `No SR map run with id ${i.runId} in this project.`);
      const { sample } = this.cachedSample(run.sampleId);
      const g = sample.genes[i.gene];
      if (!g || (i.symbol !== undefined && g.symbol !== i.symbol))
        throw new EngineError('BAD_INPUT', `Gene ${i.gene} of this sample is not ${i.symbol ?? 'a gene'}.`);
      // A stored run never changes, so each gene's map is computed once and kept (values + a
      // small JSON of its placement and range); the id and creation time name the run.
      const stamp = createHash('sha1').update(`${run.id}:${run.createdAt}`).digest('hex').slice(0, 8);
      const rel = `${LAYERS_DIR}/srv-${run.id}-${stamp}-${i.gene}.f32`;
      const file = join(project.dir, rel);
      const metaFile = file.replace(/\.f32$/, '.json');
      type Meta = {
        rows: number;
        cols: number;
        x: number;
        y: number;
        cellPx: number;
        range: [number, number];
      };
      let meta: Meta | null = null;
      if (existsSync(file) && existsSync(metaFile)) {
        try {
          meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
        } catch {
          meta = null;
        }
      }
      if (!meta) {
        const map = this.storedRun(run).geneMap(i.gene);
        const cut = cropValues(map.values, map.present, map.grid);
        mkdirSync(join(project.dir, LAYERS_DIR), { recursive: true });
        writeFileAtomic(file, Buffer.from(cut.data.buffer, cut.data.byteOffset, cut.data.byteLength));
        const { rows, cols, x, y, range } = cut;
        meta = { rows, cols, x, y, cellPx: map.grid.superpixelPx, range };
        writeFileAtomic(metaFile, Buffer.from(JSON.stringify(meta)));
      }
      const cut = meta;
      return {
        path: rel,
        rows: cut.rows,
        cols: cut.cols,
        x: cut.x,
        y: cut.y,
        cellPx: cut.cellPx,
        gene: { index: i.gene, id: g.id, symbol: g.symbol },
        label: `${g.symbol} (${run.method} SR, counts per 8 µm)`,
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
      const run = getRun(project.db, i.runId);
      if (!run || run.result.kind !== 'spots')
        throw new EngineError('NOT_FOUND', `No generated spot set with run id ${i.runId}.`);
      const genes = run.result.genes as number[];
      const q = genes.indexOf(i.gene);
      const { sample } = this.cachedSample(run.sampleId);
      if (q < 0) {
        throw new EngineError(
          'NOT_FOUND',
          `${sample.genes[i.gene]?.symbol ?? i.gene} was not modelled in run ${run.id}.`,
        );
      }
      const a = run.arrays as { xy: string; measured: string; values: string };
      const xy = readArrayFile(join(project.arraysDir, a.xy)).data as Float64Array;
      const values = readArrayFile(join(project.arraysDir, a.values));
      const G = values.shape[1]!;
      const n = values.shape[0]!;
      const v = values.data as Float32Array;
      return {
        x: Array.from({ length: n }, (_, k) => xy[2 * k]!),
        y: Array.from({ length: n }, (_, k) => xy[2 * k + 1]!),
        measured: Array.from(readArrayFile(join(project.arraysDir, a.measured)).data),
        values: Array.from({ length: n }, (_, k) => v[k * G + q]!),
        diameterUm: run.result.spotDiameterUm as number,
        label: `${sample.genes[i.gene]?.symbol ?? i.gene} (${spotSetMethodName(run.method)} ${String(run.result.fold)}×, log1p CP10k)`,
      };
    },
    'jobs.list': () => this.requireProject().runner.list().map(jobInfo),
    'jobs.cancel': (i) => jobInfo(this.requireProject().runner.cancel(i.jobId)),
    'jobs.resume': (i) => jobInfo(this.requireProject().runner.resume(i.jobId)),
    'project.readText': (i) => {
      const { project } = this.requireProject();
      const file = resolveInsideProject(project.dir, i.path);
      if (basename(file).startsWith(DB_FILE)) {
        throw new EngineError('FORBIDDEN', 'The project database is not readable through the API.');
      }
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new EngineError('NOT_FOUND', `${i.path} does not exist in the project.`);
      }
      if (size > MAX_TEXT_BYTES)
        throw new EngineError('BAD_INPUT', `${i.path} is too large to read as text.`);
      return { text: readFileSync(file, 'utf8') };
    },
  };
}

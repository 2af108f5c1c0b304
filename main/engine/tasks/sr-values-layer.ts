/**
 * An SR gene's values layer (`layers.srValues`), made the first time a gene of a run is asked for:
 * the gene map over the superpixel grid (HISTEX/iStar compute it from the stored latents), cropped
 * to the tissue with its colour range, written as `<file>` (float32) and `<metaFile>` (JSON).
 *
 * Not a job: it runs in a service thread (jobs/thread-service.ts, started by the app service),
 * because on the server's thread a first gene map took ~50 ms idle and several hundred under load,
 * and a run's reader (arrays, spot geometry) half a second more, during which no tile or request
 * was answered. The module keeps the open project, samples and run readers between calls, as the
 * service did on its own thread. Lives beside the tasks so the packaged app bundles it the same way.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineError } from '../errors';
import type { Sample } from '../io/sample';
import { cropValues } from '../layers';
import type { SuperpixelReader } from '../methods/entry';
import { loadPlugin, openSuperpixels } from '../methods/registry';
import type { SuperpixelRun } from '../methods/runs';
import { lruGet } from '../service/lru';
import { writeFileAtomic } from '../store/atomic-file';
import { openProject, type Project } from '../store/project';
import { loadSample } from '../store/sample-store';

export interface SrValuesRequest {
  projectDir: string;
  /** the run as the service parsed it (methods/runs.ts) */
  run: SuperpixelRun;
  /** sample gene index */
  gene: number;
  layer: 'values' | 'uncertainty';
  /** where the layer goes (absolute; the service named them and serves them) */
  file: string;
  metaFile: string;
  /** the plugin module of a method that is not built in */
  plugin?: string;
}

export interface SrValuesMeta {
  rows: number;
  cols: number;
  x: number;
  y: number;
  cellPx: number;
  range: [number, number];
}

const projects = new Map<string, Project>();
const samples = new Map<string, Sample>();
const readers = new Map<string, SuperpixelReader>();

function project(dir: string): Project {
  let p = projects.get(dir);
  if (!p) {
    // one project at a time, as in the service
    close();
    p = openProject(dir);
    projects.set(dir, p);
  }
  return p;
}

/**
 * The reader's gene map, cropped, with its range: the values the viewer gets. Pure given the
 * reader; `srValuesLayer` is this plus the files, in the service thread.
 */
export function srValuesOf(
  reader: SuperpixelReader,
  run: SuperpixelRun,
  gene: number,
  layer: SrValuesRequest['layer'],
  symbol: string = String(gene),
): { data: Float32Array; meta: SrValuesMeta } {
  const values = layer === 'uncertainty' ? reader.uncertainty?.() : reader;
  if (!values) throw new EngineError('NOT_FOUND', `Run ${run.id} (${run.label}) has no uncertainty layer.`);
  if (!values.genes.includes(gene))
    throw new EngineError('NOT_FOUND', `${symbol} was not modelled in run ${run.id}.`, {
      hint: `Run ${run.id} modelled ${values.genes.length} genes; choose one of them.`,
    });
  const map = values.geneMap(gene);
  const cut = cropValues(map.values, map.present, map.grid);
  const { rows, cols, x, y, range } = cut;
  return { data: cut.data, meta: { rows, cols, x, y, cellPx: map.grid.sizePx, range } };
}

export async function srValuesLayer(req: SrValuesRequest): Promise<SrValuesMeta> {
  if (req.plugin !== undefined) await loadPlugin(req.plugin, req.projectDir);
  const p = project(req.projectDir);
  const { run } = req;
  const sample = lruGet(samples, `${run.sampleId}`, 2, () => loadSample(p, run.sampleId));
  const reader = lruGet(readers, `${run.id}`, 2, () => openSuperpixels(run, p.arraysDir, sample));
  const symbol = sample.genes[req.gene]?.symbol;
  const { data, meta } = srValuesOf(reader, run, req.gene, req.layer, symbol);
  mkdirSync(dirname(req.file), { recursive: true });
  writeFileAtomic(req.file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileAtomic(req.metaFile, Buffer.from(JSON.stringify(meta)));
  return meta;
}

/** Called when the service thread ends (jobs/thread-service.ts). */
export function close(): void {
  for (const p of projects.values()) p.close();
  projects.clear();
  samples.clear();
  readers.clear();
}

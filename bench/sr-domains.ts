/**
 * `npm run bench -- sr-domains [--project DIR] [--sections B4,C2,C3] [--k 5] [--pictures DIR]`:
 * do SR domains follow the tissue or the spot lattice? For each HER2ST section with an image, the
 * latest HISTEX run's superpixels are clustered in the 'latent' space (HISTEX's SR annotation, the
 * app's old behaviour) and the 'tissue' space (analysis/sr-domains.ts), and each clustering's
 * borders are measured (analysis/domain-boundaries.ts): the share of border length on the spot
 * lattice's cell edges (with its chance level) and the image contrast across the borders against
 * the same borders shifted by half a spot pitch. The same share is also reported on HISTEX's
 * inference-block lattice (blockFraction), which is where the latent's checkerboard actually sits.
 *
 * Without --project a project is built in a temp folder through the `stsr` CLI (import, default
 * HISTEX run with 100 genes: ~10 min per section on 2 loaded cores). --pictures writes one small
 * PNG per section: H&E (mean RGB per superpixel) | latent domains | tissue domains.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { categoricalColor } from '../preload/contract/colormaps';
import {
  blockCells,
  clusterSrDomains,
  greyFromRgb,
  latticeCells,
  measureBoundaries,
  type BoundaryMeasure,
  type SrDomainSpace,
} from '../main/engine/analysis';
import { openSampleFeatures } from '../main/engine/features/project';
import { footprint } from '../main/engine/methods/histex/geometry';
import { openProject, type Project } from '../main/engine/store/project';
import { findSampleByName } from '../main/engine/store/repos/samples';
import { listRuns } from '../main/engine/store/repos/runs';
import { methodLabel, openSuperpixels } from '../main/engine/methods/registry';
import { parseRun, type SuperpixelRun } from '../main/engine/methods/runs';
import { loadSample } from '../main/engine/store/sample-store';
import { repoRoot, sharedData } from '../test/helpers/paths';
import { srDomainInputOfRun } from '../main/engine/tasks/sr-domain-input';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function stsr(home: string, ...a: string[]): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'stsr.mjs'), ...a, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, STSR_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`stsr ${a.join(' ')} failed (${r.status})`);
}

function latestHistexRun(project: Project, sampleId: number): SuperpixelRun | undefined {
  return listRuns(project.db, sampleId)
    .map((r) => parseRun(r, methodLabel))
    .filter((r): r is SuperpixelRun => r.kind === 'superpixels' && r.method === 'histex')
    .at(-1);
}

/** Median nearest-neighbour distance between spots, in the same units as the points. */
function medianPitch(points: { x: number; y: number }[]): number {
  const d = points.map((p, i) => {
    let best = Infinity;
    points.forEach((q, j) => {
      if (j !== i) best = Math.min(best, (p.x - q.x) ** 2 + (p.y - q.y) ** 2);
    });
    return Math.sqrt(best);
  });
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

function hexToRgb(h: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

/** One panel per image: the tissue's bounding box, borders drawn dark, scaled to `height` px. */
async function picture(
  file: string,
  rows: number,
  cols: number,
  rgb: Float32Array,
  mask: Uint8Array,
  panels: Int32Array[],
  height = 150,
): Promise<void> {
  let r0 = rows;
  let r1 = 0;
  let c0 = cols;
  let c1 = 0;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      if (mask[r * cols + c]) {
        r0 = Math.min(r0, r);
        r1 = Math.max(r1, r + 1);
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, c + 1);
      }
  const h = r1 - r0;
  const w = c1 - c0;
  const gap = 4;
  const W = w * (panels.length + 1) + gap * panels.length;
  const buf = Buffer.alloc(W * h * 3, 255);
  const put = (x: number, y: number, v: [number, number, number]) => buf.set(v, (y * W + x) * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y + r0) * cols + x + c0;
      const v = [0, 1, 2].map((i) => Math.round(255 * Math.min(1, Math.max(0, rgb[3 * p + i]!)))) as [
        number,
        number,
        number,
      ];
      put(x, y, v);
      panels.forEach((lab, k) => {
        const ox = (w + gap) * (k + 1);
        const l = lab[p]!;
        if (l < 0) return;
        const right = x + c0 + 1 < cols ? lab[p + 1]! : l;
        const below = y + r0 + 1 < rows ? lab[p + cols]! : l;
        const edge = (right >= 0 && right !== l) || (below >= 0 && below !== l);
        put(ox + x, y, edge ? [20, 20, 20] : hexToRgb(categoricalColor(l)));
      });
    }
  await sharp(buf, { raw: { width: W, height: h, channels: 3 } })
    .resize({ height: Math.min(height * 2, h), kernel: 'nearest' })
    .png({ palette: true, colours: 64 })
    .toFile(file);
}

export default async function srDomainsBench(args: string[]) {
  const sections = (arg(args, 'sections') ?? 'B4,C2,C3').split(',');
  const k = Number(arg(args, 'k') ?? 5);
  const pictures = arg(args, 'pictures');
  const radius = arg(args, 'radius');
  const rangeSigma = arg(args, 'range-sigma');
  const histologyWeight = arg(args, 'histology-weight');
  let projectDir = arg(args, 'project');
  if (!projectDir) {
    const tmp = mkdtempSync(join(tmpdir(), 'stsr-bench-sr-domains-'));
    projectDir = join(tmp, 'project');
    for (const s of sections) {
      stsr(join(tmp, 'home'), 'import', sharedData('her2st', s), '--project', projectDir);
      stsr(join(tmp, 'home'), 'sr', s, '--method', 'histex', '--genes', '100', '--project', projectDir);
    }
  }
  if (pictures) mkdirSync(pictures, { recursive: true });
  const perSection: Record<string, Record<string, unknown>> = {};
  const project = openProject(projectDir);
  try {
    for (const s of sections) {
      const row = findSampleByName(project.db, s);
      if (!row) throw new Error(`Sample ${s} is not in ${projectDir}.`);
      const run = latestHistexRun(project, row.id);
      if (!run) throw new Error(`Sample ${s} has no HISTEX run in ${projectDir}.`);
      const sample = loadSample(project, row.id);
      const inp = srDomainInputOfRun(project.arraysDir, run, openSuperpixels(run, project.arraysDir, sample));
      const grid = run.grid;
      const pitchPx = medianPitch(sample.spots);
      const pitch = pitchPx / grid.sizePx;
      const cells = latticeCells(
        inp.rows,
        inp.cols,
        sample.spots.map((p) => ({
          row: (p.y - grid.originY) / grid.sizePx,
          col: (p.x - grid.originX) / grid.sizePx,
        })),
        pitch,
      );
      // HISTEX's inference block: √(median spot footprint in superpixels), as pipeline.ts computes it
      const radiusPx = sample.spotDiameterUm / 2 / sample.umPerPx;
      const bagSizes = sample.spots.map((p) => footprint(grid, [p], radiusPx).length).sort((a, b) => a - b);
      const side = Math.max(1, Math.round(Math.sqrt(bagSizes[Math.floor(bagSizes.length / 2)]!)));
      const blocks = blockCells(inp.rows, inp.cols, side);
      const fsId = run.params.featureSetId as number | undefined;
      const features = openSampleFeatures(project, row.id, fsId === undefined ? {} : { featureSetId: fsId });
      const rgb = features.map.rgb();
      const mask = features.map.mask();
      features.map.close();
      const grey = greyFromRgb(rgb, mask);
      const shift = Math.max(1, Math.round(pitch / 2));
      const images: Int32Array[] = [];
      const result: Record<string, unknown> = {
        superpixels: inp.index.length,
        pitchSuperpixels: pitch,
        shift,
        blockSide: side,
      };
      for (const space of ['latent', 'tissue'] as SrDomainSpace[]) {
        const t0 = performance.now();
        const labels = clusterSrDomains(inp, {
          k,
          space,
          seed: 0,
          ...(radius ? { radius: Number(radius) } : {}),
          ...(rangeSigma ? { rangeSigma: Number(rangeSigma) } : {}),
          ...(histologyWeight ? { histologyWeight: Number(histologyWeight) } : {}),
        });
        const seconds = (performance.now() - t0) / 1000;
        const img = new Int32Array(inp.rows * inp.cols).fill(-1);
        inp.index.forEach((sp, i) => (img[sp] = labels[i]!));
        images.push(img);
        const m: BoundaryMeasure = measureBoundaries({
          rows: inp.rows,
          cols: inp.cols,
          labels: img,
          cells,
          grey,
          shift,
        });
        const onBlocks = measureBoundaries({
          rows: inp.rows,
          cols: inp.cols,
          labels: img,
          cells: blocks,
          grey,
          shift,
        });
        result[space] = {
          ...m,
          blockFraction: onBlocks.latticeFraction,
          blockChance: onBlocks.latticeChance,
          seconds,
        };
        process.stderr.write(`[sr-domains ${s}] ${space}: ${JSON.stringify(m)}\n`);
      }
      if (pictures) await picture(join(pictures, `${s}.png`), inp.rows, inp.cols, rgb, mask, images);
      perSection[s] = result;
    }
  } finally {
    project.close();
  }
  const mean = (space: string, key: keyof BoundaryMeasure) =>
    sections.reduce((a, s) => a + ((perSection[s]![space] as BoundaryMeasure)[key] as number), 0) /
    sections.length;
  const summary = Object.fromEntries(
    ['latent', 'tissue'].map((sp) => [
      sp,
      {
        latticeFraction: mean(sp, 'latticeFraction'),
        latticeChance: mean(sp, 'latticeChance'),
        blockFraction: mean(sp, 'blockFraction' as keyof BoundaryMeasure),
        blockChance: mean(sp, 'blockChance' as keyof BoundaryMeasure),
        gradientRatio: mean(sp, 'gradientRatio'),
      },
    ]),
  );
  return { k, sections: perSection, mean: summary };
}

/**
 * `npm run bench -- export [nObs] [nGenes]`: SR-level .h5ad export of 700k superpixels × 1000
 * genes (default) with a 32-d latent. Values come from a deterministic smooth generator (sums of
 * sines over the superpixel grid): this measures I/O and memory, not science. Target: peak RSS
 * < 2 GB, which holds because X is written in row blocks and never materialised.
 */
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackPeakRss } from './_peak-memory';
import { writeSrH5ad, type RowSource, type SrExportInput } from '../main/engine/export';

export default async function run(args: string[]): Promise<Record<string, unknown>> {
  const nObs = Number(args[0] ?? 700_000);
  const nGenes = Number(args[1] ?? 1000);
  const latentDim = 32;
  const umPerPx = 0.2737;
  const cellPx = 8 / umPerPx;
  const side = Math.ceil(Math.sqrt(nObs));
  const row = new Int32Array(nObs);
  const col = new Int32Array(nObs);
  const x = new Float64Array(nObs);
  const y = new Float64Array(nObs);
  for (let i = 0; i < nObs; i++) {
    row[i] = Math.floor(i / side);
    col[i] = i % side;
    x[i] = (col[i]! + 0.5) * cellPx;
    y[i] = (row[i]! + 0.5) * cellPx;
  }
  const freq = Float32Array.from({ length: nGenes }, (_, g) => 0.01 + (g % 37) * 0.002);
  const smooth = (cols: number, seed: number): RowSource => ({
    nRows: nObs,
    nCols: cols,
    readRows(a, b) {
      const out = new Float32Array((b - a) * cols);
      for (let i = a; i < b; i++) {
        const r = row[i]!;
        const c = col[i]!;
        for (let g = 0; g < cols; g++) {
          const f = freq[(g + seed) % nGenes]!;
          out[(i - a) * cols + g] = Math.max(0, 2 * Math.sin(r * f + g) + 1.5 * Math.cos(c * f * 1.3 + seed));
        }
      }
      return out;
    },
  });
  const input: SrExportInput = {
    name: 'bench',
    superpixels: { x, y, sizeUm: 8, row, col },
    genes: Array.from({ length: nGenes }, (_, g) => ({ id: `G${g}`, symbol: `Gene${g}` })),
    expression: smooth(nGenes, 0),
    latent: smooth(latentDim, 7),
    umPerPx,
  };
  const out = join(tmpdir(), `stsr-bench-export-${process.pid}.h5ad`);
  const mem = trackPeakRss();
  const t0 = performance.now();
  try {
    const r = await writeSrH5ad(input, out);
    const seconds = (performance.now() - t0) / 1000;
    const peak = mem.stop();
    return {
      nObs: r.nObs,
      nVars: r.nVars,
      latentDim,
      seconds: Math.round(seconds * 10) / 10,
      peakRssMiB: Math.round(peak / 2 ** 20),
      fileMiB: Math.round(statSync(out).size / 2 ** 20),
      uncompressedXMiB: Math.round((nObs * nGenes * 4) / 2 ** 20),
      targetPeakRssMiB: 2048,
    };
  } finally {
    rmSync(out, { force: true });
  }
}

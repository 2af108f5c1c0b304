import { join } from 'node:path';
import { EngineError } from '../../errors';
import type { Sample } from '../../io/sample';
import { readArrayFile } from '../../store/array-file';
import type { SuperpixelReader } from '../entry';
import { runArray, runArrayList, type SuperpixelRun } from '../runs';
import type { SuperpixelGrid } from '../types';
import { footprint } from './geometry';
import { medianOf } from './pipeline';

function floatArray<T extends Float32Array | Float64Array | Int32Array>(
  run: SuperpixelRun,
  file: string,
  a: { data: unknown; shape: number[] },
  type: new (n: number) => T,
): { data: T; shape: number[] } {
  if (!(a.data instanceof type))
    throw new EngineError('CORRUPT', `Run ${run.id}: ${file} is not ${type.name}.`, { file });
  return { data: a.data, shape: a.shape };
}

/** Spots whose factors blend into a superpixel outside every footprint. */
const BLEND_NEIGHBOURS = 4;
/** Gene maps kept per run (each is grid cells × 5 bytes: ~3 MB for a 1905² px slide at 8 µm). */
const GENE_MAPS_KEPT = 8;

/** Column c of an n × nc row-major block (the block itself when it has one column). */
function column(block: Float32Array, c: number, nc: number): Float32Array {
  if (nc === 1) return block;
  const out = new Float32Array(block.length / nc);
  for (let i = 0; i < out.length; i++) out[i] = block[i * nc + c]!;
  return out;
}

/**
 * A stored HISTEX/iStar run read back: any genes' SR values for any block of its superpixels,
 * computed from the latents (per model ELU₀.₀₁(b + z·W_z + f·W_f) + 0.01 with the folded head,
 * median over models, back to counts per superpixel) and then calibrated to the measured spots
 * (MIL's constraint made exact: inside each spot the mean equals the measurement; between spots
 * the factor is an inverse-distance blend of the nearest spots' factors, so maps have no seams).
 * The viewer asks for one gene over all superpixels, the export for all genes block by block.
 */
export class StoredRun implements SuperpixelReader {
  readonly grid: SuperpixelGrid;
  /** flat superpixel index (r·cols + c) of each stored row */
  readonly index: Int32Array;
  /** sample gene index of each modelled gene */
  readonly genes: number[];
  private readonly latents: { d: number; z: Float32Array; head: Float64Array }[];
  private readonly feats: Float32Array;
  private readonly F: number;
  private readonly norm: Float64Array;
  /** per stored row: the spot whose footprint holds it (≥ 0) or −1, and its blend neighbours */
  private readonly owner: Int32Array;
  private readonly blend: { s: Int32Array; w: Float64Array };
  /** spots × genes calibration factors, filled lazily per gene */
  private readonly factors = new Map<number, Float64Array>();
  /** the last gene maps asked for, oldest first */
  private readonly maps = new Map<
    number,
    { values: Float32Array; present: Uint8Array; grid: SuperpixelGrid }
  >();

  constructor(
    private readonly arraysDir: string,
    private readonly run: SuperpixelRun,
    private readonly sample: Sample,
  ) {
    const read = <T extends Float32Array | Float64Array | Int32Array>(
      f: string,
      type: new (n: number) => T,
    ) => floatArray(run, f, readArrayFile(join(arraysDir, f)), type);
    this.grid = run.grid;
    this.genes = run.genes;
    this.index = read(runArray(run, 'index'), Int32Array).data;
    const feats = read(runArray(run, 'features'), Float32Array);
    this.F = feats.shape[1]!;
    this.feats = feats.data;
    this.norm = read(runArray(run, 'norm'), Float64Array).data;
    const heads = runArrayList(run, 'heads');
    this.latents = runArrayList(run, 'latents').map((lf, m) => {
      const z = read(lf, Float32Array);
      return { d: z.shape[1]!, z: z.data, head: read(heads[m]!, Float64Array).data };
    });
    const { owner, blend } = this.spotGeometry();
    this.owner = owner;
    this.blend = blend;
  }

  /** Column q (position in `genes`) of a sample gene, or a clear error. */
  column(sampleGene: number): number {
    const q = this.genes.indexOf(sampleGene);
    if (q < 0) {
      throw new EngineError(
        'NOT_FOUND',
        `Gene ${this.sample.genes[sampleGene]?.symbol ?? sampleGene} was not modelled in run ${this.run.id}.`,
        {
          hint: `Run ${this.run.id} modelled ${this.genes.length} genes; choose one of them or run SR with more genes.`,
        },
      );
    }
    return q;
  }

  /**
   * Uncalibrated counts per superpixel: (end − start) × cols.length, rows in stored order; or, with
   * `at`, the stored rows it lists (end − start ignored).
   */
  private raw(start: number, end: number, cols: readonly number[], at?: Int32Array): Float32Array {
    const G = this.genes.length;
    const F = this.F;
    const feats = this.feats;
    const n = at ? at.length : end - start;
    const nc = cols.length;
    // The viewer asks for one gene over every superpixel on the server's thread: plain loops over
    // the gene's head column copied out contiguously (the same sums in the same order as reading
    // the head in place, so the values are identical; ~5× faster than per-row closures).
    const perModel = this.latents.map(({ d, z, head }) => {
      const rows = d + F;
      const out = new Float32Array(n * nc);
      const col = new Float64Array(rows + 1);
      for (let c = 0; c < nc; c++) {
        const q = cols[c]!;
        for (let j = 0; j <= rows; j++) col[j] = head[j * G + q]!;
        const bias = col[rows]!;
        for (let i = 0; i < n; i++) {
          const r = at ? at[i]! : start + i;
          let v = bias;
          const zo = r * d;
          for (let j = 0; j < d; j++) v += z[zo + j]! * col[j]!;
          const fo = r * F;
          for (let j = 0; j < F; j++) v += feats[fo + j]! * col[d + j]!;
          out[i * nc + c] = (v > 0 ? v : 0.01 * Math.expm1(v)) + 0.01;
        }
      }
      return out;
    });
    const med = medianOf(perModel);
    for (let c = 0; c < nc; c++) {
      const q = cols[c]!;
      const lo = this.norm[q]!;
      const span = this.norm[G + q]! - lo;
      for (let i = 0; i < n; i++) med[i * nc + c] = med[i * nc + c]! * span + lo;
    }
    return med;
  }

  /** Calibrated values: (end − start) × cols.length. */
  rows(start: number, end: number, cols: readonly number[] = this.genes.map((_, q) => q)): Float32Array {
    const out = this.raw(start, end, cols);
    const nc = cols.length;
    // over every row, the raw values just computed are what the calibration needs: not twice
    const whole = start === 0 && end === this.index.length;
    const f = cols.map((q, c) => this.factorsFor(q, whole ? column(out, c, nc) : undefined));
    const K = BLEND_NEIGHBOURS;
    for (let i = 0; i < end - start; i++) {
      const r = start + i;
      const own = this.owner[r]!;
      for (let c = 0; c < nc; c++) {
        const fc = f[c]!;
        let factor: number;
        if (own >= 0) factor = fc[own]!;
        else {
          let w = 0;
          factor = 0;
          for (let k = 0; k < K; k++) {
            const s = this.blend.s[r * K + k]!;
            if (s < 0) continue;
            const wi = this.blend.w[r * K + k]!;
            w += wi;
            factor += wi * fc[s]!;
          }
          factor = w > 0 ? factor / w : 1;
        }
        out[i * nc + c] = out[i * nc + c]! * factor;
      }
    }
    return out;
  }

  /** One gene over the whole superpixel grid (rows·cols), with the mask of superpixels that have a value. */
  geneMap(sampleGene: number): { values: Float32Array; present: Uint8Array; grid: SuperpixelGrid } {
    // The viewer asks for the same few genes again and again (PNG layer, raw values, region
    // statistics), on the server's thread: the last maps are kept (read-only for every caller).
    const hit = this.maps.get(sampleGene);
    if (hit) {
      this.maps.delete(sampleGene);
      this.maps.set(sampleGene, hit);
      return hit;
    }
    const map = this.computeGeneMap(sampleGene);
    this.maps.set(sampleGene, map);
    if (this.maps.size > GENE_MAPS_KEPT) this.maps.delete(this.maps.keys().next().value!);
    return map;
  }

  private computeGeneMap(sampleGene: number): {
    values: Float32Array;
    present: Uint8Array;
    grid: SuperpixelGrid;
  } {
    const q = this.column(sampleGene);
    const vals = this.rows(0, this.index.length, [q]);
    const values = new Float32Array(this.grid.height * this.grid.width);
    const present = new Uint8Array(this.grid.height * this.grid.width);
    this.index.forEach((sp, i) => {
      values[sp] = vals[i]!;
      present[sp] = 1;
    });
    return { values, present, grid: this.grid };
  }

  /** The median latent of the ensemble, rows × d (clustering, obsm in exports). */
  latent(): { dim: number; data: Float32Array } {
    const f = runArray(this.run, 'latentMedian');
    const z = floatArray(this.run, f, readArrayFile(join(this.arraysDir, f)), Float32Array);
    return { dim: z.shape[1]!, data: z.data };
  }

  /** Per spot: measured count per footprint superpixel ÷ predicted mean over the footprint. */
  private factorsFor(q: number, rawAll?: Float32Array): Float64Array {
    const hit = this.factors.get(q);
    if (hit) return hit;
    const nSpots = this.sample.spots.length;
    const observed = this.observed(q);
    const sum = new Float64Array(nSpots);
    const count = new Float64Array(nSpots);
    // Only superpixels inside a footprint count: without the whole map at hand, compute just those
    // (the export asks for every gene block by block, so this is each gene's second pass).
    const owned = this.ownedRows();
    const vals = rawAll ?? this.raw(0, 0, [q], owned);
    for (let i = 0; i < owned.length; i++) {
      const r = owned[i]!;
      const s = this.owner[r]!;
      sum[s]! += vals[rawAll ? r : i]!;
      count[s]!++;
    }
    const f = new Float64Array(nSpots).fill(1);
    for (let s = 0; s < nSpots; s++) {
      if (count[s]! === 0) continue;
      const mean = sum[s]! / count[s]!;
      // the measurement is spread over the whole footprint, including off-tissue superpixels
      const target = observed[s]! / Math.max(count[s]!, this.bagSizes[s]!);
      f[s] = mean > 1e-12 ? target / mean : 1;
    }
    this.factors.set(q, f);
    return f;
  }

  private bagSizes: number[] = [];
  private owned: Int32Array | null = null;
  private observedAll: Float64Array | null = null;

  /** Stored rows inside some spot's footprint, in order. */
  private ownedRows(): Int32Array {
    if (!this.owned) {
      const rows: number[] = [];
      for (let r = 0; r < this.owner.length; r++) if (this.owner[r]! >= 0) rows.push(r);
      this.owned = Int32Array.from(rows);
    }
    return this.owned;
  }

  /**
   * Measured counts of modelled gene q per spot. All modelled genes are gathered in one pass over
   * the count matrix (one pass per gene was 1000 scans of every non-zero for an export).
   */
  private observed(q: number): Float64Array {
    const G = this.genes.length;
    const nSpots = this.sample.spots.length;
    if (!this.observedAll) {
      const all = new Float64Array(G * nSpots);
      const colOf = new Map(this.genes.map((g, k) => [g, k]));
      const m = this.sample.counts;
      for (let r = 0; r < m.nRows; r++) {
        for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
          const c = colOf.get(m.indices[k]!);
          if (c !== undefined) all[c * nSpots + r] = m.data[k]!;
        }
      }
      this.observedAll = all;
    }
    return this.observedAll.subarray(q * nSpots, (q + 1) * nSpots);
  }

  private spotGeometry(): { owner: Int32Array; blend: { s: Int32Array; w: Float64Array } } {
    const { grid, sample } = this;
    const k = grid.sizePx;
    const n = this.index.length;
    const radius = sample.spotDiameterUm / sample.umPerPx / 2;
    const rowOf = new Int32Array(grid.height * grid.width).fill(-1);
    this.index.forEach((sp, i) => (rowOf[sp] = i));
    const owner = new Int32Array(n).fill(-1);
    this.bagSizes = sample.spots.map((s, si) => {
      const bag = footprint(grid, [s], radius);
      for (const sp of bag) {
        const r = rowOf[sp]!;
        if (r >= 0 && owner[r]! < 0) owner[r] = si;
      }
      return bag.length;
    });
    // Bucket the spots on a coarse grid so each superpixel looks at a handful of them.
    const K = BLEND_NEIGHBOURS;
    const cell = Math.max(k, radius * 4);
    const buckets = new Map<string, number[]>();
    sample.spots.forEach((s, si) => {
      const key = `${Math.floor(s.x / cell)},${Math.floor(s.y / cell)}`;
      (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(si);
    });
    const bs = new Int32Array(n * K).fill(-1);
    const bw = new Float64Array(n * K);
    for (let r = 0; r < n; r++) {
      if (owner[r]! >= 0) continue;
      const sp = this.index[r]!;
      const cx = grid.originX + ((sp % grid.width) + 0.5) * k;
      const cy = grid.originY + (Math.floor(sp / grid.width) + 0.5) * k;
      const bx = Math.floor(cx / cell);
      const by = Math.floor(cy / cell);
      let near: { s: number; d: number }[] = [];
      for (let ring = 1; ring <= 64 && near.length < K; ring *= 2) {
        near = [];
        for (let dx = -ring; dx <= ring; dx++) {
          for (let dy = -ring; dy <= ring; dy++) {
            for (const s of buckets.get(`${bx + dx},${by + dy}`) ?? []) {
              near.push({ s, d: Math.hypot(sample.spots[s]!.x - cx, sample.spots[s]!.y - cy) });
            }
          }
        }
      }
      near.sort((a, b) => a.d - b.d);
      near.slice(0, K).forEach(({ s, d }, j) => {
        bs[r * K + j] = s;
        bw[r * K + j] = 1 / Math.max(d, k) ** 2;
      });
    }
    return { owner, blend: { s: bs, w: bw } };
  }
}

/**
 * An independent plain-TypeScript HisToSGE forward (float64), written from the paper's equations,
 * not from the graph code: loops instead of tensors, attention computed only over the REAL spots of
 * a chunk (padded spots are dropped, not masked with a bias), GELU via its own erf series.
 */
export type Params = ReadonlyMap<string, ArrayLike<number>>;

export interface RefDims {
  inDim: number;
  genes: number;
  heads: number;
  dimHead: number;
  mlpDim: number;
  headDim: number;
}

const P = (p: Params, k: string): ArrayLike<number> => {
  const v = p.get(k);
  if (!v) throw new Error(`missing parameter ${k}`);
  return v;
};

/** y = x·W + b with W stored [in, out]. */
function lin(x: number[], W: ArrayLike<number>, b: ArrayLike<number> | null, out: number): number[] {
  const y = new Array<number>(out).fill(0);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < out; j++) y[j]! += x[i]! * W[i * out + j]!;
  if (b) for (let j = 0; j < out; j++) y[j]! += b[j]!;
  return y;
}

function ln(x: number[], s: ArrayLike<number>, t: ArrayLike<number>): number[] {
  const m = x.reduce((a, v) => a + v, 0) / x.length;
  const v = x.reduce((a, u) => a + (u - m) ** 2, 0) / x.length;
  return x.map((u, i) => ((u - m) / Math.sqrt(v + 1e-5)) * s[i]! + t[i]!);
}

/** erf by its Maclaurin series (|x| small) or continued asymptotics; accurate to ~1e-12 for |x| < 6. */
function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const gelu = (u: number) => 0.5 * u * (1 + erf(u / Math.SQRT2));
const relu = (u: number) => Math.max(0, u);

/** PE by linear interpolation between table rows lo and hi with weight f. */
function pe(table: ArrayLike<number>, d: number, lo: number, hi: number, f: number): number[] {
  return Array.from({ length: d }, (_, c) => (1 - f) * table[lo * d + c]! + f * table[hi * d + c]!);
}

export interface RefSpot {
  x: number[];
  /** x lo, x hi, y lo, y hi */
  pos: [number, number, number, number];
  posW: [number, number];
}

/** Predictions for the real spots of one chunk (padding is simply not passed in). */
export function referenceForward(p: Params, dims: RefDims, spots: readonly RefSpot[]): number[][] {
  const d = dims.inDim;
  const inner = dims.heads * dims.dimHead;
  const h0 = spots.map((s) => {
    const ex = pe(P(p, 'pe/x'), d, s.pos[0], s.pos[1], s.posW[0]);
    const ey = pe(P(p, 'pe/y'), d, s.pos[2], s.pos[3], s.posW[1]);
    return s.x.map((v, c) => v + ex[c]! + ey[c]!);
  });
  // MHSA on LN₁(h₀): softmax(QKᵀ/√d_k)V per head (eq. 3–5), concat, W₀ + b₀.
  const a = h0.map((h) => ln(h, P(p, 'block0/ln1/scale'), P(p, 'block0/ln1/shift')));
  const qkv = a.map((v) => lin(v, P(p, 'block0/attn/qkv/w'), null, 3 * inner));
  const n = spots.length;
  const merged = Array.from({ length: n }, () => new Array<number>(inner).fill(0));
  for (let hd = 0; hd < dims.heads; hd++) {
    const off = hd * dims.dimHead;
    for (let i = 0; i < n; i++) {
      const s = new Array<number>(n);
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let c = 0; c < dims.dimHead; c++) dot += qkv[i]![off + c]! * qkv[j]![inner + off + c]!;
        s[j] = dot / Math.sqrt(dims.dimHead);
      }
      const mx = Math.max(...s);
      const e = s.map((v) => Math.exp(v - mx));
      const z = e.reduce((u, v) => u + v, 0);
      for (let j = 0; j < n; j++)
        for (let c = 0; c < dims.dimHead; c++)
          merged[i]![off + c]! += (e[j]! / z) * qkv[j]![2 * inner + off + c]!;
    }
  }
  const h1 = h0.map((h, i) => {
    const o = lin(merged[i]!, P(p, 'block0/attn/out/w'), P(p, 'block0/attn/out/b'), d);
    return h.map((v, c) => v + o[c]!);
  });
  const h2 = h1.map((h) => {
    const m = ln(h, P(p, 'block0/ln2/scale'), P(p, 'block0/ln2/shift'));
    const u = lin(m, P(p, 'block0/mlp1/w'), P(p, 'block0/mlp1/b'), dims.mlpDim).map(gelu);
    const o = lin(u, P(p, 'block0/mlp2/w'), P(p, 'block0/mlp2/b'), d);
    return h.map((v, c) => v + o[c]!);
  });
  return h2.map((h) => {
    const z = lin(h, P(p, 'head/fc1/w'), P(p, 'head/fc1/b'), dims.headDim).map(relu);
    const l = ln(z, P(p, 'head/ln/scale'), P(p, 'head/ln/shift'));
    return lin(l, P(p, 'head/fc2/w'), P(p, 'head/fc2/b'), dims.genes).map(relu);
  });
}

/**
 * HISTEX's forward pass (methods.md §3.3) written out in plain TypeScript loops, independently of
 * the graph builder: the test compares the ONNX graph against this.
 */
type P = ReadonlyMap<string, ArrayLike<number>>;

/** x [n × a] · W [a × b] (+ bias) */
function lin(x: number[][], p: P, name: string, bias: boolean, beta = 0): number[][] {
  const w = p.get(`${name}/w`)!;
  const a = x[0]!.length;
  const b = w.length / a;
  const bv = bias ? p.get(`${name}/b`)! : null;
  return x.map((row) =>
    Array.from({ length: b }, (_, j) => {
      let s = bv ? bv[j]! : 0;
      for (let i = 0; i < a; i++) s += row[i]! * w[i * b + j]!;
      return s + beta;
    }),
  );
}

function ca(
  p: P,
  name: string,
  q: number[][],
  kv: number[][],
  heads: number,
  scale: number,
  keyMask?: number[],
) {
  const Q = lin(q, p, `${name}/q`, true);
  const K = lin(kv, p, `${name}/k`, true);
  const V = lin(kv, p, `${name}/v`, true);
  const d = Q[0]!.length;
  const dh = d / heads;
  const merged = Q.map(() => new Array<number>(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < Q.length; i++) {
      const s: number[] = K.map((kr, j) => {
        let v = 0;
        for (let t = 0; t < dh; t++) v += Q[i]![h * dh + t]! * kr[h * dh + t]!;
        return keyMask && keyMask[j] === 0 ? -Infinity : v * scale;
      });
      const mx = Math.max(...s);
      const e = s.map((v) => Math.exp(v - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let t = 0; t < dh; t++) {
        let acc = 0;
        for (let j = 0; j < K.length; j++) acc += (e[j]! / z) * V[j]![h * dh + t]!;
        merged[i]![h * dh + t] = acc;
      }
    }
  }
  return lin(merged, p, `${name}/o`, true);
}

function bca(
  p: P,
  name: string,
  a: number[][],
  b: number[][],
  heads: number,
  scale: number,
  mask?: number[],
) {
  const c = ca(p, `${name}/ca1`, a, b, heads, scale);
  const d = ca(p, `${name}/ca2`, b, a, heads, scale, mask);
  const z = ca(p, `${name}/ca3`, c, d, heads, scale);
  const l = lin(z, p, `${name}/l`, false, 0.01);
  return z.map((row, i) => row.map((v, j) => v + l[i]![j]!));
}

const elu = (v: number) => (v > 0 ? v : 0.01 * (Math.exp(v) - 1)) + 0.01;

/** One sample: his [n × F], gene [k × G], mask [n] → { pred [n × G], z [n × d] }. */
export function referenceHistex(
  p: P,
  his: number[][],
  gene: number[][],
  mask: number[],
  o: { heads: number; scale: number; headLayers: number },
): { pred: number[][]; z: number[][] } {
  const z1 = bca(p, 'bca1', his, gene, o.heads, o.scale, mask);
  const z2 = bca(p, 'bca2', z1, gene, o.heads, o.scale, mask);
  let h = z2.map((row, i) => [...row, ...his[i]!]);
  for (let l = 1; l <= o.headLayers; l++) h = lin(h, p, `head${l}`, false, 0.01);
  const pre = lin(h, p, `head${o.headLayers + 1}`, false, 0);
  return { pred: pre.map((r) => r.map(elu)), z: z2 };
}

/** iStar's pointwise MLP: 4 × (Linear → LeakyReLU 0.1), Linear, ELU₀.₀₁ + 0.01. */
export function referenceIstar(p: P, his: number[][]): { pred: number[][]; z: number[][] } {
  let h = his;
  for (let l = 1; l <= 4; l++) h = lin(h, p, `mlp${l}`, true).map((r) => r.map((v) => (v > 0 ? v : 0.1 * v)));
  return { pred: lin(h, p, 'out', true).map((r) => r.map(elu)), z: h };
}

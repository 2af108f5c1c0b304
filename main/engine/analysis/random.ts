/**
 * The engine's one seeded pseudo-random generator (xoshiro128**): k-means++ seeding, randomized
 * PCA test matrices, hold-out splits, the benchmark controls, model initialisation and the
 * trainer's shuffles (onnx/init.ts) all draw from it, so a seed means the same thing everywhere
 * and runs are reproducible across machines; Math.random is never used because it cannot be
 * seeded. The state can be read and restored (checkpoints).
 */

/** splitmix32: spreads a small integer seed over the 128-bit xoshiro state (never all zero). */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Box–Muller makes normals in pairs; the second one waits here. */
  private spareNormal: number | null = null;

  /** A seed, or a state read from `state` (the sequence then continues where it was). */
  constructor(seed: number | readonly number[]) {
    if (typeof seed !== 'number') {
      if (seed.length !== 4 || seed.every((v) => v === 0))
        throw new RangeError('An Rng state is four 32-bit words, not all zero.');
      [this.s0, this.s1, this.s2, this.s3] = seed.map((v) => v >>> 0) as [number, number, number, number];
      return;
    }
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Seeds beyond 32 bits are folded so 2**32 + 1 and 1 do not collide silently into the same state.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2f));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The generator's state (a pending second normal is not part of it). */
  get state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** xoshiro128** (Blackman & Vigna): a uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws), so every double in the grid is reachable. */
  random(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Uniform integer in [0, n), unbiased (rejection of the short last bucket). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n) || n > 4294967296)
      throw new RangeError(`int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal by the Box–Muller transform (exact, not a sum-of-uniforms approximation). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.random(); // log(0) is -Infinity
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * A uniformly random derangement (no i maps to itself) by rejection: a random permutation is a
   * derangement with probability → 1/e, so about e tries are expected. Used where a control must hand
   * every item to "a random other" item.
   */
  derangement(n: number): Uint32Array {
    if (n < 2) throw new RangeError('A derangement needs at least 2 items.');
    for (;;) {
      const p = this.permutation(n);
      let ok = true;
      for (let i = 0; i < n; i++)
        if (p[i] === i) {
          ok = false;
          break;
        }
      if (ok) return p;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

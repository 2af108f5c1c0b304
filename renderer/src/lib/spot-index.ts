/**
 * Finds the spot under the pointer: a uniform grid over image coordinates with cells one spot
 * diameter wide, so a lookup checks at most 9 cells whatever the spot count.
 */
export class SpotIndex {
  private readonly cells = new Map<string, number[]>();
  constructor(
    private readonly x: readonly number[],
    private readonly y: readonly number[],
    private readonly cellSize: number,
  ) {
    for (let i = 0; i < x.length; i++) {
      const key = this.key(Math.floor(x[i]! / cellSize), Math.floor(y[i]! / cellSize));
      const list = this.cells.get(key);
      if (list) list.push(i);
      else this.cells.set(key, [i]);
    }
  }

  private key(cx: number, cy: number): string {
    return `${cx},${cy}`;
  }

  /** The nearest spot whose centre is within `radius` of (px, py), or -1. */
  nearest(px: number, py: number, radius: number): number {
    const cx = Math.floor(px / this.cellSize);
    const cy = Math.floor(py / this.cellSize);
    const reach = Math.max(1, Math.ceil(radius / this.cellSize));
    let best = -1;
    let bestD = radius * radius;
    for (let dx = -reach; dx <= reach; dx++) {
      for (let dy = -reach; dy <= reach; dy++) {
        for (const i of this.cells.get(this.key(cx + dx, cy + dy)) ?? []) {
          const d = (this.x[i]! - px) ** 2 + (this.y[i]! - py) ** 2;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

/** Value at quantile q (0..1) of the finite values, by sorting a copy. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return 0;
  const pos = (v.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

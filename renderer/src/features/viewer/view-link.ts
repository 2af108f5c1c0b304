/**
 * Keeps several viewers on the same piece of the slide (side-by-side observed | SR). Each viewer
 * publishes its bounds when the user moves it; the others follow without echoing back.
 */
export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class ViewLink {
  private readonly listeners = new Map<string, (b: Bounds) => void>();
  private last: Bounds | null = null;

  subscribe(id: string, apply: (b: Bounds) => void): () => void {
    this.listeners.set(id, apply);
    if (this.last) apply(this.last);
    return () => this.listeners.delete(id);
  }

  publish(from: string, b: Bounds): void {
    const l = this.last;
    if (l && Math.abs(l.x - b.x) < 1e-9 && Math.abs(l.y - b.y) < 1e-9 && Math.abs(l.width - b.width) < 1e-9)
      return;
    this.last = b;
    for (const [id, apply] of this.listeners) if (id !== from) apply(b);
  }
}

/**
 * Turns a label grid (one label per square cell, −1 = empty) into one MultiPolygon per label by
 * tracing the boundaries between cells of different labels — never by unioning thousands of
 * squares. Each 4-connected region of a label becomes one polygon: an exterior ring plus a ring
 * per hole. Where two cells of a label touch only at a corner they stay separate polygons (the
 * rings touch at that vertex), which keeps every ring simple.
 *
 * Rings follow RFC 7946 orientation in the output coordinates as numbers: exterior rings have a
 * positive shoelace area, holes a negative one. Collinear vertices are dropped.
 */

export interface LabelGridInput {
  rows: number;
  cols: number;
  /** row-major label per cell, −1 = no cell */
  labels: Int32Array;
}

/** polygons[label] = list of polygons; polygon = [exterior, ...holes]; ring = closed [c, r] list */
export type GridPolygons = Map<number, [number, number][][][]>;

/** 4-connected components of equal labels; −1 for empty cells. */
function components(g: LabelGridInput): Int32Array {
  const { rows, cols, labels } = g;
  const comp = new Int32Array(rows * cols).fill(-1);
  const stack = new Int32Array(rows * cols);
  let next = 0;
  for (let start = 0; start < rows * cols; start++) {
    if (labels[start]! < 0 || comp[start] !== -1) continue;
    const l = labels[start]!;
    let top = 0;
    stack[top++] = start;
    comp[start] = next;
    while (top > 0) {
      const k = stack[--top]!;
      const r = Math.floor(k / cols);
      const c = k - r * cols;
      const nb = [
        r > 0 ? k - cols : -1,
        r < rows - 1 ? k + cols : -1,
        c > 0 ? k - 1 : -1,
        c < cols - 1 ? k + 1 : -1,
      ];
      for (const m of nb) {
        if (m >= 0 && comp[m] === -1 && labels[m] === l) {
          comp[m] = next;
          stack[top++] = m;
        }
      }
    }
    next++;
  }
  return comp;
}

/**
 * Boundary edges go clockwise around each cell on screen (x right, y down), which is a positive
 * shoelace area in raw numbers; the cell is on the right of its edge, at (−dy, dx).
 */
export function traceLabelGrid(g: LabelGridInput): GridPolygons {
  const { rows, cols, labels } = g;
  if (labels.length !== rows * cols)
    throw new Error(`label grid ${rows}×${cols} has ${labels.length} labels`);
  const W = cols + 1;
  const from: number[] = [];
  const to: number[] = [];
  const cellOf: number[] = [];
  const head = new Map<number, number>();
  const nextEdge: number[] = [];
  const add = (a: number, b: number, cell: number): void => {
    const e = from.length;
    from.push(a);
    to.push(b);
    cellOf.push(cell);
    nextEdge.push(head.get(a) ?? -1);
    head.set(a, e);
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      const l = labels[k]!;
      if (l < 0) continue;
      const tl = r * W + c;
      const tr = tl + 1;
      const bl = tl + W;
      const br = bl + 1;
      if (r === 0 || labels[k - cols] !== l) add(tl, tr, k);
      if (c === cols - 1 || labels[k + 1] !== l) add(tr, br, k);
      if (r === rows - 1 || labels[k + cols] !== l) add(br, bl, k);
      if (c === 0 || labels[k - 1] !== l) add(bl, tl, k);
    }
  }
  const comp = components(g);
  const used = new Uint8Array(from.length);
  const xy = (v: number): [number, number] => [v % W, Math.floor(v / W)];
  // per component: exterior ring and holes
  const byComp = new Map<
    number,
    { label: number; exterior?: [number, number][]; holes: [number, number][][] }
  >();

  for (let e0 = 0; e0 < from.length; e0++) {
    if (used[e0]) continue;
    const compId = comp[cellOf[e0]!]!;
    const ring: [number, number][] = [xy(from[e0]!)];
    let e = e0;
    for (;;) {
      used[e] = 1;
      const [ax, ay] = xy(from[e]!);
      const [bx, by] = xy(to[e]!);
      const dx = bx - ax;
      const dy = by - ay;
      // candidate continuations: unused edges leaving `to[e]` that border the same component
      let pick = -1;
      for (let f = head.get(to[e]!) ?? -1; f !== -1; f = nextEdge[f]!) {
        if (used[f] && f !== e0) continue;
        if (comp[cellOf[f]!] !== compId) continue;
        const [cx, cy] = xy(from[f]!);
        const [ex, ey] = xy(to[f]!);
        // at a pinch, turn towards the cell side (−dy, dx) so corner-touching cells stay apart
        if (ex - cx === -dy && ey - cy === dx) {
          pick = f;
          break;
        }
        if (pick === -1) pick = f;
      }
      if (pick === -1) throw new Error('label grid boundary is not closed (internal error)');
      if (pick === e0) break;
      ring.push([bx, by]);
      e = pick;
    }
    ring.push(ring[0]!);
    const simple = dropCollinear(ring);
    const entry = byComp.get(compId) ?? { label: labels[cellOf[e0]!]!, holes: [] };
    if (ringArea(simple) > 0) entry.exterior = simple;
    else entry.holes.push(simple);
    byComp.set(compId, entry);
  }

  const out: GridPolygons = new Map();
  for (const { label, exterior, holes } of byComp.values()) {
    if (!exterior) throw new Error('a region has holes but no exterior (internal error)');
    const list = out.get(label) ?? [];
    list.push([exterior, ...holes]);
    out.set(label, list);
  }
  return out;
}

function dropCollinear(ring: [number, number][]): [number, number][] {
  // ring is closed (last = first); drop vertices where the direction does not change
  const open = ring.slice(0, -1);
  const n = open.length;
  const keep: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const p = open[(i + n - 1) % n]!;
    const q = open[i]!;
    const s = open[(i + 1) % n]!;
    const cross = (q[0] - p[0]) * (s[1] - q[1]) - (q[1] - p[1]) * (s[0] - q[0]);
    if (cross !== 0) keep.push(q);
  }
  keep.push(keep[0]!);
  return keep;
}

/** Shoelace area of a closed ring (positive = exterior in RFC 7946 orientation). */
export function ringArea(ring: readonly (readonly [number, number])[]): number {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++)
    a += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return a / 2;
}

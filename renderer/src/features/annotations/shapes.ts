/**
 * Geometry of drawn regions in full-resolution image px, as GeoJSON wants it: closed rings,
 * exterior counter-clockwise in (x right, y down) numbers is not required by QuPath, so rings are
 * kept as drawn and only closed. Pure; no DOM.
 */
export type Pt = [number, number];

export function closeRing(points: Pt[]): Pt[] {
  if (points.length === 0) return points;
  const [a, b] = [points[0]!, points.at(-1)!];
  return a[0] === b[0] && a[1] === b[1] ? points : [...points, a];
}

export function rectangleRing(a: Pt, b: Pt): Pt[] {
  const x0 = Math.min(a[0], b[0]);
  const x1 = Math.max(a[0], b[0]);
  const y0 = Math.min(a[1], b[1]);
  const y1 = Math.max(a[1], b[1]);
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

/**
 * The outline of a brush stroke (disks of `radius` along the path) as one ring: the stroke is
 * rasterised on cells of radius/4 and the outer boundary of the painted cells is followed edge by
 * edge (square tracing on the cell grid, so the ring is simple and axis-aligned at 1/4-radius
 * resolution). Holes a stroke encloses are filled: a brushed region is what its outline holds.
 */
export function brushRing(path: Pt[], radius: number): Pt[] {
  if (path.length === 0 || !(radius > 0)) return [];
  const cell = radius / 4;
  const xs = path.map((p) => p[0]);
  const ys = path.map((p) => p[1]);
  const ox = Math.min(...xs) - radius - 2 * cell;
  const oy = Math.min(...ys) - radius - 2 * cell;
  const W = Math.ceil((Math.max(...xs) + radius + 2 * cell - ox) / cell) + 1;
  const H = Math.ceil((Math.max(...ys) + radius + 2 * cell - oy) / cell) + 1;
  const grid = new Uint8Array(W * H);
  const paint = (cx: number, cy: number) => {
    const c0 = Math.floor((cx - radius - ox) / cell);
    const c1 = Math.ceil((cx + radius - ox) / cell);
    const r0 = Math.floor((cy - radius - oy) / cell);
    const r1 = Math.ceil((cy + radius - oy) / cell);
    for (let r = r0; r <= r1; r++)
      for (let c = c0; c <= c1; c++) {
        const x = ox + (c + 0.5) * cell - cx;
        const y = oy + (r + 0.5) * cell - cy;
        if (x * x + y * y <= radius * radius) grid[r * W + c] = 1;
      }
  };
  // dense samples along each segment so fast strokes leave no gaps
  for (let i = 0; i < path.length; i++) {
    const a = path[Math.max(0, i - 1)]!;
    const b = path[i]!;
    const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / cell));
    for (let t = 1; t <= steps; t++)
      paint(a[0] + ((b[0] - a[0]) * t) / steps, a[1] + ((b[1] - a[1]) * t) / steps);
  }
  // fill holes: flood the background from the border, everything not reached is inside
  const outside = new Uint8Array(W * H);
  const stack: number[] = [];
  for (let c = 0; c < W; c++) stack.push(c, (H - 1) * W + c);
  for (let r = 0; r < H; r++) stack.push(r * W, r * W + W - 1);
  while (stack.length) {
    const p = stack.pop()!;
    if (outside[p] || grid[p]) continue;
    outside[p] = 1;
    const r = Math.floor(p / W);
    const c = p - r * W;
    if (c > 0) stack.push(p - 1);
    if (c < W - 1) stack.push(p + 1);
    if (r > 0) stack.push(p - W);
    if (r < H - 1) stack.push(p + W);
  }
  const filled = (r: number, c: number) => r >= 0 && c >= 0 && r < H && c < W && !outside[r * W + c];
  // start at the top-left filled cell's top-left corner, walk with the region on the right
  let start = -1;
  for (let p = 0; p < W * H && start < 0; p++) if (!outside[p]) start = p;
  if (start < 0) return [];
  const sr = Math.floor(start / W);
  const sc = start - sr * W;
  // corners (r, c); directions 0 = right, 1 = down, 2 = left, 3 = up
  const dr = [0, 1, 0, -1];
  const dc = [1, 0, -1, 0];
  // for a move along direction d from corner (r, c): the cell on its right and on its left
  const rightCell = (r: number, c: number, d: number): [number, number] =>
    d === 0 ? [r, c] : d === 1 ? [r, c - 1] : d === 2 ? [r - 1, c - 1] : [r - 1, c];
  const leftCell = (r: number, c: number, d: number): [number, number] =>
    d === 0 ? [r - 1, c] : d === 1 ? [r, c] : d === 2 ? [r, c - 1] : [r - 1, c - 1];
  const ring: Pt[] = [];
  let r = sr;
  let c = sc;
  let d = 0;
  const limit = 4 * W * H + 4;
  for (let n = 0; n < limit; n++) {
    ring.push([ox + c * cell, oy + r * cell]);
    r += dr[d]!;
    c += dc[d]!;
    if (r === sr && c === sc) break;
    // prefer turning left (keeps the walk on the outer boundary), then straight, then right
    for (const turn of [3, 0, 1, 2]) {
      const nd = (d + turn) % 4;
      const [rr, rc] = rightCell(r, c, nd);
      const [lr, lc] = leftCell(r, c, nd);
      if (filled(rr, rc) && !filled(lr, lc)) {
        d = nd;
        break;
      }
    }
  }
  // drop collinear vertices
  const out: Pt[] = [];
  for (let i = 0; i < ring.length; i++) {
    const a = ring[(i + ring.length - 1) % ring.length]!;
    const b = ring[i]!;
    const e = ring[(i + 1) % ring.length]!;
    if ((b[0] - a[0]) * (e[1] - b[1]) - (b[1] - a[1]) * (e[0] - b[0]) !== 0) out.push(b);
  }
  return closeRing(out);
}

/** Shoelace area of a ring, px². */
export function ringArea(ring: Pt[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++)
    s += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  return Math.abs(s) / 2;
}

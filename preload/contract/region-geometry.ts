/**
 * Drawn-region geometry, pure arithmetic shared by the engine (region statistics, figures) and the
 * viewer (picking a region under the pointer), so "inside" means the same everywhere: even–odd ray
 * casting per ring; a point is in a polygon when it is inside its exterior and outside its holes.
 * Coordinates are full-resolution image px (x right, y down), as stored and as QuPath reads them.
 */
/** [x, y] in full-resolution image px */
export type Position = [number, number];
/** exterior ring, then holes; rings closed or not */
export type PolygonRings = Position[][];

export interface RegionGeometry {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: PolygonRings | PolygonRings[];
}

export function polygonsOf(g: RegionGeometry): PolygonRings[] {
  return g.type === 'Polygon' ? [g.coordinates as PolygonRings] : (g.coordinates as PolygonRings[]);
}

/** Even–odd ray casting for one ring. */
function inRing(ring: Position[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside a polygon's exterior and outside all its holes, for any of the polygons. */
export function pointInRegion(g: RegionGeometry, x: number, y: number): boolean {
  for (const rings of polygonsOf(g)) {
    if (!rings[0] || !inRing(rings[0], x, y)) continue;
    if (rings.slice(1).some((h) => inRing(h, x, y))) continue;
    return true;
  }
  return false;
}

function ringArea(ring: Position[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++)
    s += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  return Math.abs(s) / 2;
}

/** Area in px²: exteriors minus holes (shoelace). */
export function regionAreaPx(g: RegionGeometry): number {
  let a = 0;
  for (const rings of polygonsOf(g)) {
    if (!rings[0]) continue;
    a += ringArea(rings[0]);
    for (const h of rings.slice(1)) a -= ringArea(h);
  }
  return a;
}

/** Axis-aligned bounding box [minX, minY, maxX, maxY]. */
export function regionBounds(g: RegionGeometry): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const rings of polygonsOf(g))
    for (const [x, y] of rings[0] ?? []) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  return [x0, y0, x1, y1];
}

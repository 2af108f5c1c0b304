import OpenSeadragon from 'openseadragon';
import { pointInRegion, polygonsOf, type RegionGeometry } from '../../../../preload/contract/region-geometry';
import { brushRing, closeRing, rectangleRing, type Pt } from './shapes';

export type Tool = 'pan' | 'polygon' | 'rectangle' | 'brush';

export interface DrawnRegion {
  id: number;
  name: string;
  color: string;
  geometry: RegionGeometry;
  selected: boolean;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Overlay handlers run before the viewer's own (inspection), so a drawing click is not also a pin. */
const FIRST = 10;

/**
 * Regions over the slide as an SVG layer that follows the OpenSeadragon viewport, plus the drawing
 * tools. Coordinates in and out are full-resolution image px; OpenSeadragon's world is
 * image px ÷ worldWidthPx (the SlideViewer convention).
 *
 * Pointer input comes from the viewer's own canvas events (canvas-press/drag/release/click), not
 * from a MouseTracker of our own: OpenSeadragon trackers on one element do not share a press (the
 * first one cancels the pointerdown and the others ignore a cancelled event), so a second tracker
 * silently never sees clicks once another one (the viewer's, the inspection's) is listening. While
 * a shape tool is active its drags draw instead of panning (preventDefaultAction); polygon
 * vertices are clicks, so a drag still pans and the wheel zooms mid-polygon.
 */
export class RegionOverlay {
  private readonly svg: SVGSVGElement;
  private readonly tracker: OpenSeadragon.MouseTracker;
  private regions: DrawnRegion[] = [];
  private tool: Tool = 'pan';
  private draft: Pt[] = [];
  private cursor: Pt | null = null;
  private brushRadiusPx = 50;
  private readonly redraw = () => this.render();
  private readonly handlers: {
    [K in keyof OpenSeadragon.ViewerEventMap]?: (e: OpenSeadragon.ViewerEventMap[K]) => void;
  } = {
    'canvas-press': (e) => this.press(this.imageAt(e.position)),
    'canvas-drag': (e) => {
      if (this.tool !== 'rectangle' && this.tool !== 'brush') return;
      e.preventDefaultAction = true;
      this.drag(this.imageAt(e.position));
    },
    'canvas-drag-end': (e) => {
      if (this.tool === 'rectangle' || this.tool === 'brush') e.preventDefaultAction = true;
    },
    'canvas-release': (e) => this.release(this.imageAt(e.position)),
    'canvas-click': (e) => {
      if (this.tool !== 'pan') e.preventDefaultAction = true; // drawing, not inspecting
      if (e.quick) this.click(this.imageAt(e.position));
    },
    'canvas-double-click': (e) => {
      if (this.tool === 'pan') return;
      e.preventDefaultAction = true;
      this.finishPolygon();
    },
  };

  constructor(
    private readonly viewer: OpenSeadragon.Viewer,
    private readonly worldWidthPx: number,
    private readonly onDrawn: (kind: 'polygon' | 'rectangle' | 'brush', ring: Pt[]) => void,
    private readonly onPick: (id: number | null) => void,
  ) {
    this.svg = document.createElementNS(SVG_NS, 'svg');
    this.svg.setAttribute('class', 'region-overlay');
    this.svg.setAttribute('data-testid', 'region-overlay');
    Object.assign(this.svg.style, {
      position: 'absolute',
      inset: '0',
      width: '100%',
      height: '100%',
      pointerEvents: 'none',
    });
    viewer.canvas.appendChild(this.svg);
    viewer.addHandler('animation', this.redraw);
    viewer.addHandler('viewport-change', this.redraw);
    viewer.addHandler('resize', this.redraw);
    for (const [name, h] of Object.entries(this.handlers))
      viewer.addHandler(
        name as 'canvas-press',
        h as (e: OpenSeadragon.CanvasPressEvent) => void,
        undefined,
        FIRST,
      );
    // Pointer moves (no press) reach every tracker on an element: the polygon's rubber band.
    this.tracker = new OpenSeadragon.MouseTracker({
      element: viewer.canvas,
      moveHandler: (e) => {
        if (this.tool === 'polygon' && this.draft.length) {
          this.cursor = this.imageAt((e as unknown as { position: OpenSeadragon.Point }).position);
          this.render();
        }
      },
    });
  }

  destroy(): void {
    this.tracker.destroy();
    for (const [name, h] of Object.entries(this.handlers))
      this.viewer.removeHandler(name as 'canvas-press', h as (e: OpenSeadragon.CanvasPressEvent) => void);
    this.viewer.removeHandler('animation', this.redraw);
    this.viewer.removeHandler('viewport-change', this.redraw);
    this.viewer.removeHandler('resize', this.redraw);
    this.svg.remove();
  }

  setRegions(regions: DrawnRegion[]): void {
    this.regions = regions;
    this.render();
  }

  setTool(tool: Tool, brushRadiusPx?: number): void {
    this.tool = tool;
    if (brushRadiusPx) this.brushRadiusPx = brushRadiusPx;
    this.draft = [];
    this.cursor = null;
    this.render();
  }

  /** Escape: drop the shape being drawn. Enter: close the polygon. */
  key(key: string): void {
    if (key === 'Escape') {
      this.draft = [];
      this.render();
    } else if (key === 'Enter') this.finishPolygon();
  }

  private imageAt(pos: OpenSeadragon.Point): Pt {
    const p = this.viewer.viewport.pointFromPixel(pos, true);
    return [p.x * this.worldWidthPx, p.y * this.worldWidthPx];
  }

  private toScreen(p: Pt): Pt {
    const s = this.viewer.viewport.pixelFromPoint(
      new OpenSeadragon.Point(p[0] / this.worldWidthPx, p[1] / this.worldWidthPx),
      true,
    );
    return [s.x, s.y];
  }

  /** Rectangle and brush start on the press (their drag draws). */
  private press(p: Pt): void {
    if (this.tool !== 'rectangle' && this.tool !== 'brush') return;
    this.draft = [p];
    this.render();
  }

  /** Select picks the region under the click; Polygon adds a vertex (or closes on the first one). */
  private click(p: Pt): void {
    if (this.tool === 'pan') {
      const hit = [...this.regions].reverse().find((r) => pointInRegion(r.geometry, p[0], p[1]));
      this.onPick(hit ? hit.id : null);
      return;
    }
    if (this.tool !== 'polygon') return;
    if (this.draft.length >= 3) {
      const [fx, fy] = this.toScreen(this.draft[0]!);
      const [px, py] = this.toScreen(p);
      if (Math.hypot(fx - px, fy - py) < 8) {
        this.finishPolygon();
        return;
      }
    }
    this.draft.push(p);
    this.render();
  }

  private drag(p: Pt): void {
    if (this.tool === 'rectangle' && this.draft.length) this.draft = [this.draft[0]!, p];
    else if (this.tool === 'brush' && this.draft.length) this.draft.push(p);
    else return;
    this.render();
  }

  private release(p: Pt): void {
    if (this.tool === 'rectangle' && this.draft.length) {
      const a = this.draft[0]!;
      this.draft = [];
      const [ax, ay] = this.toScreen(a);
      const [bx, by] = this.toScreen(p);
      if (Math.abs(ax - bx) > 3 && Math.abs(ay - by) > 3) this.onDrawn('rectangle', rectangleRing(a, p));
    } else if (this.tool === 'brush' && this.draft.length) {
      const ring = brushRing(this.draft, this.brushRadiusPx);
      this.draft = [];
      if (ring.length >= 4) this.onDrawn('brush', ring);
    }
    this.render();
  }

  private finishPolygon(): void {
    if (this.tool !== 'polygon') return;
    // a double click also pressed twice at the same place: drop repeated vertices
    const pts = this.draft.filter((p, i, a) => i === 0 || p[0] !== a[i - 1]![0] || p[1] !== a[i - 1]![1]);
    this.draft = [];
    this.cursor = null;
    if (pts.length >= 3) this.onDrawn('polygon', closeRing(pts));
    this.render();
  }

  private render(): void {
    const path = (rings: Pt[][], close: boolean) =>
      rings
        .map(
          (ring) =>
            ring
              .map(
                (p, i) =>
                  `${i ? 'L' : 'M'}${this.toScreen(p)
                    .map((v) => v.toFixed(1))
                    .join(',')}`,
              )
              .join('') + (close ? 'Z' : ''),
        )
        .join('');
    const parts: string[] = [];
    for (const r of this.regions) {
      const rings = polygonsOf(r.geometry).flat() as Pt[][];
      // holes are further rings of the same path, filled even–odd
      const d = path(rings, true);
      parts.push(
        `<path d="${d}" fill="${r.color}" fill-opacity="${r.selected ? 0.3 : 0.15}" fill-rule="evenodd" ` +
          `stroke="${r.color}" stroke-width="${r.selected ? 3 : 2}" data-region="${r.id}"/>`,
      );
      // the label above the region's top edge, haloed so it reads over the slide and the layers
      const pts = (rings[0] ?? []).map((p) => this.toScreen(p));
      if (pts.length && r.name) {
        const top = pts.reduce((a, b) => (b[1] < a[1] ? b : a));
        parts.push(
          `<text x="${top[0].toFixed(1)}" y="${(top[1] - 6).toFixed(1)}" text-anchor="middle" font-size="14" font-weight="bold" ` +
            `fill="${r.color}" stroke="#fff" stroke-width="3" paint-order="stroke" data-region-label="${r.id}">${escapeXml(r.name)}</text>`,
        );
      }
    }
    if (this.draft.length) {
      const pts =
        this.tool === 'rectangle' && this.draft.length === 2
          ? rectangleRing(this.draft[0]!, this.draft[1]!)
          : [...this.draft, ...(this.cursor ? [this.cursor] : [])];
      if (this.tool === 'brush') {
        const w = (this.brushRadiusPx * 2) / this.imagePxPerScreenPx();
        parts.push(
          `<path d="${path([pts], false)}" fill="none" stroke="#ffcc00" stroke-opacity="0.5" stroke-width="${w.toFixed(1)}" stroke-linecap="round" stroke-linejoin="round"/>`,
        );
      } else
        parts.push(
          `<path d="${path([pts], this.tool === 'rectangle')}" fill="none" stroke="#ffcc00" stroke-width="2" stroke-dasharray="6 4"/>`,
        );
    }
    this.svg.innerHTML = parts.join('');
  }

  private imagePxPerScreenPx(): number {
    const a = this.toScreen([0, 0]);
    const b = this.toScreen([1000, 0]);
    return 1000 / Math.max(1e-9, Math.hypot(b[0] - a[0], b[1] - a[1]));
  }
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

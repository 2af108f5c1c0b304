import OpenSeadragon from 'openseadragon';
import { colorAt, type ColormapName } from '../../lib/colormaps';
import { niceScaleBar } from '../../lib/scale-bar';
import { TILE, colourTable, colourTile } from './value-tiles';

/** Spots (measured or generated) at their true diameter. */
export interface SpotGeometry {
  x: readonly number[];
  y: readonly number[];
  diameterPx: number;
}

/** A value grid placed on the slide (cells of cellPx full-resolution pixels from (x, y)). */
export interface GridGeometry {
  values: Float32Array;
  rows: number;
  cols: number;
  x: number;
  y: number;
  cellPx: number;
}

/** One overlay layer, ready to draw; the list is drawn bottom to top. */
export type DrawLayer =
  | {
      kind: 'spot-values';
      id: string;
      opacity: number;
      spots: SpotGeometry;
      values: readonly number[];
      range: [number, number];
      colormap: ColormapName;
    }
  | { kind: 'spot-colours'; id: string; opacity: number; spots: SpotGeometry; colours: readonly string[] }
  | { kind: 'spot-plain'; id: string; opacity: number; spots: SpotGeometry }
  | {
      kind: 'grid';
      id: string;
      opacity: number;
      grid: GridGeometry;
      range: [number, number];
      colormap: ColormapName;
    }
  | { kind: 'image'; id: string; opacity: number; url: string; x: number; y: number; width: number };

/**
 * Draws the overlay layers over the OpenSeadragon slide on one canvas, in order and each at its
 * own opacity, plus the highlighted spot and the scale bar. Redrawn on every viewport change; the
 * image→screen map is affine (no rotation), so it is computed once per frame. Value grids are
 * coloured in 256 × 256-cell tiles (timed as `stsr:sr-tile`) into an offscreen canvas kept until
 * the grid, its range or its colour map change, then scaled with nearest-neighbour sampling so
 * each 8 µm superpixel stays a square.
 */
export class LayerCanvas {
  private readonly canvas: HTMLCanvasElement;
  private layers: DrawLayer[] = [];
  private highlight: { spots: SpotGeometry; i: number } | null = null;
  private readonly grids = new WeakMap<GridGeometry, { key: string; canvas: HTMLCanvasElement }>();
  private readonly images = new Map<string, HTMLImageElement>();
  private readonly redraw = () => this.draw();

  constructor(
    private readonly viewer: OpenSeadragon.Viewer,
    private readonly world: { widthPx: number; umPerPx: number },
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'spots-canvas';
    this.canvas.setAttribute('data-testid', 'spots-canvas');
    viewer.canvas.appendChild(this.canvas);
    viewer.addHandler('update-viewport', this.redraw);
    viewer.addHandler('resize', this.redraw);
  }

  setLayers(layers: DrawLayer[]): void {
    this.layers = layers;
    this.draw();
  }

  setHighlight(h: { spots: SpotGeometry; i: number } | null): void {
    this.highlight = h;
    this.draw();
  }

  /** Image (full-res px) → element px from the current viewport. */
  transform(): { ox: number; oy: number; scale: number } {
    const vp = this.viewer.viewport;
    const p0 = vp.pixelFromPoint(new OpenSeadragon.Point(0, 0), true);
    const p1 = vp.pixelFromPoint(new OpenSeadragon.Point(1, 0), true);
    return { ox: p0.x, oy: p0.y, scale: (p1.x - p0.x) / this.world.widthPx };
  }

  imageFromElement(ex: number, ey: number): { x: number; y: number; scale: number } {
    const t = this.transform();
    return { x: (ex - t.ox) / t.scale, y: (ey - t.oy) / t.scale, scale: t.scale };
  }

  destroy(): void {
    this.viewer.removeHandler('update-viewport', this.redraw);
    this.viewer.removeHandler('resize', this.redraw);
    this.canvas.remove();
  }

  private draw(): void {
    const el = this.viewer.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = el.clientWidth;
    const h = el.clientHeight;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const t = this.transform();
    for (const layer of this.layers) {
      if (layer.opacity <= 0) continue;
      ctx.globalAlpha = layer.opacity;
      if (layer.kind === 'grid') this.drawGrid(ctx, layer, t);
      else if (layer.kind === 'image') this.drawImage(ctx, layer, t);
      else this.drawSpots(ctx, layer, t, w, h);
    }
    ctx.globalAlpha = 1;
    if (this.highlight) {
      const { spots, i } = this.highlight;
      const r = Math.max(0.75, (spots.diameterPx * t.scale) / 2);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(t.ox + spots.x[i]! * t.scale, t.oy + spots.y[i]! * t.scale, r + 2, 0, Math.PI * 2);
      ctx.stroke();
    }
    this.drawScaleBar(ctx, t.scale, h);
  }

  private drawSpots(
    ctx: CanvasRenderingContext2D,
    layer: Extract<DrawLayer, { kind: 'spot-values' | 'spot-colours' | 'spot-plain' }>,
    { ox, oy, scale }: { ox: number; oy: number; scale: number },
    w: number,
    h: number,
  ): void {
    const { x, y, diameterPx } = layer.spots;
    const r = Math.max(0.75, (diameterPx * scale) / 2);
    const span = layer.kind === 'spot-values' ? layer.range[1] - layer.range[0] || 1 : 1;
    for (let i = 0; i < x.length; i++) {
      const sx = ox + x[i]! * scale;
      const sy = oy + y[i]! * scale;
      if (sx < -r || sy < -r || sx > w + r || sy > h + r) continue;
      if (layer.kind === 'spot-colours') {
        const c = layer.colours[i];
        if (!c) continue;
        ctx.fillStyle = c;
      } else if (layer.kind === 'spot-values') {
        const [cr, cg, cb] = colorAt(layer.colormap, (layer.values[i]! - layer.range[0]) / span);
        ctx.fillStyle = `rgb(${cr | 0},${cg | 0},${cb | 0})`;
      } else ctx.fillStyle = 'rgb(122,46,90)';
      ctx.beginPath();
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  private drawGrid(
    ctx: CanvasRenderingContext2D,
    layer: Extract<DrawLayer, { kind: 'grid' }>,
    { ox, oy, scale }: { ox: number; oy: number; scale: number },
  ): void {
    const g = layer.grid;
    if (g.rows === 0 || g.cols === 0) return;
    const key = `${layer.colormap}:${layer.range[0]}:${layer.range[1]}`;
    let cached = this.grids.get(g);
    if (!cached || cached.key !== key) {
      const canvas = cached?.canvas ?? document.createElement('canvas');
      canvas.width = g.cols;
      canvas.height = g.rows;
      const c = canvas.getContext('2d')!;
      const lut = colourTable(layer.colormap);
      const buf = new Uint8ClampedArray(TILE * TILE * 4);
      for (let ty = 0; ty * TILE < g.rows; ty++)
        for (let tx = 0; tx * TILE < g.cols; tx++) {
          const t0 = performance.now();
          const { w, h } = colourTile(g.values, g.rows, g.cols, tx, ty, lut, layer.range, buf);
          c.putImageData(new ImageData(buf.subarray(0, w * h * 4).slice(), w, h), tx * TILE, ty * TILE);
          performance.measure('stsr:sr-tile', {
            start: t0,
            end: performance.now(),
            detail: { cells: w * h },
          });
        }
      cached = { key, canvas };
      this.grids.set(g, cached);
    }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(
      cached.canvas,
      ox + g.x * scale,
      oy + g.y * scale,
      g.cols * g.cellPx * scale,
      g.rows * g.cellPx * scale,
    );
  }

  private drawImage(
    ctx: CanvasRenderingContext2D,
    layer: Extract<DrawLayer, { kind: 'image' }>,
    { ox, oy, scale }: { ox: number; oy: number; scale: number },
  ): void {
    let img = this.images.get(layer.url);
    if (!img) {
      img = new Image();
      img.onload = this.redraw;
      img.src = layer.url;
      this.images.set(layer.url, img);
    }
    if (!img.complete || img.naturalWidth === 0) return;
    ctx.imageSmoothingEnabled = false;
    const s = (layer.width * scale) / img.naturalWidth;
    ctx.drawImage(
      img,
      ox + layer.x * scale,
      oy + layer.y * scale,
      layer.width * scale,
      img.naturalHeight * s,
    );
  }

  private drawScaleBar(ctx: CanvasRenderingContext2D, scale: number, h: number): void {
    const bar = niceScaleBar(this.world.umPerPx / scale);
    if (bar.px <= 0) return;
    const x0 = 16;
    const y0 = h - 24;
    ctx.fillStyle = 'rgba(255,255,255,0.8)';
    ctx.fillRect(x0 - 6, y0 - 18, bar.px + 12, 30);
    ctx.fillStyle = '#111';
    ctx.fillRect(x0, y0, bar.px, 4);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(bar.label, x0, y0 - 5);
  }
}

import OpenSeadragon from 'openseadragon';
import { colorAt, type ColormapName } from '../../lib/colormaps';
import { niceScaleBar } from '../../lib/scale-bar';

export interface SpotStyle {
  values: readonly number[] | null;
  /** per-spot CSS colours (domains); wins over values */
  colors: readonly string[] | null;
  range: [number, number];
  colormap: ColormapName;
  opacity: number;
  highlight: number;
}

/**
 * Draws spots as true-size disks on a canvas laid over the OpenSeadragon viewer, plus the scale
 * bar. Redrawn on every viewport change; the image→screen map is affine (no rotation), so it is
 * computed once per frame instead of once per spot.
 */
export class SpotsOverlay {
  private readonly canvas: HTMLCanvasElement;
  private style: SpotStyle = {
    values: null,
    colors: null,
    range: [0, 1],
    colormap: 'viridis',
    opacity: 0.85,
    highlight: -1,
  };
  private readonly redraw = () => this.draw();

  constructor(
    private readonly viewer: OpenSeadragon.Viewer,
    private readonly spots: {
      x: readonly number[];
      y: readonly number[];
      diameterPx: number;
      worldWidthPx: number;
      umPerPx: number;
    },
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'spots-canvas';
    this.canvas.setAttribute('data-testid', 'spots-canvas');
    viewer.canvas.appendChild(this.canvas);
    viewer.addHandler('update-viewport', this.redraw);
    viewer.addHandler('resize', this.redraw);
  }

  setStyle(style: Partial<SpotStyle>): void {
    this.style = { ...this.style, ...style };
    this.draw();
  }

  /** Image (full-res px) → element px, and its inverse, from the current viewport. */
  transform(): { ox: number; oy: number; scale: number } {
    const vp = this.viewer.viewport;
    const w = this.spots.worldWidthPx;
    const p0 = vp.pixelFromPoint(new OpenSeadragon.Point(0, 0), true);
    const p1 = vp.pixelFromPoint(new OpenSeadragon.Point(1, 0), true);
    return { ox: p0.x, oy: p0.y, scale: (p1.x - p0.x) / w };
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
    const { ox, oy, scale } = this.transform();
    const r = Math.max(0.75, (this.spots.diameterPx * scale) / 2);
    const { values, colors, range, colormap, opacity, highlight } = this.style;
    const span = range[1] - range[0] || 1;
    ctx.globalAlpha = opacity;
    const { x, y } = this.spots;
    for (let i = 0; i < x.length; i++) {
      const sx = ox + x[i]! * scale;
      const sy = oy + y[i]! * scale;
      if (sx < -r || sy < -r || sx > w + r || sy > h + r) continue;
      if (colors) ctx.fillStyle = colors[i] ?? '#888';
      else if (values) {
        const [cr, cg, cb] = colorAt(colormap, (values[i]! - range[0]) / span);
        ctx.fillStyle = `rgb(${cr | 0},${cg | 0},${cb | 0})`;
      } else ctx.fillStyle = 'rgb(122,46,90)';
      ctx.beginPath();
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    if (highlight >= 0 && highlight < x.length) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(ox + x[highlight]! * scale, oy + y[highlight]! * scale, r + 2, 0, Math.PI * 2);
      ctx.stroke();
    }
    this.drawScaleBar(ctx, scale, h);
  }

  private drawScaleBar(ctx: CanvasRenderingContext2D, scale: number, h: number): void {
    const bar = niceScaleBar(this.spots.umPerPx / scale);
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

/** Colours for exported figures and uns['<key>_colors']: the shared maps, rounded to bytes. */
import { COLORMAP_STOPS, DEFAULT_20, colorAt } from '../../../preload/contract/colormaps';

export const VIRIDIS_STOPS = COLORMAP_STOPS.viridis;

/** viridis at t in [0, 1] (clamped; NaN → 0), as 0–255 RGB. */
export function viridis(t: number): [number, number, number] {
  const [r, g, b] = colorAt('viridis', t);
  return [Math.round(r), Math.round(g), Math.round(b)];
}

export function hex(rgb: readonly [number, number, number]): string {
  return `#${rgb
    .map((v) =>
      Math.max(0, Math.min(255, Math.round(v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

export function parseHex(color: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(color.trim());
  if (!m) throw new Error(`not a #rrggbb colour: ${color}`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export const DEFAULT_PALETTE = DEFAULT_20;

import { colorAt, type ColormapName } from '../../../preload/contract/colormaps';

export { colorAt, categoricalColor, type ColormapName } from '../../../preload/contract/colormaps';

export function cssColor(map: ColormapName, t: number, alpha = 1): string {
  const [r, g, b] = colorAt(map, t);
  return `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${alpha})`;
}

/** A CSS linear-gradient of the map, for colour bars. */
export function cssGradient(map: ColormapName, direction = 'to right'): string {
  const n = 16;
  const parts = Array.from(
    { length: n + 1 },
    (_, i) => `${cssColor(map, i / n)} ${((i / n) * 100).toFixed(1)}%`,
  );
  return `linear-gradient(${direction}, ${parts.join(', ')})`;
}

/**
 * Perceptually uniform colour maps (matplotlib's viridis and magma, sampled at 9 stops and
 * interpolated linearly in RGB, which stays within ~1% of the full 256-entry tables).
 */
export type ColormapName = 'viridis' | 'magma';

const STOPS: Record<ColormapName, [number, number, number][]> = {
  viridis: [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
  ],
  magma: [
    [0, 0, 4],
    [28, 16, 68],
    [79, 18, 123],
    [129, 37, 129],
    [181, 54, 122],
    [229, 80, 100],
    [251, 135, 97],
    [254, 194, 135],
    [252, 253, 191],
  ],
};

/** Colour at t in [0, 1] (clamped). */
export function colorAt(map: ColormapName, t: number): [number, number, number] {
  const stops = STOPS[map];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

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

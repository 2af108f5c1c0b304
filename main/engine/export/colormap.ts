/**
 * Colours for exported figures and uns['<key>_colors'].
 *
 * VIRIDIS_STOPS is a copy of the viridis table in renderer/src/lib/colormaps.ts (the source of
 * truth: matplotlib's viridis sampled at 9 stops, interpolated linearly in RGB). The engine may
 * not import renderer code; keep both in step until the table moves to a shared pure module.
 */
export const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** viridis at t in [0, 1] (clamped; NaN → 0), as 0–255 RGB. */
export function viridis(t: number): [number, number, number] {
  const stops = VIRIDIS_STOPS;
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
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

/**
 * Categorical palette when a column has no colours of its own: scanpy's default for ≤ 20
 * categories (matplotlib tab20 reordered, `scanpy.plotting.palettes.default_20`), so an export
 * opened in scanpy looks the same as scanpy would draw it.
 */
export const DEFAULT_PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#279e68',
  '#d62728',
  '#aa40fc',
  '#8c564b',
  '#e377c2',
  '#b5bd61',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#dbdb8d',
  '#9edae5',
  '#ad494a',
  '#8c6d31',
];

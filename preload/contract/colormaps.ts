/**
 * Colour maps and the categorical palette, shared by the viewer, exported figures and h5ad
 * `*_colors`, so a gene or a domain looks the same everywhere. Pure data and arithmetic: the one
 * module of the contract the renderer may import at run time (see docs/architecture.md).
 *
 * viridis and magma are matplotlib's, sampled at 9 stops and interpolated linearly in RGB, which
 * stays within ~1% of the full 256-entry tables. cividis (colour-vision-deficiency friendly) is
 * plotly's 18-stop table of matplotlib's cividis; rdbu is ColorBrewer's 11-class RdBu reversed
 * (blue low, grey-white middle, red high: matplotlib's RdBu_r), the diverging map for signed values.
 */
export type ColormapName = 'viridis' | 'magma' | 'cividis' | 'rdbu';

/** Every continuous map, in the order the viewer offers them. */
export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'magma', 'cividis', 'rdbu'];

/** Maps centred on a meaningful middle value (the viewer centres their range on 0). */
export const DIVERGING: ReadonlySet<ColormapName> = new Set<ColormapName>(['rdbu']);

type Rgb = readonly [number, number, number];

export const COLORMAP_STOPS: Record<ColormapName, readonly Rgb[]> = {
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
  cividis: [
    [0, 32, 76],
    [0, 42, 102],
    [0, 52, 110],
    [39, 63, 108],
    [60, 74, 107],
    [76, 85, 107],
    [91, 95, 109],
    [104, 106, 112],
    [117, 117, 117],
    [131, 129, 120],
    [146, 140, 120],
    [161, 152, 118],
    [176, 165, 114],
    [192, 177, 109],
    [209, 191, 102],
    [225, 204, 92],
    [243, 219, 79],
    [255, 233, 69],
  ],
  rdbu: [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
  ],
};

/** Colour at t in [0, 1] (clamped; NaN → 0) as unrounded 0–255 RGB. */
export function colorAt(map: ColormapName, t: number): [number, number, number] {
  const stops = COLORMAP_STOPS[map];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * Categorical colours when a column has none of its own: scanpy's default for up to 20
 * categories (matplotlib tab20 reordered, scanpy.plotting.palettes.default_20).
 */
export const DEFAULT_20: readonly string[] = [
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

export function categoricalColor(i: number): string {
  const n = DEFAULT_20.length;
  return DEFAULT_20[((i % n) + n) % n]!;
}

/**
 * Categorical colours for domains: scanpy's default for up to 20 categories (matplotlib tab20
 * reordered as in scanpy.plotting.palettes.default_20), so exported figures and h5ad `*_colors`
 * look the same as in scanpy.
 */
export const DEFAULT_20 = [
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
] as const;

export function categoricalColor(i: number): string {
  return DEFAULT_20[((i % DEFAULT_20.length) + DEFAULT_20.length) % DEFAULT_20.length]!;
}

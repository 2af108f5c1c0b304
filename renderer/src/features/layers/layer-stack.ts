import { kthSmallest } from '../../../../preload/contract/select';
import type { ColormapName } from '../../lib/colormaps';

/** Every layer the viewer can show. The slide is always the base; the others stack above it. */
export type LayerId = 'slide' | 'spots' | 'sr' | 'uncertainty' | 'domains' | 'labels' | 'features';

export interface LayerStyle {
  visible: boolean;
  opacity: number;
  colormap: ColormapName;
  /** the colour range; null = automatic (0 or the low percentile to the high percentile) */
  range: [number, number] | null;
  /** high percentile of the automatic range, e.g. 99 */
  percentile: number;
}

export interface LayerStack {
  /** top first, slide excluded (it is always at the bottom) */
  order: Exclude<LayerId, 'slide'>[];
  styles: Record<LayerId, LayerStyle>;
}

export const LAYER_NAMES: Record<LayerId, string> = {
  slide: 'H&E slide',
  spots: 'Observed spots',
  sr: 'SR map',
  uncertainty: 'SR uncertainty',
  domains: 'Domains',
  labels: 'Pathologist labels',
  features: 'Features (PCA)',
};

/** Layers coloured by category (their colour map is the categorical palette, no range). */
export const CATEGORICAL: ReadonlySet<LayerId> = new Set<LayerId>(['domains', 'labels']);
/** Layers whose colours are fixed by their data (the slide, the RGB of three principal components). */
export const FIXED_COLOURS: ReadonlySet<LayerId> = new Set<LayerId>(['slide', 'features']);

const style = (visible: boolean, opacity: number): LayerStyle => ({
  visible,
  opacity,
  colormap: 'viridis',
  range: null,
  percentile: 99,
});

export function defaultStack(): LayerStack {
  return {
    order: ['labels', 'domains', 'spots', 'uncertainty', 'sr', 'features'],
    styles: {
      slide: style(true, 1),
      spots: style(true, 0.85),
      sr: style(true, 0.85),
      uncertainty: style(true, 0.85),
      domains: style(true, 0.6),
      labels: style(false, 0.85),
      features: style(true, 0.85),
    },
  };
}

/** Moves a layer one place up (towards the top, -1) or down (+1); the slide never moves. */
export function moveLayer(stack: LayerStack, id: LayerId, by: -1 | 1): LayerStack {
  if (id === 'slide') return stack;
  const i = stack.order.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= stack.order.length) return stack;
  const order = [...stack.order];
  [order[i], order[j]] = [order[j]!, order[i]!];
  return { ...stack, order };
}

export function setStyle(stack: LayerStack, id: LayerId, patch: Partial<LayerStyle>): LayerStack {
  return { ...stack, styles: { ...stack.styles, [id]: { ...stack.styles[id], ...patch } } };
}

/** Bottom-to-top drawing order of the overlay layers. */
export function drawOrder(stack: LayerStack): Exclude<LayerId, 'slide'>[] {
  return [...stack.order].reverse();
}

/**
 * A stack read back from storage: unknown or missing layers fall back to the defaults, so a
 * state saved by an older build (or hand-edited) never breaks the viewer.
 */
export function restoreStack(saved: unknown): LayerStack {
  const base = defaultStack();
  if (!saved || typeof saved !== 'object') return base;
  const s = saved as Partial<LayerStack>;
  const known = new Set(base.order);
  const order = Array.isArray(s.order) ? s.order.filter((id) => known.has(id)) : [];
  for (const id of base.order) if (!order.includes(id)) order.push(id);
  const styles = { ...base.styles };
  for (const id of Object.keys(styles) as LayerId[]) {
    const v = (s.styles as Record<string, Partial<LayerStyle>> | undefined)?.[id];
    if (v && typeof v === 'object') styles[id] = { ...styles[id], ...v };
  }
  return { order: [...new Set(order)], styles };
}

/**
 * The automatic range: [0, p-th percentile] for non-negative data; for signed data (diverging
 * maps) symmetric around 0 at the p-th percentile of |v|. Non-finite values are skipped.
 */
export function autoRange(
  values: ArrayLike<number>,
  percentile: number,
  diverging = false,
): [number, number] {
  const v = new Float64Array(values.length);
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) continue;
    const a = diverging ? Math.abs(x) : x;
    v[n++] = a;
    if (x < min) min = x;
    if (a > max) max = a;
  }
  if (n === 0) return [0, 1];
  const pos = (n - 1) * Math.min(1, Math.max(0, percentile / 100));
  const lo = Math.floor(pos);
  const at = kthSmallest(v, n, lo);
  // the next order statistic is the smallest of what quickselect left above position lo
  let next = at;
  if (pos > lo) {
    next = Infinity;
    for (let i = lo + 1; i < n; i++) if (v[i]! < next) next = v[i]!;
  }
  const hi = at + (next - at) * (pos - lo);
  const top = hi > 0 ? hi : max || 1;
  if (diverging) return [-top, top];
  return [Math.min(0, min), top];
}

import { COLORMAP_NAMES, DIVERGING } from '../../../../preload/contract/colormaps';
import type { ColormapName } from '../../lib/colormaps';
import {
  CATEGORICAL,
  FIXED_COLOURS,
  LAYER_NAMES,
  moveLayer,
  setStyle,
  type LayerId,
  type LayerStack,
} from './layer-stack';

/** Per layer: true when it can be shown, else why not (shown greyed out). */
export type LayerAvailability = Record<LayerId, true | string>;

/**
 * The layer list: visibility, order (top first; the slide is always the base), opacity, and for
 * continuous layers the colour map and range (typed, or automatic at a chosen percentile).
 */
export function LayerPanel({
  stack,
  onChange,
  available,
  autoRanges,
}: {
  stack: LayerStack;
  onChange: (s: LayerStack) => void;
  available: LayerAvailability;
  /** the automatic range of each continuous layer with data, to show and start edits from */
  autoRanges: Partial<Record<LayerId, [number, number]>>;
}) {
  const ids: LayerId[] = [...stack.order, 'slide'];
  return (
    <aside className="layer-panel" aria-label="Layers">
      <h2>Layers</h2>
      <ol>
        {ids.map((id, pos) => {
          const st = stack.styles[id];
          const ok = available[id] === true;
          const continuous = !CATEGORICAL.has(id) && !FIXED_COLOURS.has(id);
          const range = st.range ?? autoRanges[id] ?? null;
          const name = LAYER_NAMES[id];
          return (
            <li key={id} className={ok ? 'layer' : 'layer unavailable'} data-layer={id}>
              <div className="row">
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={st.visible}
                    aria-label={`Show ${name}`}
                    onChange={(e) => onChange(setStyle(stack, id, { visible: e.target.checked }))}
                  />
                  {name}
                </label>
                <span className="spacer" />
                {id !== 'slide' && (
                  <>
                    <button
                      className="icon"
                      aria-label={`Move ${name} up`}
                      disabled={pos === 0}
                      onClick={() => onChange(moveLayer(stack, id, -1))}
                    >
                      ▲
                    </button>
                    <button
                      className="icon"
                      aria-label={`Move ${name} down`}
                      disabled={pos === stack.order.length - 1}
                      onClick={() => onChange(moveLayer(stack, id, 1))}
                    >
                      ▼
                    </button>
                  </>
                )}
              </div>
              {!ok && <div className="small muted">{available[id]}</div>}
              <div className="row">
                <input
                  type="range"
                  min={0}
                  max={1}
                  step={0.05}
                  value={st.opacity}
                  aria-label={`${name} opacity`}
                  onChange={(e) => onChange(setStyle(stack, id, { opacity: Number(e.target.value) }))}
                />
                {continuous && (
                  <select
                    aria-label={`${name} colour map`}
                    value={st.colormap}
                    onChange={(e) => {
                      const colormap = e.target.value as ColormapName;
                      // Switching to or from a diverging map changes what "automatic" means.
                      const reset = DIVERGING.has(colormap) !== DIVERGING.has(st.colormap);
                      onChange(setStyle(stack, id, reset ? { colormap, range: null } : { colormap }));
                    }}
                  >
                    {COLORMAP_NAMES.map((m) => (
                      <option key={m} value={m}>
                        {m}
                      </option>
                    ))}
                  </select>
                )}
                {CATEGORICAL.has(id) && <span className="small muted">categorical palette</span>}
              </div>
              {continuous && ok && range && (
                <div className="row range-inputs">
                  <input
                    type="number"
                    step="any"
                    aria-label={`${name} range minimum`}
                    value={Number(range[0].toPrecision(4))}
                    onChange={(e) =>
                      Number.isFinite(Number(e.target.value)) &&
                      onChange(setStyle(stack, id, { range: [Number(e.target.value), range[1]] }))
                    }
                  />
                  <input
                    type="number"
                    step="any"
                    aria-label={`${name} range maximum`}
                    value={Number(range[1].toPrecision(4))}
                    onChange={(e) =>
                      Number.isFinite(Number(e.target.value)) &&
                      onChange(setStyle(stack, id, { range: [range[0], Number(e.target.value)] }))
                    }
                  />
                  <button
                    className={st.range === null ? 'link active' : 'link'}
                    title="Automatic range: 0 (or ±) to this percentile of the layer's values"
                    onClick={() => onChange(setStyle(stack, id, { range: null }))}
                  >
                    auto
                  </button>
                  <input
                    type="number"
                    min={50}
                    max={100}
                    step={0.5}
                    aria-label={`${name} auto-range percentile`}
                    value={st.percentile}
                    onChange={(e) => {
                      const p = Math.min(100, Math.max(50, Number(e.target.value) || 99));
                      onChange(setStyle(stack, id, { percentile: p, range: null }));
                    }}
                  />
                  <span className="small muted">pct</span>
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </aside>
  );
}

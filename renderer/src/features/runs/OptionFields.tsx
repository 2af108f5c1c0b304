import type { MethodInfo } from '../../../../preload/contract';

export type OptionValues = Record<string, unknown>;

/** One option property of a method's JSON Schema, as far as the panel reads it. */
interface OptionProperty {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}

function properties(method: MethodInfo): [string, OptionProperty][] {
  const props = method.options['properties'];
  if (typeof props !== 'object' || props === null) return [];
  return Object.entries(props as Record<string, OptionProperty>);
}

/** The method's defaults with a preset's values on top. */
export function optionDefaults(method: MethodInfo, preset: string): OptionValues {
  const out: OptionValues = {};
  for (const [key, p] of properties(method)) if (p.default !== undefined) out[key] = p.default;
  return { ...out, ...(method.presets[preset] ?? {}) };
}

const labelOf = (key: string, p: OptionProperty) => p.title ?? key;

/**
 * A field per option of the method (from its JSON Schema): a select for enumerations, a checkbox
 * for booleans, a number input with the schema's bounds otherwise. The engine validates again.
 */
export function OptionFields({
  method,
  values,
  onChange,
}: {
  method: MethodInfo;
  values: OptionValues;
  onChange: (values: OptionValues) => void;
}) {
  const set = (key: string, v: unknown) => onChange({ ...values, [key]: v });
  return (
    <div className="row option-fields">
      {properties(method).map(([key, p]) => {
        const label = labelOf(key, p);
        if (p.enum) {
          return (
            <label key={key} className="inline" title={p.description}>
              {label}
              <select
                aria-label={label}
                value={String(values[key] ?? '')}
                onChange={(e) => {
                  const v = p.enum!.find((x) => String(x) === e.target.value);
                  set(key, v);
                }}
              >
                {p.enum.map((x) => (
                  <option key={String(x)} value={String(x)}>
                    {String(x)}
                  </option>
                ))}
              </select>
            </label>
          );
        }
        if (p.type === 'boolean') {
          return (
            <label key={key} className="inline" title={p.description}>
              <input
                type="checkbox"
                aria-label={label}
                checked={values[key] === true}
                onChange={(e) => set(key, e.target.checked)}
              />{' '}
              {label}
            </label>
          );
        }
        if (p.type === 'number' || p.type === 'integer') {
          return (
            <label key={key} className="inline" title={p.description}>
              {label}
              <input
                type="number"
                aria-label={label}
                min={p.minimum}
                max={p.maximum}
                step={p.type === 'integer' ? 1 : 'any'}
                value={typeof values[key] === 'number' ? values[key] : ''}
                onChange={(e) => {
                  const n = Number(e.target.value);
                  if (e.target.value !== '' && Number.isFinite(n)) set(key, n);
                }}
              />
            </label>
          );
        }
        return null;
      })}
    </div>
  );
}

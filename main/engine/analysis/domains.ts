import { badInput } from '../errors';
import { categoricalColor } from '../../../preload/contract/colormaps';

/** A cluster as the user sees it: named, coloured, possibly merged into another. */
export interface Domain {
  label: number;
  name: string;
  color: string;
  /** label this domain was merged into (its spots show as that domain), or null */
  mergedInto: number | null;
}

export function defaultDomains(k: number): Domain[] {
  return Array.from({ length: k }, (_, i) => ({
    label: i,
    name: `Domain ${i + 1}`,
    color: categoricalColor(i),
    mergedInto: null,
  }));
}

/** Follows merges to the domain a label is shown as. */
export function resolveLabel(domains: readonly Domain[], label: number): number {
  const byLabel = new Map(domains.map((d) => [d.label, d]));
  let cur = label;
  for (let hops = 0; hops <= domains.length; hops++) {
    const d = byLabel.get(cur);
    if (!d || d.mergedInto === null) return cur;
    cur = d.mergedInto;
  }
  return cur;
}

export function effectiveLabels(domains: readonly Domain[], labels: ArrayLike<number>): Int32Array {
  const map = new Map(domains.map((d) => [d.label, resolveLabel(domains, d.label)]));
  return Int32Array.from(labels, (l) => map.get(l) ?? l);
}

/**
 * Checks an edited domain list against the clustering: the same labels, merges into existing
 * labels without cycles, non-empty names and CSS hex colours.
 */
export function validateDomains(previous: readonly Domain[], next: readonly Domain[]): void {
  const labels = new Set(previous.map((d) => d.label));
  if (
    next.length !== previous.length ||
    next.some((d) => !labels.has(d.label)) ||
    new Set(next.map((d) => d.label)).size !== next.length
  ) {
    throw badInput('Domains must keep the clustering’s labels: one entry per label, none added or removed.');
  }
  for (const d of next) {
    if (!d.name.trim()) throw badInput(`Domain ${d.label} needs a name.`);
    if (!/^#[0-9a-fA-F]{6}$/.test(d.color))
      throw badInput(`Domain "${d.name}" has colour "${d.color}"; use #rrggbb.`);
    if (d.mergedInto !== null && (!labels.has(d.mergedInto) || d.mergedInto === d.label)) {
      throw badInput(`Domain "${d.name}" is merged into label ${d.mergedInto}, which is not another domain.`);
    }
  }
  const byLabel = new Map(next.map((d) => [d.label, d]));
  for (const d of next) {
    const seen = new Set<number>();
    let cur: Domain | undefined = d;
    while (cur && cur.mergedInto !== null) {
      if (seen.has(cur.label)) throw badInput(`Merging "${d.name}" goes round in a circle.`);
      seen.add(cur.label);
      cur = byLabel.get(cur.mergedInto);
    }
  }
}

import type { ClusteringInfo } from '../../../preload/contract/schemas';
import { adjustedRandIndex, effectiveLabels, normalizedMutualInfo } from '../analysis';

/** Annotation values that mean "no label" (as the clustering task treats them). */
const UNLABELLED = ['', 'undetermined'];

/**
 * A clustering as shown after the user's merges: sizes count the spots (superpixels) each domain
 * shows now (a merged domain 0, its target the sum), and the agreement with the annotations is
 * recomputed on the merged labels. Without merges the stored figures are returned unchanged.
 */
export function shownClusteringInfo(
  info: ClusteringInfo,
  labels: () => ArrayLike<number>,
  annotations: () => Record<string, string[]> | undefined,
): ClusteringInfo {
  if (info.domains.every((d) => d.mergedInto === null)) return info;
  const shown = effectiveLabels(info.domains, labels());
  const sizes = Array.from({ length: Math.max(info.k, info.sizes.length) }, () => 0);
  for (const l of shown) if (l >= 0 && l < sizes.length) sizes[l]!++;
  const agreement: ClusteringInfo['agreement'] = {};
  if (info.level === 'spot')
    for (const [name, truth] of Object.entries(annotations() ?? {})) {
      if (!(name in info.agreement) || truth.length !== shown.length) continue;
      const pred = Array.from(shown);
      agreement[name] = {
        ari: adjustedRandIndex(truth, pred, UNLABELLED),
        nmi: normalizedMutualInfo(truth, pred, UNLABELLED),
      };
    }
  return { ...info, sizes, agreement: info.level === 'spot' ? agreement : info.agreement };
}

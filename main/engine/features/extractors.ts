/**
 * The weights-free extractors a user can start from the app (features.extractors), in the order
 * the UI offers them. A user's ONNX model (UNI…) is the other kind: a file path, given to the CLI's
 * `--extractor FILE.onnx`, never through the API (a path from the renderer would be a read of an
 * arbitrary file).
 */
import { isDerivedExtractor, type DERIVED_EXTRACTORS } from './derived-store';

export interface ExtractorInfo {
  id: string;
  label: string;
  description: string;
}

const DESCRIPTIONS: Record<'builtin' | keyof typeof DERIVED_EXTRACTORS, Omit<ExtractorInfo, 'id'>> = {
  builtin: {
    label: 'Built-in (stain, texture, context)',
    description:
      '66 channels per 8 µm superpixel from colour deconvolution and texture; seconds per section.',
  },
  nuclei: {
    label: 'Nuclei',
    description:
      'Nucleus segmentation on haematoxylin: counts, size, shape, lymphocyte- and tumour-like densities at 8–128 µm.',
  },
  'slide-encoder': {
    label: 'Slide encoder (trained on this slide)',
    description: 'A small CNN trained self-supervised on this slide’s tissue tiles; minutes on 2 cores.',
  },
};

export function listExtractors(): ExtractorInfo[] {
  return Object.entries(DESCRIPTIONS).map(([id, d]) => ({ id, ...d }));
}

/** An id the API accepts for features.run: the built-in extractor or a derived one. */
export function isWeightsFreeExtractor(id: string): boolean {
  return id === 'builtin' || isDerivedExtractor(id);
}

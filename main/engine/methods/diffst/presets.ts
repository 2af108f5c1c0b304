/**
 * Diff-ST presets. `default` trains and samples a HER2ST section on 2 CPU cores in minutes;
 * `paper` has the publication's widths (supp. Table 3: d = 128, M = 256 cell patches, GroupNorm 32,
 * 24,751 iterations at batch 4, lr 1e-4, EMA 0.9999) for a GPU; `tiny` is for tests and the e2e.
 */
import type { ResidualTarget } from './residual-base';

export interface DiffstPreset {
  /** HR patch side in map pixels (LR = hr/2) */
  hr: number;
  channels: number;
  levels: number;
  groups: number;
  imageScale: number;
  cells: number;
  cellPx: number;
  /** modulation region side a (divides the bottleneck hr/2^levels) */
  region: number;
  /** training updates */
  updates: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  emaDecay: number;
  /** respaced sampling steps (20 as released) */
  sampleSteps: number;
  /** samples per patch for the SD (K) */
  samples: number;
  /** chains per patch whose mean is the prediction (≥ samples; the first `samples` give the SD) */
  meanSamples: number;
  graphAlpha: number;
  disentangleWeight: number;
  /** sampling batch (rows per ORT run) */
  sampleBatch: number;
  /**
   * What is diffused: 'map' = the normalised HR map (the released model); 'residual' = the HR map
   * minus its nearest-upsampled LR map, 'residual-bilinear' minus its bilinear upsampling
   * (residual-base.ts), so an uncertain model falls back to the upsampled LR map rather than to
   * noise (docs/diffst.md: with one section of training data this is what makes it usable).
   */
  target: ResidualTarget;
  /**
   * what the tissue and cell branches read (image-input.ts): 'rgb' = the H&E pixels (as released),
   * or a feature reading such as 'builtin:16' (the built-in feature map's principal components)
   */
  image: string;
  /** stride of the training windows over the LR map (LR pixels) */
  trainStride: number;
  /**
   * at most this many gene directions are diffused (gene-basis.ts): an ε-predicting UNet cannot
   * pass more independent noise channels than its width
   */
  latent: number;
}

const base = {
  levels: 2,
  trainStride: 1,
  weightDecay: 1e-5,
  graphAlpha: 0.02,
  disentangleWeight: 0.01,
  image: 'rgb',
};

export const DIFFST_PRESETS = {
  tiny: {
    ...base,
    hr: 8,
    channels: 8,
    groups: 4,
    imageScale: 2,
    cells: 4,
    cellPx: 4,
    region: 1,
    updates: 30,
    batchSize: 4,
    lr: 1e-3,
    emaDecay: 0.9,
    sampleSteps: 5,
    samples: 4,
    meanSamples: 4,
    sampleBatch: 16,
    target: 'residual-bilinear',
    latent: 4,
  },
  default: {
    ...base,
    hr: 16,
    channels: 16,
    groups: 4,
    imageScale: 4,
    cells: 16,
    cellPx: 16,
    region: 2,
    updates: 400,
    batchSize: 4,
    lr: 1e-3,
    emaDecay: 0.99,
    sampleSteps: 20,
    samples: 8,
    meanSamples: 64,
    sampleBatch: 32,
    target: 'residual-bilinear',
    latent: 8,
    image: 'builtin:16',
  },
  paper: {
    ...base,
    hr: 32,
    channels: 128,
    groups: 32,
    imageScale: 8,
    cells: 256,
    cellPx: 16,
    region: 4,
    updates: 24751,
    batchSize: 4,
    lr: 1e-4,
    emaDecay: 0.9999,
    sampleSteps: 20,
    samples: 8,
    meanSamples: 64,
    sampleBatch: 8,
    target: 'map',
    trainStride: 2,
    latent: 128,
  },
} satisfies Record<string, DiffstPreset>;

export type DiffstPresetName = keyof typeof DIFFST_PRESETS;

export function isPresetName(s: unknown): s is DiffstPresetName {
  return typeof s === 'string' && s in DIFFST_PRESETS;
}

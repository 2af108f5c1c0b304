import { describe, expect, it } from 'vitest';
import { inImageFrame } from '../../../main/engine/bench/image-frame';
import { readSample } from '../../../main/engine/io/index';
import { sharedData } from '../../helpers/paths';

describe('inImageFrame', () => {
  it('moves a lowres-only Visium sample into the PNG’s pixels (same µm, same lattice)', async () => {
    const given = await readSample(sharedData('visium', 'seurat-mouse-brain-sagittal-anterior'));
    const f = given.image!.scaleToFullRes;
    expect(f).toBeGreaterThan(10); // a lowres PNG: tissue_lowres_scalef ≈ 0.05
    const { sample, note } = inImageFrame(given);
    expect(sample.image!.scaleToFullRes).toBe(1);
    expect(sample.image!.path).toBe(given.image!.path);
    // µm per px grows by the scale, so a spot's diameter in µm and every distance in µm are unchanged
    expect(sample.umPerPx).toBeCloseTo(given.umPerPx * f, 12);
    expect(sample.spotDiameterUm).toBe(given.spotDiameterUm);
    const i = 123;
    expect(sample.spots[i]!.x).toBeCloseTo(given.spots[i]!.x / f, 9);
    expect(sample.spots[i]!.y).toBeCloseTo(given.spots[i]!.y / f, 9);
    expect(sample.spots[i]!.row).toBe(given.spots[i]!.row);
    // every spot lands inside the PNG
    for (const s of sample.spots) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x).toBeLessThan(sample.image!.width);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeLessThan(sample.image!.height);
    }
    expect(note).toMatch(/scaled copy \(\d+×\d+ px, [\d.]+ µm\/px\)/);
    expect(given.spots[i]!.x).not.toBeCloseTo(sample.spots[i]!.x, 0); // the input is not changed
  });

  it('leaves a full-resolution sample as it is', async () => {
    const given = await readSample(sharedData('her2st', 'C2'));
    const { sample, note } = inImageFrame(given);
    expect(sample).toBe(given);
    expect(note).toBeUndefined();
  });
});

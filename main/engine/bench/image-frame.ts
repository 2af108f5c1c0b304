/**
 * A sample moved into the pixel frame of its scaled image (a Space Ranger hires/lowres PNG), so an
 * image method can read the only H&E the sample has at the right place: positions ÷ scaleToFullRes,
 * µm per px × scaleToFullRes, the image becoming "full resolution". Lattice indices, counts and the
 * spot diameter in µm are unchanged, so every score means the same; only the image's resolution
 * is coarser (a lowres PNG is ~10–15 µm/px), which the harness says in its notes.
 */
import type { Sample } from '../io/sample';

export function inImageFrame(sample: Sample): { sample: Sample; note?: string } {
  const im = sample.image;
  if (!im || Math.abs(im.scaleToFullRes - 1) < 1e-9) return { sample };
  const f = im.scaleToFullRes;
  return {
    sample: {
      ...sample,
      spots: sample.spots.map((s) => ({ ...s, x: s.x / f, y: s.y / f })),
      umPerPx: sample.umPerPx * f,
      image: { ...im, scaleToFullRes: 1 },
    },
    note: `the H&E is a scaled copy (${im.width}×${im.height} px, ${(sample.umPerPx * f).toFixed(2)} µm/px): methods read it at that resolution`,
  };
}

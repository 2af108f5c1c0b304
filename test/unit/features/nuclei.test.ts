import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  distanceTransform,
  nucleusStats,
  segmentNuclei,
  watershedNuclei,
} from '../../../main/engine/features/nuclei';
import { neighbourhoodStats } from '../../../main/engine/features/context';

const FIX = join(__dirname, 'fixtures', 'nuclei');

describe('distance transform', () => {
  it('equals the brute-force squared distance to the nearest background pixel', () => {
    const w = 23;
    const h = 17;
    const fg = new Uint8Array(w * h);
    // a blob and a bar, deterministic pattern
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        fg[y * w + x] = (x - 8) ** 2 + (y - 8) ** 2 < 30 || (x > 14 && y % 7 !== 0) ? 1 : 0;
    const d = distanceTransform(fg, w, h);
    for (let i = 0; i < w * h; i++) {
      let best = Infinity;
      for (let j = 0; j < w * h; j++)
        if (!fg[j])
          best = Math.min(best, ((i % w) - (j % w)) ** 2 + (Math.floor(i / w) - Math.floor(j / w)) ** 2);
      expect(d[i]).toBe(fg[i] ? best : 0);
    }
  });
});

describe('watershed', () => {
  it('splits two touching discs into two nuclei of the right size and keeps a lone disc whole', () => {
    const w = 60;
    const h = 30;
    const fg = new Uint8Array(w * h);
    const disc = (cx: number, cy: number, r: number) => {
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) fg[y * w + x] = 1;
    };
    disc(10, 15, 6);
    disc(20, 15, 6); // overlaps the first: a figure eight
    disc(45, 15, 5);
    const labels = watershedNuclei(fg, w, h);
    const stats = nucleusStats(labels, new Float32Array(w * h).fill(1), w).sort((a, b) => a.x - b.x);
    expect(stats).toHaveLength(3);
    expect(stats[0]!.x).toBeCloseTo(10, 0);
    expect(stats[1]!.x).toBeCloseTo(20, 0);
    expect(stats[2]!.area).toBeGreaterThan(Math.PI * 25 * 0.85);
    expect(stats[2]!.eccentricity).toBeLessThan(0.3);
  });

  it('gives an elongated nucleus a high eccentricity', () => {
    const w = 40;
    const h = 20;
    const fg = new Uint8Array(w * h);
    for (let y = 8; y < 12; y++) for (let x = 5; x < 35; x++) fg[y * w + x] = 1;
    const stats = nucleusStats(watershedNuclei(fg, w, h, 40), new Float32Array(w * h), w);
    expect(stats).toHaveLength(1);
    expect(stats[0]!.eccentricity).toBeGreaterThan(0.95);
  });
});

describe('nuclei on hand-counted HER2ST C2 crops', () => {
  const counts = JSON.parse(readFileSync(join(FIX, 'counts.json'), 'utf8')) as {
    crops: Record<string, { hand: number }>;
  };
  const auto: Record<string, number> = {};
  it('counts within the segmentation’s measured error of the hand counts, dense crop highest', async () => {
    for (const [file, c] of Object.entries(counts.crops)) {
      // 140 px × 0.689 µm/px = 96 µm → 96 px at 1 µm/px, as nuclei-map.ts reads the slide
      const { data } = await sharp(join(FIX, file))
        .resize(96, 96, { kernel: 'cubic' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const r = segmentNuclei(new Uint8Array(data), 96, 96, { threshold: 0.45 });
      auto[file] = r.nuclei.length;
      // docs/features.md: within 10 % on the dense crop; pale elongated stroma nuclei are split (up to +80 %)
      expect(r.nuclei.length).toBeGreaterThanOrEqual(Math.floor(0.85 * c.hand));
      expect(r.nuclei.length).toBeLessThanOrEqual(Math.ceil(1.9 * c.hand));
    }
    expect(auto['c2-5200-6200.png']!).toBeGreaterThan(auto['c2-3600-6000.png']!);
    expect(auto['c2-5200-6200.png']!).toBeGreaterThan(auto['c2-4800-4600.png']!);
    expect(Math.abs(auto['c2-5200-6200.png']! - 40)).toBeLessThanOrEqual(6);
  });
});

describe('multi-scale context', () => {
  it('means and SDs over tissue only, against a direct loop', () => {
    const rows = 9;
    const cols = 11;
    const dim = 2;
    const data = new Float32Array(rows * cols * dim).map((_, i) => Math.sin(i * 0.37) * 3);
    const mask = new Uint8Array(rows * cols).map((_, i) => (i % 5 === 0 ? 0 : 1));
    const r = neighbourhoodStats(data, rows, cols, dim, mask, [4, 3]);
    expect(r.dim).toBe(8);
    for (let y = 0; y < rows; y++)
      for (let x = 0; x < cols; x++)
        [4, 3].forEach((w, wi) => {
          for (let d = 0; d < dim; d++) {
            const vals: number[] = [];
            for (let yy = y - Math.floor(w / 2); yy < y - Math.floor(w / 2) + w; yy++)
              for (let xx = x - Math.floor(w / 2); xx < x - Math.floor(w / 2) + w; xx++)
                if (yy >= 0 && xx >= 0 && yy < rows && xx < cols && mask[yy * cols + xx])
                  vals.push(data[(yy * cols + xx) * dim + d]!);
            const m = vals.reduce((a, b) => a + b, 0) / vals.length;
            const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
            const o = (y * cols + x) * 8 + (d * 2 + wi) * 2;
            expect(r.data[o]).toBeCloseTo(m, 4);
            expect(r.data[o + 1]).toBeCloseTo(sd, 3);
          }
        });
  });
});

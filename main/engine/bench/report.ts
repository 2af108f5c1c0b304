/**
 * Human-readable bench reports (benchmark.md "What a report looks like"): a Markdown table and a
 * PNG bar chart (an SVG we draw, rasterised by sharp), written beside the JSON result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { BenchResult, MethodScores } from './harness';

const METRICS = ['pcc', 'rmse', 'ssim', 'mae', 'mse'] as const;
type Metric = (typeof METRICS)[number];
const HIGHER_BETTER: Record<Metric, boolean> = { pcc: true, ssim: true, rmse: false, mae: false, mse: false };

const fmt = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function table(rows: Record<string, MethodScores>): string[] {
  const lines = [
    '| method | PCC ↑ | RMSE ↓ | SSIM ↑ | MAE ↓ | MSE ↓ | seconds |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, s] of Object.entries(rows))
    lines.push(
      `| ${name} | ${fmt(s.pcc)} | ${fmt(s.rmse)} | ${fmt(s.ssim)} | ${fmt(s.mae)} | ${fmt(s.mse)} | ${fmt(s.seconds, 2)} |`,
    );
  return lines;
}

export function benchMarkdown(r: BenchResult): string {
  const scored =
    r.protocol === 'coarsen'
      ? `${r.evaluatedSpots} original spots recovered from ${r.inputSpots} pseudo-spots`
      : `${r.evaluatedSpots} hidden spots of ${r.spots}, predicted from ${r.inputSpots}`;
  const space =
    r.protocol === 'coarsen'
      ? 'per-gene min-max over the evaluated spots for every metric'
      : 'PCC/MAE/MSE on log1p(CP10k) values, RMSE/SSIM after per-gene min-max';
  const out = [
    `# ${r.protocol} benchmark on ${r.dataset}`,
    '',
    `${r.genes} genes (${r.geneSelection}), seed ${r.seed}, ${r.lattice} lattice; ${scored}; ${space}.`,
    '',
    ...table(r.methods),
  ];
  if (r.allSpots) {
    out.push(
      '',
      '## All spots (the published way of spot-generation papers: training spots included)',
      '',
      ...table(r.allSpots),
    );
  }
  if (r.protocol === 'coarsen')
    out.push(
      '',
      'A method counts as better only when it beats its `:permuted` control and `noise` (benchmark.md step 6); PCC is the headline metric.',
    );
  if (r.notes.length) out.push('', ...r.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
];

/** One panel per metric, one bar per method (same colour per method across panels). */
export function benchChartSvg(r: BenchResult): string {
  const names = Object.keys(r.methods);
  const panelW = 200;
  const panelH = 260;
  const top = 72;
  const left = 20;
  const legendH = 20 * Math.ceil(names.length / 3) + 10;
  const W = left + METRICS.length * panelW + 10;
  const H = top + panelH + 40 + legendH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16">${esc(`${r.protocol} · ${r.dataset} · ${r.genes} genes (${r.geneSelection})`)}</text>`,
  ];
  METRICS.forEach((metric, p) => {
    const x0 = left + p * panelW + 30;
    const w = panelW - 45;
    const vals = names.map((n) => r.methods[n]![metric]);
    const finite = vals.filter(Number.isFinite);
    const hi = Math.max(1e-12, ...finite.map((v) => Math.max(0, v)));
    const lo = Math.min(0, ...finite);
    const y = (v: number): number => top + panelH - ((v - lo) / (hi - lo)) * panelH;
    parts.push(
      `<text x="${x0 + w / 2}" y="${top - 26}" font-size="13" text-anchor="middle">${metric.toUpperCase()} ${HIGHER_BETTER[metric] ? '↑' : '↓'}</text>`,
      `<line x1="${x0}" y1="${y(0)}" x2="${x0 + w}" y2="${y(0)}" stroke="#333"/>`,
      `<line x1="${x0}" y1="${top}" x2="${x0}" y2="${top + panelH}" stroke="#333"/>`,
      `<text x="${x0 - 4}" y="${top + 4}" font-size="10" text-anchor="end">${fmt(hi, 3)}</text>`,
    );
    const bw = w / Math.max(1, names.length);
    vals.forEach((v, k) => {
      if (!Number.isFinite(v)) return;
      const yv = y(v);
      const y0 = y(0);
      parts.push(
        `<rect x="${x0 + k * bw + 2}" y="${Math.min(yv, y0)}" width="${Math.max(1, bw - 4)}" height="${Math.abs(y0 - yv)}" fill="${PALETTE[k % PALETTE.length]}"/>`,
        `<text x="${x0 + k * bw + bw / 2}" y="${Math.min(yv, y0) - 3}" font-size="9" text-anchor="middle">${fmt(v, 3)}</text>`,
      );
    });
  });
  names.forEach((n, k) => {
    const lx = left + (k % 3) * 330;
    const ly = top + panelH + 30 + Math.floor(k / 3) * 20;
    parts.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${PALETTE[k % PALETTE.length]}"/>`,
      `<text x="${lx + 18}" y="${ly}" font-size="12">${esc(n)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface WrittenReport {
  json: string;
  markdown: string;
  png: string;
}

/** Writes <base>.json, <base>.md and <base>.png into dir (created if missing). */
export async function writeBenchReport(r: BenchResult, dir: string, base?: string): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const stem = base ?? `bench-${r.protocol}-${r.dataset.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
  const json = join(dir, `${stem}.json`);
  const markdown = join(dir, `${stem}.md`);
  const png = join(dir, `${stem}.png`);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(markdown, benchMarkdown(r));
  await sharp(Buffer.from(benchChartSvg(r)))
    .png()
    .toFile(png);
  return { json, markdown, png };
}

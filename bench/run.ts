/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, whose default export returns the figures.
 * The last stdout line is one JSON object (machine facts included) so scripts can read it.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

if (!name || !existsSync(join(here, `${name}.ts`))) {
  console.error(`usage: npm run bench -- NAME   (one of: ${available.join(', ')})`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as {
  default: (args: string[]) => Promise<Record<string, unknown>>;
};
const figures = await mod.default(process.argv.slice(3));
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
console.log(JSON.stringify({ bench: name, ...figures, machine }));

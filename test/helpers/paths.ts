import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** ../shared/data beside the checkout (CI clones main with shared/ beside it). */
export const sharedDataDir = process.env.STSR_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

export function sharedData(...parts: string[]): string {
  const p = join(sharedDataDir, ...parts);
  if (!existsSync(p))
    throw new Error(`Test data ${p} is missing: the tests expect ../shared/data beside the checkout.`);
  return p;
}

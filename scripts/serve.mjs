// `npm run serve`: builds the renderer when its bundle is missing or older than its sources, then
// runs browser mode (main/server/main.ts) in this same process, so signals (Ctrl+C, SIGTERM from a
// test) reach the server directly. A stale bundle would serve yesterday's viewer after a pull.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'renderer', 'dist', 'index.html');

/** Newest modification time (ms) of the files under `dir`, skipping build output. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = ['renderer', 'preload'].map((d) => join(root, d));
const stale =
  !existsSync(bundle) ||
  Math.max(...sources.map(newest), statSync(join(root, 'vite.renderer.config.ts')).mtimeMs) >
    statSync(bundle).mtimeMs;
if (stale) {
  const b = spawnSync('npm', ['run', 'build:renderer'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    shell: process.platform === 'win32',
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
register();
await import('../main/server/main.ts');

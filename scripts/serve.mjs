// `npm run serve`: builds the renderer on first use, then starts browser mode (main/server/main.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) {
  const b = spawnSync('npm', ['run', 'build:renderer'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    shell: process.platform === 'win32',
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'main', 'server', 'main.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);

// `npm run serve`: builds the renderer on first use, then runs browser mode (main/server/main.ts)
// in this same process, so signals (Ctrl+C, SIGTERM from a test) reach the server directly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) {
  const b = spawnSync('npm', ['run', 'build:renderer'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    shell: process.platform === 'win32',
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
register();
await import('../main/server/main.ts');

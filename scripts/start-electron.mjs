// `npm start`: runs the desktop app.
//   1. the Electron binary: npm does not run electron's install script (package.json allowScripts),
//      so fetch it here on first start (node node_modules/electron/install.js);
//   2. better-sqlite3 for Electron's ABI, built once into .electron-native/ so the Node build in
//      node_modules (tests, CLI, browser mode) is never replaced;
//   3. `npm run build` (renderer + dist-electron bundles);
//   4. electron . with STSR_SQLITE_BINDING pointing at the Electron build.
// Browser mode (`npm run serve`) needs none of this.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { electronVersion, ensureElectronSqlite, root } from './build-electron.mjs';

const electronDir = join(root, 'node_modules', 'electron');
const BROWSER_MODE = 'Browser mode works without Electron: `npm run serve`, then open the printed URL.';

function fail(message, code = 1) {
  console.error(`\n${message}\n${BROWSER_MODE}`);
  process.exit(code);
}

/** The Electron executable that node_modules/electron/install.js unpacked, or null. */
function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const rel = readFileSync(pathFile, 'utf8').trim();
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(electronDir, 'dist');
  const exe = join(base, rel);
  return existsSync(exe) ? exe : null;
}

if (!existsSync(join(electronDir, 'package.json'))) {
  fail('node_modules/electron is missing: run `npm install` first.');
}
const version = electronVersion();

let exe = electronBinary();
if (!exe) {
  console.error(`Downloading Electron ${version} (first start only): node node_modules/electron/install.js`);
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  exe = electronBinary();
  if (r.status !== 0 || !exe) {
    fail(
      `The Electron ${version} binary could not be downloaded (no network access to GitHub, or a proxy ` +
        'in the way; see https://www.electronjs.org/docs/latest/tutorial/installation for mirrors ' +
        'and ELECTRON_MIRROR).',
    );
  }
}

let binding;
try {
  binding = await ensureElectronSqlite();
} catch (err) {
  fail(
    `better-sqlite3 could not be built for Electron ${version}: ${err instanceof Error ? err.message : String(err)}\n` +
      'It needs either a prebuilt binary (downloaded from GitHub) or a C++ toolchain (python3, make, g++ / ' +
      'Visual Studio Build Tools) plus network access to Electron headers. Your tests are unaffected: ' +
      'node_modules keeps its Node build.',
  );
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const b = spawnSync(npm, ['run', 'build'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (b.status !== 0) {
  console.error('\n`npm run build` failed; fix the errors above and run `npm start` again.');
  process.exit(b.status ?? 1);
}

const env = { ...process.env, STSR_SQLITE_BINDING: binding };
// Would make Electron behave as plain Node.
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(exe, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!child.killed) child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on('error', (err) => fail(`Could not start Electron (${exe}): ${err.message}`));

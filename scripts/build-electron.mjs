// `npm run build:electron`: bundles the Electron shell so neither tsx nor TypeScript is needed at
// run time. Output (dist-electron/, one flat folder, which the engine's relative URLs rely on):
//   main.cjs          main/app/main.ts and the engine it uses (CommonJS; Electron's entry)
//   preload.cjs       preload/index.ts (CommonJS, only require('electron'): sandboxed preloads)
//   worker-entry.mjs  main/engine/jobs/worker-entry.mjs, copied (the job worker thread)
//   <task>.js         one ES module per main/engine/tasks/<task>.ts (loaded by the worker)
// Inside main.cjs every `import.meta.url` is main.cjs's own URL, so jobs/runner.ts finds
// ./worker-entry.mjs and tasks/index.ts finds ./<task>.js right beside it.
//
// `node scripts/build-electron.mjs --native` also builds the Electron-ABI better-sqlite3 into
// .electron-native/ (once per Electron version), leaving node_modules' Node build for the tests.
import { build } from 'esbuild';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = join(root, 'dist-electron');
export const nativeDir = join(root, '.electron-native');

/** Native or wasm packages: loaded from node_modules at run time, never bundled. */
export const EXTERNALS = [
  'electron',
  'better-sqlite3',
  'onnxruntime-node',
  'sharp',
  'h5wasm',
  'tsx',
  'bufferutil',
  'utf-8-validate',
];

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
export const electronVersion = () => readJson(join(root, 'node_modules', 'electron', 'package.json')).version;

/** Electron 41 ships Node 24 and Chromium 146; esbuild only needs a floor. */
const NODE_TARGET = 'node22';

/** esbuild options for each bundle (exported so tests can build them in memory). */
export function bundleOptions(out = outDir) {
  const common = {
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    external: EXTERNALS,
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
  };
  const tasksDir = join(root, 'main', 'engine', 'tasks');
  const taskEntries = readdirSync(tasksDir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.d.ts'))
    .map((f) => join(tasksDir, f));
  return {
    main: {
      ...common,
      entryPoints: [join(root, 'main', 'app', 'main.ts')],
      outfile: join(out, 'main.cjs'),
      format: 'cjs',
      // CommonJS has no import.meta: give the engine's `new URL('./x', import.meta.url)` main.cjs's URL.
      define: { 'import.meta.url': '__stsr_import_meta_url' },
      banner: { js: "const __stsr_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    },
    preload: {
      ...common,
      entryPoints: [join(root, 'preload', 'index.ts')],
      outfile: join(out, 'preload.cjs'),
      format: 'cjs',
      external: ['electron'],
      target: 'chrome130',
      sourcemap: false,
    },
    tasks: {
      ...common,
      entryPoints: taskEntries,
      outdir: out,
      outExtension: { '.js': '.js' },
      format: 'esm',
      // bundled CommonJS dependencies may call require(): give ES modules one.
      banner: {
        js: "import { createRequire as __stsrCreateRequire } from 'node:module'; const require = __stsrCreateRequire(import.meta.url);",
      },
    },
  };
}

export async function buildElectron(out = outDir) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const options = bundleOptions(out);
  await Promise.all([build(options.main), build(options.preload), build(options.tasks)]);
  copyFileSync(join(root, 'main', 'engine', 'jobs', 'worker-entry.mjs'), join(out, 'worker-entry.mjs'));
  // The task modules are ES modules in a .js file: say so here, whatever the package.json around it.
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  return out;
}

/** Where the Electron-ABI better-sqlite3 addon lives once built. */
export function electronSqliteBinding() {
  return join(nativeDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/**
 * Builds better-sqlite3 for Electron into .electron-native/ (a copy of the package, so the Node
 * build in node_modules that tests, CLI and browser mode use is never replaced). Uses
 * @electron/rebuild: a prebuilt binary if one exists for this Electron, else node-gyp against
 * Electron's headers. Skipped when a stamp says this exact combination is already built.
 */
export async function ensureElectronSqlite({ force = false, log = console.error } = {}) {
  const version = electronVersion();
  const sqliteSrc = join(root, 'node_modules', 'better-sqlite3');
  const sqliteVersion = readJson(join(sqliteSrc, 'package.json')).version;
  const stamp = {
    electron: version,
    betterSqlite3: sqliteVersion,
    platform: process.platform,
    arch: process.arch,
  };
  const stampFile = join(nativeDir, 'stamp.json');
  const binding = electronSqliteBinding();
  if (!force && existsSync(binding) && existsSync(stampFile)) {
    const old = readJson(stampFile);
    if (Object.entries(stamp).every(([k, v]) => old[k] === v)) return binding;
  }
  log(`Building better-sqlite3 ${sqliteVersion} for Electron ${version} into ${nativeDir} (once)...`);
  rmSync(nativeDir, { recursive: true, force: true });
  const target = join(nativeDir, 'node_modules', 'better-sqlite3');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    join(nativeDir, 'package.json'),
    JSON.stringify(
      { name: 'stsr-electron-native', private: true, dependencies: { 'better-sqlite3': sqliteVersion } },
      null,
      2,
    ),
  );
  cpSync(sqliteSrc, target, {
    recursive: true,
    filter: (src) =>
      !src.startsWith(join(sqliteSrc, 'build')) && !src.startsWith(join(sqliteSrc, 'prebuilds')),
  });
  // An npm `nodedir` setting (npm exports it to scripts) would make node-gyp compile against that
  // Node's headers instead of Electron's, silently producing the wrong ABI.
  delete process.env.npm_config_nodedir;
  delete process.env.NPM_CONFIG_NODEDIR;
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({
    buildPath: nativeDir,
    projectRootPath: nativeDir,
    electronVersion: version,
    onlyModules: ['better-sqlite3'],
    force: true,
  });
  if (!existsSync(binding)) throw new Error(`@electron/rebuild finished but ${binding} is missing.`);
  writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  return binding;
}

/** builder-util's Arch enum, by value. */
const BUILDER_ARCH = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/**
 * electron-builder `beforePack` hook (electron-builder.yml): makes sure the Electron-ABI
 * better-sqlite3 that extraResources ships exists, and refuses cross-platform packaging, which
 * would ship a binary for the wrong OS or CPU.
 */
export async function beforePack(context) {
  const platform = context.electronPlatformName;
  const arch = typeof context.arch === 'number' ? BUILDER_ARCH[context.arch] : String(context.arch);
  if (platform !== process.platform || arch !== process.arch) {
    throw new Error(
      `Packaging for ${platform}/${arch} on ${process.platform}/${process.arch} is not supported: ` +
        'better-sqlite3 must be built for Electron on the target platform. Run `npm run dist` there.',
    );
  }
  await ensureElectronSqlite();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    if (process.argv.includes('--native')) console.log(await ensureElectronSqlite());
    const dir = await buildElectron();
    console.error(`Electron bundles written to ${dir}`);
  } catch (err) {
    console.error(`build-electron failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

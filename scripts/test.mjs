// `npm test`: every gate, in order, each reported; the last line is "N passed, N failed".
// Gates (format, lint, typecheck, build) count as one check each; vitest and Playwright count
// their tests. All steps run even after a failure so one run shows everything that is wrong.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
const failures = [];

function step(title, cmd, args) {
  process.stderr.write(`\n=== ${title}: ${[cmd, ...args].join(' ')}\n`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  process.stderr.write(
    `=== ${title}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return r.status === 0;
}

function gate(title, cmd, args) {
  if (step(title, cmd, args)) passed++;
  else {
    failed++;
    failures.push(title);
  }
}

function countJson(file, title, ok) {
  if (!existsSync(file)) {
    failed++;
    failures.push(`${title} (no report)`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  let p = 0;
  let f = 0;
  if ('numPassedTests' in report) {
    p = report.numPassedTests;
    f = report.numFailedTests;
  } else if (report.stats) {
    p = report.stats.expected + (report.stats.flaky ?? 0);
    f = report.stats.unexpected;
  }
  passed += p;
  failed += f;
  if (f > 0 || !ok) failures.push(title);
  if (!ok && f === 0) failed++; // the runner failed without a failing test (e.g. a crash)
}

gate('format', bin('prettier'), ['--check', '.', '--log-level', 'warn']);
gate('lint', bin('eslint'), ['--max-warnings', '0', '.']);
gate('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);
gate('typecheck (web)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']);

const vitestJson = join(results, 'vitest.json');
rmSync(vitestJson, { force: true });
const unitOk = step('unit + integration tests', bin('vitest'), [
  'run',
  '--config',
  'vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
countJson(vitestJson, 'unit + integration tests', unitOk);

gate('renderer build', bin('vite'), ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn']);
const e2eJson = join(results, 'e2e.json');
rmSync(e2eJson, { force: true });
const e2eOk = step('e2e (Playwright, Debian Chromium)', bin('playwright'), [
  'test',
  '--config',
  'test/e2e/playwright.config.ts',
]);
countJson(e2eJson, 'e2e tests', e2eOk);

if (failures.length) process.stderr.write(`\nFailed: ${failures.join(', ')}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

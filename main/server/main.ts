/**
 * `npm run serve [-- --port N --project DIR]`: browser mode. Serves the built renderer and the API
 * on 127.0.0.1 and prints the URL (with its access token) as the last line of stdout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppService } from '../engine/service/app-service';
import { startBridgeServer } from './bridge-server';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    project: { type: 'string' },
    'create-project': { type: 'boolean', default: false },
    'static-dir': { type: 'string' },
  },
});

const staticDir = resolve(values['static-dir'] ?? join(here, '..', '..', 'renderer', 'dist'));
if (!existsSync(join(staticDir, 'index.html'))) {
  console.error(
    `The renderer is not built (${staticDir}/index.html missing): run \`npm run build:renderer\`.`,
  );
  process.exit(1);
}
const port = values.port ? Number(values.port) : 0;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a whole number from 0 to 65535, got "${values.port}".`);
  process.exit(2);
}

const service = new AppService({ transport: 'http' });
if (values.project) {
  try {
    // A missing or empty folder becomes a new project (as `npm run serve -- --project DIR` in the
    // README suggests); a folder with other files is opened and refused if it is not a project.
    const fresh = !existsSync(values.project) || readdirSync(values.project).length === 0;
    await service.openProjectDir(
      values.project,
      (values['create-project'] || fresh) && !existsSync(join(values.project, 'project.sqlite')),
    );
  } catch (err) {
    console.error(`Cannot open project ${values.project}: ${(err as Error).message}`);
    process.exit(1);
  }
}
const server = await startBridgeServer({ service, staticDir, port });
console.error('STSR Studio browser mode. Open this URL in a browser on this machine (Ctrl+C to stop):');
console.log(server.url);

const shutdown = async () => {
  // A stuck close must not keep the process (and its port) alive after Ctrl+C or SIGTERM.
  setTimeout(() => process.exit(1), 5000).unref();
  await server.close();
  await service.closeProject();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

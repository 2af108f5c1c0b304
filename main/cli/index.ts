/**
 * `stsr`: the engine headless (docs/cli.md). Every command takes --project DIR and --json (the last
 * stdout line is then one JSON object); progress goes to stderr; exit codes in output.ts.
 */
import { parseArgs } from 'node:util';
import { clusterCommand } from './commands/cluster';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { JOBS_HELP, jobsCommand } from './commands/jobs';
import { projectInfo } from './commands/project-info';
import { projectPluginsCommand } from './commands/project-plugins';
import { BENCH_HELP, benchCommand } from './commands/bench';
import { featuresCommand } from './commands/features';
import { METHODS_HELP, methodsCommand } from './commands/methods';
import { srCommand, srHelp } from './commands/sr';
import { applyComputeFlags } from './compute-flags';
import { errorJson, exitCodeFor, EXIT_CODE_HELP, makeOutput, UsageError, type Output } from './output';

const HELP = `stsr — STSR Studio on the command line

Usage: stsr <command> [options]

Commands:
  project info                 schema version and counts of samples, runs and jobs
  project plugins [FILE …]     SR method plugins the project loads on open (--clear: none)
  import PATH                  import a sample (Space Ranger outs/, legacy ST folder, .h5ad,
                               Visium HD binned folder, Xenium folder)
      --name N                 sample name (default: from the folder)
      --image FILE             H&E image to use instead of the one found
      --image-scale F          that image's px per full-res px (e.g. tissue_lowres_scalef; default 1)
      --um-per-px F            override µm per full-resolution pixel
      --max-image-pixels N     pixel budget for the image (default 1e9; 2e10 for tiled TIFF/SVS)
  cluster SAMPLE --k K         spot-level tissue domains (HVG → PCA 50 → k-means++, 10 restarts);
                               reports ARI/NMI against the sample's annotations
      --seed S                 random seed (default 0)
      --run ID                 cluster the superpixel latent of SR run ID instead (SR domains)
      --space tissue|latent    SR domains: latent smoothed along the image + histology (default),
                               or the run's raw latent (docs/domains.md)
      --method smoothed|lognorm|scanpy   spot embedding (default smoothed: best mean ARI on HER2ST A1/B1/C1)
  features SAMPLE              histology features for every 8 µm superpixel
      --extractor builtin|nuclei|slide-encoder|FILE.onnx   built-in (no weights), nuclei counts/shapes,
                               a CNN trained on this slide, or a foundation model such as UNI
${METHODS_HELP}${srHelp()}  export SAMPLE --out FILE     AnnData (.h5ad: scanpy/squidpy layout), CSV or GeoJSON (QuPath)
      --format F               h5ad|csv|geojson|spaceranger (default: the file's ending;
                               spaceranger writes a Visium outs folder at --out DIR for
                               Seurat's Load10X_Spatial and scanpy's read_visium)
      --genes A,B              CSV: expression columns of these genes (wide)
      --clustering ID          add that clustering's domains as a categorical column
      --run ID                 export SR run ID (h5ad or csv): superpixels (X = SR counts, obsm X_latent)
                               or a generated spot set (X = log1p CP10k, obs.generated)
  figure SAMPLE --out F.png|svg|pdf  publication figure: spots over the slide with colour bar or
                               legend, scale bar and title
      --gene G | --clustering ID   what colours the spots
      --run ID                 with --gene: that gene's SR map of superpixel run ID instead
      --side-by-side           with --gene and --run: observed spots | SR map, the same region,
                               each with its title and colour bar, one scale bar
      --width W --height H --title T

${JOBS_HELP}
${BENCH_HELP}
Options for every command:
  --project DIR                project folder (created by commands that write, if missing)
  --json                       print one JSON object as the last line of stdout; on failure
                               {"error":{"code","message","hint"?,"file"?,"exitCode"}}
  --threads N                  threads per ONNX session (default: all cores; STSR_THREADS)
  --provider auto|cpu|cuda|dml execution provider (default auto: GPU when present, else CPU;
                               STSR_PROVIDER)
  -h, --help                   this text

${EXIT_CODE_HELP}`;

async function main(cliArgs: string[]): Promise<number> {
  // --threads and --provider apply to every command (bench and sr included): taken out first.
  let argv: string[];
  try {
    argv = applyComputeFlags(cliArgs);
  } catch (err) {
    return reportError(err, makeOutput(cliArgs.includes('--json')), cliArgs.includes('--json'));
  }
  // jobs has its own subcommands and flags: it parses its own arguments.
  if (argv[0] === 'jobs') {
    const out = makeOutput(argv.includes('--json'));
    try {
      await jobsCommand(argv.slice(1), out);
      return 0;
    } catch (err) {
      return reportError(err, out, argv.includes('--json'));
    }
  }
  // bench, methods and sr have their own flags (sr's come from the method registry): they parse
  // their own.
  const own = { bench: benchCommand, methods: methodsCommand, sr: srCommand }[argv[0] ?? ''];
  if (own && !argv.includes('--help') && !argv.includes('-h')) {
    const out = makeOutput(argv.includes('--json'));
    try {
      await own(argv.slice(1), out, process.env.STSR_PROJECT ? { projectDir: process.env.STSR_PROJECT } : {});
      return 0;
    } catch (err) {
      return reportError(err, out, argv.includes('--json'));
    }
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      clear: { type: 'boolean', default: false },
      name: { type: 'string' },
      image: { type: 'string' },
      'image-scale': { type: 'string' },
      'um-per-px': { type: 'string' },
      'max-image-pixels': { type: 'string' },
      k: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      clustering: { type: 'string' },
      gene: { type: 'string' },
      genes: { type: 'string' },
      'side-by-side': { type: 'boolean', default: false },
      width: { type: 'string' },
      height: { type: 'string' },
      title: { type: 'string' },
      extractor: { type: 'string' },
      'feature-set': { type: 'string' },
      run: { type: 'string' },
      space: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const out = makeOutput(values.json);
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const projectDir = values.project ?? process.env.STSR_PROJECT ?? process.cwd();
  const [command, ...rest] = positionals;
  try {
    switch (command) {
      case 'project':
        if (rest[0] === 'plugins') {
          await projectPluginsCommand(projectDir, rest.slice(1), values.clear, out);
          return 0;
        }
        if (rest[0] !== 'info')
          throw new UsageError(`Unknown subcommand "project ${rest[0] ?? ''}". Try "stsr project info".`);
        await projectInfo(projectDir, out);
        return 0;
      case 'import':
        await importCommand(projectDir, rest[0], values, out);
        return 0;
      case 'cluster':
        await clusterCommand(projectDir, rest[0], values, out);
        return 0;
      case 'features':
        await featuresCommand(projectDir, rest[0], values, out);
        return 0;
      case 'export':
      case 'figure':
        await exportCommand(projectDir, rest[0], values, out, command === 'figure');
        return 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    return reportError(err, out, values.json);
  }
}

function reportError(err: unknown, out: Output, json: boolean): number {
  const e = err as Error & { hint?: string; code?: string };
  out.note(`error: ${e.message}${e.hint ? `\n  ${e.hint}` : ''}`);
  if (json) process.stdout.write(`${JSON.stringify({ error: errorJson(err) })}\n`);
  return exitCodeFor(err);
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  // parseArgs throws on unknown flags: that is a usage error, not a crash.
  const usage = new UsageError((err as Error).message);
  process.stderr.write(`error: ${usage.message}\nRun \`stsr --help\` for usage.\n`);
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ error: errorJson(usage) })}\n`);
  code = exitCodeFor(usage);
}
process.exitCode = code;

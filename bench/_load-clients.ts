/**
 * The load bench's clients (bench/reliability.ts `load`), in a process of their own: the server's
 * event-loop delay is then the server's alone, as in the app, where the requests come from
 * Chromium. Until 2026-12-07 the clients ran on the server's own thread and their fetch work
 * (undici, JSON parsing) counted as the server's delay.
 *
 * Input: one JSON argument (`LoadClientsConfig`). Output: one JSON line (`LoadClientsResult`).
 * For `seconds`: two heavy jobs at all times (a features extraction and a HISTEX training, each
 * started again when it ends) and 4 clients sending requests back to back, the kinds the viewer
 * sends: tiles, a gene's spot values, an SR gene's raw values, the run and job lists.
 */
export interface LoadClientsConfig {
  base: string;
  token: string;
  seconds: number;
  sampleId: number;
  runId: number;
  srGenes: number[];
  tiles: string[];
}

export interface LoadClientsResult {
  latency: Record<string, number[]>;
  failures: number;
  heavyStarted: number;
  heavyDone: number;
  heavyRunningMean: number;
  jobStarts: { atS: number; event: string }[];
}

const KINDS = ['tile', 'expression', 'tile', 'srValues', 'tile', 'srValues', 'runs', 'jobs'] as const;

async function main(cfg: LoadClientsConfig): Promise<LoadClientsResult> {
  const headers = { 'x-stsr-token': cfg.token, 'content-type': 'application/json' };
  const api = async (method: string, body: unknown) => {
    const r = await fetch(`${cfg.base}/api/${method}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return (await r.json()) as { ok: boolean; value?: unknown };
  };
  const { sampleId } = cfg;
  const latency = new Map<string, number[]>(KINDS.map((k) => [k, []]));
  let failures = 0;
  let heavyStarted = 0;
  let heavyDone = 0;
  const heavySeen: number[] = [];
  const jobStarts: { atS: number; event: string }[] = [];
  const counted = new Set<number>();
  // jobs done before the measurement are not counted
  for (const j of (await api('jobs.list', {})).value as { id: number }[]) counted.add(j.id);
  const t0 = performance.now();
  const at = () => Number(((performance.now() - t0) / 1000).toFixed(2));
  const end = Date.now() + cfg.seconds * 1000;
  const controller = async () => {
    while (Date.now() < end) {
      const jobs = (await api('jobs.list', {})).value as { id: number; kind: string; state: string }[];
      const live = jobs.filter((j) => j.state === 'running' || j.state === 'queued');
      for (const j of jobs)
        if (j.state === 'done' && !counted.has(j.id) && heavyStarted > 0 && j.kind !== 'sample.import') {
          counted.add(j.id);
          heavyDone++;
        }
      heavySeen.push(jobs.filter((j) => j.state === 'running').length);
      if (!live.some((j) => j.kind === 'features.extract')) {
        await api('features.run', { sampleId });
        heavyStarted++;
        jobStarts.push({ atS: at(), event: 'features started' });
      }
      if (!live.some((j) => j.kind === 'sr' || j.kind.startsWith('sr'))) {
        await api('runs.start', { sampleId, method: 'histex', epochs: 20, genes: 50, seed: 2 });
        heavyStarted++;
        jobStarts.push({ atS: at(), event: 'training started' });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const client = async (k: number) => {
    let i = k;
    while (Date.now() < end) {
      const kind = KINDS[i % KINDS.length]!;
      const gene = cfg.srGenes[i % cfg.srGenes.length]!;
      const t = performance.now();
      try {
        let ok: boolean;
        if (kind === 'tile') {
          const r = await fetch(`${cfg.base}/files/${cfg.tiles[(i * 7) % cfg.tiles.length]!}`, { headers });
          await r.arrayBuffer();
          ok = r.status === 200;
        } else if (kind === 'expression')
          ok = (await api('samples.expression', { sampleId, gene: i % 1000 })).ok;
        else if (kind === 'srValues') ok = (await api('layers.srValues', { runId: cfg.runId, gene })).ok;
        else if (kind === 'runs') ok = (await api('runs.list', { sampleId })).ok;
        else ok = (await api('jobs.list', {})).ok;
        if (!ok) failures++;
      } catch {
        failures++;
      }
      latency.get(kind)!.push(performance.now() - t);
      i += 1;
    }
  };
  await Promise.all([controller(), ...[0, 1, 2, 3].map((k) => client(k * 2))]);
  return {
    latency: Object.fromEntries(latency),
    failures,
    heavyStarted,
    heavyDone,
    heavyRunningMean: heavySeen.reduce((a, b) => a + b, 0) / Math.max(1, heavySeen.length),
    jobStarts,
  };
}

const result = await main(JSON.parse(process.argv[2]!) as LoadClientsConfig);
process.stdout.write(`${JSON.stringify(result)}\n`);

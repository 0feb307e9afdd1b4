/**
 * Runner host benchmark (by hand, never in CI): runs through the whole server path (GraphQL mutation → queue →
 * worker thread → per-epoch transaction → PubSub → graphql-ws client) and reports the wall time of each run, the
 * epoch-end → subscriber latency (RunProgress.at, stamped when the main thread receives the epoch, to the client's
 * receipt) and the server's event-loop delay while training.
 *
 *   npx tsx bench/runners.ts [--preset=QUICK] [--n=8] [--subjects=20] [--size=64] [--only=finetune|pretrain]
 *
 * The database is on-disk PGlite in a temporary directory (the embedded default), or DATABASE_URL when set
 * (PostgreSQL: events go through LISTEN/NOTIFY). NEPHRON_BACKEND / NEPHRON_WASM_THREADS as for the server.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openNephron } from '../src/app';
import { createNephronServer } from '../src/server/server';
import { connectWs } from '../test/helpers/ws';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const preset = args.get('preset') ?? 'QUICK';
const n = Number(args.get('n') ?? 8);
const subjects = Number(args.get('subjects') ?? 20);
const size = Number(args.get('size') ?? 64);
const only = args.get('only');

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { status phase epoch epochs metrics { name value } at } }`;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-bench-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_RUNNERS: '1',
    NEPHRON_DATA_DIR: dataDir,
  });
  const server = await createNephronServer(await openNephron(config, { log: createLogger(config.logLevel) }));
  const url = (await server.listen()).replace(/^http/, 'ws');
  const ws = await connectWs(url);
  try {
    const t0 = performance.now();
    const cohort = await server.services.cohorts.createSynthetic({ name: 'bench', subjects, seed: 1, size });
    console.log(`cohort: ${subjects} subjects at ${size}² in ${((performance.now() - t0) / 1000).toFixed(1)} s; database ${server.dataSource.target.engine}`);
    const base = { cohortId: cohort.id, contrast: 'DIXON' as never, preset: preset as never, seed: 0 };

    const timeRun = async (label: string, start: () => Promise<{ id: string }>) => {
      const latencies: number[] = [];
      const loop = monitorEventLoopDelay({ resolution: 10 });
      const began = performance.now();
      const run = await start();
      let epochAt = began;
      const status = await new Promise<string>((resolve) => {
        ws.client.subscribe(
          { query: PROGRESS, variables: { id: run.id } },
          {
            next: ({ data }: any) => {
              const e = data.runProgress;
              if (e.metrics.length) {
                if (e.epoch === 1) loop.enable(); // training is underway (constraint maps and model built)
                latencies.push(Date.now() - new Date(e.at).getTime());
                const m = e.metrics.map((x: any) => `${x.name}=${x.value.toPrecision(4)}`).join(' ');
                console.log(`  ${label} ${e.phase} ${e.epoch}/${e.epochs} +${((performance.now() - epochAt) / 1000).toFixed(1)} s  ${m}`);
                epochAt = performance.now();
              }
              if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status)) resolve(e.status);
            },
            error: (e) => resolve(`subscription error ${JSON.stringify(e)}`),
            complete: () => {},
          },
        );
      });
      loop.disable();
      const row = await server.services.runs.get(run.id);
      const wall = (performance.now() - began) / 1000;
      console.log(
        `${label}: ${status} in ${wall.toFixed(1)} s (${row?.epochs} epochs, ${row?.device})${row?.error ? ` error: ${row.error}` : ''}\n` +
          `  epoch-end → subscriber: median ${pct(latencies, 50)} ms, p95 ${pct(latencies, 95)} ms, max ${Math.max(...latencies)} ms (n = ${latencies.length})\n` +
          `  event loop while training: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
      return run;
    };

    if (only !== 'pretrain') {
      await timeRun(`${preset} fine-tuning N=${n}`, () => server.services.runs.startFineTuning({ ...base, initialization: 'RANDOM' as never, nLabeled: n }));
    }
    if (only !== 'finetune') {
      await timeRun(`${preset} pretraining`, () => server.services.runs.startPretraining(base));
    }
  } finally {
    await ws.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

/**
 * By hand, not in CI: `npx tsx bench/subscribers.ts` — BENCH_SUBSCRIBERS (500) graphql-ws connections, each subscribed
 * to `runEvents(sweepId)` of one SMOKE sweep while it trains in this server (one runner, events through PostgreSQL
 * LISTEN/NOTIFY as `nephron serve` sends them there). Latency: RunProgress.at (stamped when the runner's epoch
 * reaches the main thread, before its transaction) → receipt by each subscriber (a worker thread holds the clients, so
 * they do not share the server's event loop; same clock). Prints p50/p99 over every (event, subscriber) pair and
 * the time until the last subscriber has an event. Target (issue 8): p99 ≤ 100 ms.
 * Options (env): BENCH_SUBSCRIBERS (500), BENCH_RUNS (10, runs in the sweep), BENCH_EPOCHS (10 per run);
 * DATABASE_URL (an empty database), else a fresh one on TEST_DATABASE_URL's server.
 */
import 'reflect-metadata';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/server/logger';
import { topics } from '../src/server/pubsub';
import { PgPubSub } from '../src/server/pubsub-pg';
import { createNephronServer } from '../src/server/server';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { gql, machineLine } from './common';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const own = process.env.DATABASE_URL ? null : await freshPostgresDatabase();
  const dbUrl = process.env.DATABASE_URL ?? own!.url;
  console.log(
    `bench/subscribers: ${SUBSCRIBERS} subscribers of runEvents(sweepId), SMOKE sweep of ${RUNS} runs × ${EPOCHS} epochs, 1 runner, PostgreSQL; ` +
      machineLine(),
  );
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    PORT: '0',
    LOG_LEVEL: 'warn',
    NEPHRON_RUNNERS: '1',
    NEPHRON_WASM_THREADS: '1',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_MUTATION_RATE: 'off',
  });
  const pubsub = new PgPubSub(dbUrl);
  await pubsub.start();
  const server = await createNephronServer(config, { pubsub, log: createLogger(config.logLevel) });
  try {
    const url = await server.listen();
    const cohortId = (await gql(url, `mutation { createSyntheticCohort(input: { name: "subs", subjects: 5, seed: 3, size: 32, slices: 4 }) { id } }`)).createSyntheticCohort.id;
    // the sweep starts training before its subscribers are in: only events stamped after all of them count (`from`)
    const sweep = (
      await gql(url, `mutation($i: SweepInput!) { startSweep(input: $i) { id total } }`, {
        i: {
          name: 'subscribers',
          cohortId,
          contrasts: ['DIXON'],
          nLabeled: [1],
          initializations: ['RANDOM'],
          seeds: Array.from({ length: RUNS }, (_, i) => i),
          preset: 'SMOKE',
          finetuneOverrides: { finetune: { epochs: EPOCHS, maxBatchesPerEpoch: 1 } },
        },
      })
    ).startSweep;
    const baseline = pubsub.subscriberCount(topics.allRuns);
    const worker = new Worker(path.join(__dirname, 'subscriber-clients.ts'), {
      execArgv: ['--require', 'tsx/cjs'],
      workerData: { url: url.replace(/^http/, 'ws'), query: `subscription($s: ID) { runEvents(sweepId: $s) { runId status epoch at } }`, variables: { s: sweep.id }, clients: SUBSCRIBERS },
    });
    const messages: any[] = [];
    const waiters: (() => void)[] = [];
    worker.on('message', (m) => {
      messages.push(m);
      waiters.splice(0).forEach((w) => w());
    });
    worker.on('error', (e) => {
      console.error(e);
      process.exit(1);
    });
    const message = (type: string) =>
      new Promise<any>((resolve, reject) => {
        const check = () => {
          const m = messages.find((x) => x.type === type || x.type === 'error');
          if (!m) return void waiters.push(check);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve(m);
        };
        check();
      });
    const t0 = Date.now();
    await message('ready');
    await pubsub.waitForSubscribers(topics.allRuns, baseline + SUBSCRIBERS);
    const from = Date.now();
    console.log(`${SUBSCRIBERS} subscribers connected and subscribed in ${((from - t0) / 1000).toFixed(1)} s`);

    // until the sweep is done (the server's own view)
    for (;;) {
      const s = (await gql(url, `query($id: ID!) { sweep(id: $id) { done total } }`, { id: sweep.id })).sweep;
      if (s.done === s.total) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1000)); // the last events in flight
    worker.postMessage('stop');
    const { events, errors } = (await message('result')) as { events: { at: number; delays: number[] }[]; errors: number };
    await worker.terminate();

    const counted = events.filter((e) => e.at >= from);
    const all = counted.flatMap((e) => e.delays).sort((a, b) => a - b);
    const last = counted.map((e) => Math.max(...e.delays)).sort((a, b) => a - b);
    const incomplete = counted.filter((e) => e.delays.length !== SUBSCRIBERS).length;
    console.log(
      `${counted.length} events after all subscribed (${events.length - counted.length} before), ${all.length} deliveries, ${incomplete} events missing a subscriber, ${errors} errors`,
    );
    console.log(`at → subscriber: p50 ${pct(all, 50)} ms, p95 ${pct(all, 95)} ms, p99 ${pct(all, 99)} ms, max ${all.at(-1)} ms`);
    console.log(`at → last subscriber of each event: p50 ${pct(last, 50)} ms, p99 ${pct(last, 99)} ms, max ${last.at(-1)} ms`);
  } finally {
    await server.stop();
    await pubsub.close();
    await own?.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * By hand, not in CI: `npx tsx bench/subscribers.ts` — BENCH_SUBSCRIBERS (500) graphql-ws connections, each subscribed
 * to `runEvents(sweepId)` of one SMOKE sweep that trains in this server once all are in (one runner, started after
 * the subscriptions; events through PostgreSQL LISTEN/NOTIFY as `nephron serve` sends them there). Latency:
 * RunProgress.at (stamped when the runner's epoch reaches the main thread, before its transaction) → receipt by each
 * subscriber (a worker thread holds the clients, so they do not share the server's event loop; same clock). Prints
 * p50/p99 over every (event, subscriber) pair and the time until the last subscriber has an event. Then checks each
 * subscriber against the database (./subscribers-check.ts): events expected, received, missing, duplicated, out of
 * order; exits 1 if any subscriber missed an event or got one twice or out of order. Target (issue 8): p99 ≤ 100 ms.
 * Options (env): BENCH_SUBSCRIBERS (500), BENCH_RUNS (10, runs in the sweep), BENCH_EPOCHS (10 per run);
 * DATABASE_URL (an empty database), else a fresh one on TEST_DATABASE_URL's server.
 */
import 'reflect-metadata';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config';
import { startRunners } from '../src/runners';
import { createLogger } from '../src/logger';
import { topics } from '../src/runs/pubsub';
import { PgPubSub } from '../src/runs/pubsub-pg';
import { openNephron } from '../src/app';
import { createNephronServer } from '../src/server/server';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { gql, machineLine } from './common';
import { expectedEvents, missedByAll, tally, tallyLines, type Receipt } from './subscribers-check';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const own = process.env.DATABASE_URL ? null : await freshPostgresDatabase();
  const dbUrl = process.env.DATABASE_URL ?? own!.url;
  console.log(
    `bench/subscribers: ${SUBSCRIBERS} subscribers of runEvents(sweepId), SMOKE sweep of ${RUNS} runs × ${EPOCHS} epochs, 1 runner, PostgreSQL; ` +
      machineLine(),
  );
  // no runner yet: the sweep waits in the queue until every subscriber is in, so each of its events is expected
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    PORT: '0',
    LOG_LEVEL: 'warn',
    NEPHRON_RUNNERS: '0',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_MUTATION_RATE: 'off',
  });
  const log = createLogger(config.logLevel);
  const pubsub = new PgPubSub(dbUrl);
  await pubsub.start();
  const server = await createNephronServer(await openNephron(config, { pubsub, log }));
  let runners: Awaited<ReturnType<typeof startRunners>> = null;
  let failed = false;
  try {
    const url = await server.listen();
    const cohortId = (await gql(url, `mutation { createSyntheticCohort(input: { name: "subs", subjects: 5, seed: 3, size: 32, slices: 4 }) { id } }`))
      .createSyntheticCohort.id;
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
      workerData: {
        url: url.replace(/^http/, 'ws'),
        query: `subscription($s: ID) { runEvents(sweepId: $s) { runId status epoch at } }`,
        variables: { s: sweep.id },
        clients: SUBSCRIBERS,
      },
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
    /** the next message of this type (taken off the list: 'count' comes many times) */
    const message = (type: string) =>
      new Promise<any>((resolve, reject) => {
        const check = () => {
          const i = messages.findIndex((x) => x.type === type || x.type === 'error');
          if (i < 0) return void waiters.push(check);
          const [m] = messages.splice(i, 1);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve(m);
        };
        check();
      });
    const t0 = Date.now();
    await message('ready');
    await pubsub.waitForSubscribers(topics.allRuns, baseline + SUBSCRIBERS);
    console.log(`${SUBSCRIBERS} subscribers connected and subscribed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // the runner of `nephron serve`, in this process as there (threads: 1 leaves the other core to the main thread)
    runners = await startRunners({
      config: { ...config, runners: 1 },
      dataSource: server.dataSource,
      services: server.services,
      pubsub,
      log,
      overrides: { threads: 1 },
    });

    // until the sweep is done (the server's own view), then until no more events arrive for a second
    for (;;) {
      const s = (await gql(url, `query($id: ID!) { sweep(id: $id) { done total } }`, { id: sweep.id })).sweep;
      if (s.done === s.total) break;
      await sleep(500);
    }
    for (let last = -1; ;) {
      await sleep(1000);
      worker.postMessage('count');
      const { count } = await message('count');
      if (count === last) break;
      last = count;
    }
    worker.postMessage('stop');
    const { received, errors } = (await message('result')) as { received: Receipt[][]; errors: number };
    await worker.terminate();

    // latency: each subscriber's first receipt of each expected event
    const expected = await expectedEvents(server.dataSource, sweep.id);
    const delays = new Map<string, number[]>([...expected.keys].map((k) => [k, []]));
    for (const mine of received) {
      const firsts = new Map<string, number>();
      for (const [k, d] of mine) if (!firsts.has(k)) firsts.set(k, d);
      for (const [k, d] of firsts) delays.get(k)?.push(d);
    }
    const all = [...delays.values()].flat().sort((a, b) => a - b);
    const last = [...delays.values()]
      .filter((d) => d.length)
      .map((d) => Math.max(...d))
      .sort((a, b) => a - b);
    console.log(
      `${expected.keys.size} events recorded in the database (${RUNS} runs: claim, epochs, final status), ${all.length} deliveries, ${errors} errors`,
    );
    console.log(`at → subscriber: p50 ${pct(all, 50)} ms, p95 ${pct(all, 95)} ms, p99 ${pct(all, 99)} ms, max ${all.at(-1)} ms`);
    console.log(`at → last subscriber of each event: p50 ${pct(last, 50)} ms, p99 ${pct(last, 99)} ms, max ${last.at(-1)} ms`);

    // delivery: every subscriber against the database
    const tallies = received.map((mine) => tally(expected, mine));
    const sum = (k: keyof (typeof tallies)[number]) => tallies.reduce((a, t) => a + t[k], 0);
    console.log('per subscriber, against the database:');
    for (const line of tallyLines(tallies)) console.log(line);
    const none = missedByAll(expected, received);
    console.log(
      `in all: ${sum('missing')} missing, ${sum('duplicated')} duplicated, ${sum('outOfOrder')} out of order, ${sum('unexpected')} unexpected; ${none.length} events missed by every subscriber${none.length ? `: ${none.slice(0, 10).join(', ')}` : ''}`,
    );
    for (const p of expected.problems) console.error(`ground truth: ${p}`);
    failed = expected.problems.length > 0 || errors > 0 || sum('missing') + sum('duplicated') + sum('outOfOrder') + sum('unexpected') > 0;
    if (failed) console.error('FAILED: a subscriber did not get every event of the database exactly once and in order (see above)');
  } finally {
    await runners?.stop();
    await server.stop();
    await pubsub.close();
    await own?.drop();
  }
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * By hand, not in CI: `npx tsx bench/api.ts` (PostgreSQL from TEST_DATABASE_URL, a fresh database, dropped after).
 * Seeds 1,000 runs × 200 epochs × 4 metrics (800,000 metric points) and times the dashboard's runs-with-metrics query
 * with 20 concurrent HTTP clients. Target (issue 2): p95 ≤ 50 ms.
 * Options (env): BENCH_CLIENTS (20), BENCH_REQUESTS (2000 per query), BENCH_LOG_LEVEL (warn).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/server/logger';
import { createNephronServer } from '../src/server/server';
import { freshPostgresDatabase } from '../test/helpers/postgres';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RUNS = 1000;
const EPOCHS = 200;
const METRICS = ['train_loss', 'val_loss', 'lr', 'val_dice_right'];

const QUERIES: Record<string, string> = {
  'runs(first:100) + metrics { last min max }': `{ runs(first: 100) { totalCount pageInfo { endCursor hasNextPage }
    edges { node { id kind status contrast initialization nLabeled seed epoch epochs queuedAt
      cohort { name } sweep { name } metrics { name last min max } } } } }`,
  'runs(first:100) + val_loss points (maxPoints: 50)': `{ runs(first: 100) { totalCount
    edges { node { id status epoch epochs cohort { name } sweep { name }
      metrics(names: ["val_loss"], maxPoints: 50) { name last points { epoch value } } } } } }`,
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const db = await freshPostgresDatabase();
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', NEPHRON_RUNNERS: '0', NEPHRON_DEFAULT_COHORT: 'off', NEPHRON_ANSWER_CACHE_MS: process.env.NEPHRON_ANSWER_CACHE_MS ?? '1000' });
  const server = await createNephronServer(config, { log: createLogger(config.logLevel) });
  try {
    const ds = server.dataSource;
    let t = performance.now();
    const [cohort] = await ds.query(`INSERT INTO cohort (name, source, fingerprint, contrasts) VALUES ('bench', 'synthetic', 'f', '[{"kind":"DIXON","channels":[],"protocol":{}}]') RETURNING id`);
    await ds.query(`INSERT INTO sweep (name, "cohortId", spec) SELECT 'sweep-' || g, $1, '{}' FROM generate_series(1, 10) g`, [cohort.id]);
    await ds.query(
      `INSERT INTO run (kind, status, "cohortId", "cohortFingerprint", contrast, initialization, "nLabeled", seed, preset, config, "sweepId", epoch, epochs)
       SELECT 'FINETUNE', (ARRAY['QUEUED','RUNNING','SUCCEEDED','FAILED'])[1 + g % 4], $1, 'f', 'DIXON', 'RANDOM', 1 + g % 20, g, 'QUICK', '{"finetune":{"epochs":200}}',
              (SELECT id FROM sweep ORDER BY name OFFSET (g % 10) LIMIT 1), $2, $2
       FROM generate_series(1, $3) g`,
      [cohort.id, EPOCHS, RUNS],
    );
    await ds.query(
      `INSERT INTO metric_point ("runId", name, epoch, value, at)
       SELECT r.id, m, e, random(), now() FROM run r, unnest($1::text[]) m, generate_series(1, $2) e`,
      [METRICS, EPOCHS],
    );
    await ds.query(
      `INSERT INTO metric_summary ("runId", name, "lastEpoch", last, min, max, count)
       SELECT "runId", name, max(epoch), (array_agg(value ORDER BY epoch DESC))[1], min(value), max(value), count(*) FROM metric_point GROUP BY "runId", name`,
    );
    await ds.query('ANALYZE');
    const [{ n }] = await ds.query('SELECT count(*) AS n FROM metric_point');
    console.log(`seeded ${RUNS} runs, ${n} metric points in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const url = await server.listen();
    for (const [label, query] of Object.entries(QUERIES)) {
      // The load runs in a worker thread: its fetch and JSON parsing must not share the server's event loop.
      const times = await loadInWorker(url, query, CLIENTS, REQUESTS);
      const wall = times.pop()!;
      times.sort((a, b) => a - b);
      console.log(
        `${label}: ${times.length} requests, ${CLIENTS} clients, ${(times.length / wall).toFixed(0)} req/s; ` +
          `p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`,
      );
    }
  } finally {
    await server.stop();
    await db.drop();
  }
}

/** Runs `requests` POSTs of `query` from `clients` concurrent loops in a worker thread; the times in ms, then the wall time in s. */
function loadInWorker(url: string, query: string, clients: number, requests: number): Promise<number[]> {
  const code = `
    const { parentPort, workerData: { url, query, clients, requests } } = require('node:worker_threads');
    const { performance } = require('node:perf_hooks');
    const once = async () => {
      const start = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const body = await res.json();
      if (body.errors || !body.data || body.data.runs.edges.length !== 100) throw new Error('bad answer: ' + JSON.stringify(body).slice(0, 300));
      return performance.now() - start;
    };
    (async () => {
      for (let i = 0; i < 40; i++) await once(); // warm-up
      const times = [];
      let next = 0;
      const t = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => { while (next++ < requests) times.push(await once()); }));
      times.push((performance.now() - t) / 1000);
      parentPort.postMessage(times);
    })().catch((e) => { throw e; });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, query, clients, requests } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

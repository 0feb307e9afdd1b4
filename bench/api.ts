/**
 * By hand, not in CI: `npx tsx bench/api.ts` (PostgreSQL: DATABASE_URL of an empty database, else a fresh one on
 * TEST_DATABASE_URL's server, dropped after). Seeds 1,000 runs × 200 epochs × 5 metrics (1,000,000 metric points) and
 * times, with 20 concurrent loopback HTTP clients (no token: a local ADMIN), the dashboard's own documents from
 * client/src/api/queries.ts: the runs page (RUNS, first 50) and run detail (RUN_DETAIL, maxPoints 400, a different run
 * per request), each with the answer cache on and off; then the older runs-with-metrics queries of issue 2.
 * Prints p50/p95/p99, req/s and errors per query kind. Targets (issue 8): p95 ≤ 50 ms, 0 errors.
 * Options (env): BENCH_CLIENTS (20), BENCH_REQUESTS (2000 per query), BENCH_RUNS (1000), BENCH_EPOCHS (200),
 * BENCH_CACHE (on,off), BENCH_ONLY (a label substring, e.g. `run detail`), BENCH_LOG_LEVEL (warn).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { RUN_DETAIL, RUNS as RUNS_PAGE } from '../client/src/api/queries';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openNephron } from '../src/app';
import { createNephronServer } from '../src/server/server';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { machineLine } from './common';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 200);
const CACHE = (process.env.BENCH_CACHE ?? 'on,off').split(',');
const ONLY = process.env.BENCH_ONLY; // run only the query kinds whose label contains this
const METRICS = ['train_loss', 'val_loss', 'lr', 'val_dice_right', 'val_dice_left'];
const PAGE = 50; // client/src/views/runs-view.tsx
const MAX_POINTS = 400; // client/src/views/use-live-metrics.ts

interface Load {
  query: string;
  /** Variables per request: `ids` are the seeded runs' ids. */
  variables: 'page' | 'detail' | 'none';
  /** What a correct answer has (checked on every response; a miss counts as an error). */
  expect: 'page' | 'detail' | 'runs100';
}

const LOADS: Record<string, Load> = {
  'dashboard runs page (RUNS, first 50)': { query: RUNS_PAGE, variables: 'page', expect: 'page' },
  'dashboard run detail (RUN_DETAIL, maxPoints 400)': { query: RUN_DETAIL, variables: 'detail', expect: 'detail' },
  'runs(first:100) + metrics { last min max }': {
    variables: 'none',
    expect: 'runs100',
    query: `{ runs(first: 100) { totalCount pageInfo { endCursor hasNextPage }
    edges { node { id kind status contrast initialization nLabeled seed epoch epochs queuedAt
      cohort { name } sweep { name } metrics { name last min max } } } } }`,
  },
  'runs(first:100) + val_loss points (maxPoints: 50)': {
    variables: 'none',
    expect: 'runs100',
    query: `{ runs(first: 100) { totalCount
    edges { node { id status epoch epochs cohort { name } sweep { name }
      metrics(names: ["val_loss"], maxPoints: 50) { name last points { epoch value } } } } } }`,
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const own = process.env.DATABASE_URL ? null : await freshPostgresDatabase();
  const url = process.env.DATABASE_URL ?? own!.url;
  const env = (cacheMs: string) => ({
    DATABASE_URL: url,
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    NEPHRON_RUNNERS: '0',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_ANSWER_CACHE_MS: cacheMs,
  });
  console.log(
    `bench/api: ${RUNS} runs × ${EPOCHS} epochs × ${METRICS.length} metrics, ${CLIENTS} clients, ${REQUESTS} requests per query, cache ${CACHE.join('/')}; ` +
      machineLine(),
  );
  try {
    let ids: string[] = [];
    for (const cache of CACHE) {
      const config = loadConfig(env(cache === 'off' ? '0' : '1000'));
      const server = await createNephronServer(await openNephron(config, { log: createLogger(config.logLevel) }));
      try {
        if (!ids.length) ids = await seed(server.dataSource);
        const gqlUrl = await server.listen();
        for (const [label, load] of Object.entries(LOADS).filter(([l]) => !ONLY || l.includes(ONLY))) {
          // The load runs in a worker thread: its fetch and JSON parsing must not share the server's event loop.
          const r = await loadInWorker(gqlUrl, load, ids, CLIENTS, REQUESTS);
          r.times.sort((a, b) => a - b);
          console.log(
            `cache ${cache.padEnd(3)} | ${label}: ${r.times.length} ok, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}, ${(r.times.length / r.wall).toFixed(0)} req/s; ` +
              `p50 ${percentile(r.times, 50).toFixed(1)} ms, p95 ${percentile(r.times, 95).toFixed(1)} ms, p99 ${percentile(r.times, 99).toFixed(1)} ms`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await own?.drop();
  }
}

/** 1,000 runs (a quarter of each status) in 10 sweeps, their points and summaries; answers the run ids. */
async function seed(ds: import('typeorm').DataSource): Promise<string[]> {
  const t = performance.now();
  const [cohort] = await ds.query(
    `INSERT INTO cohort (name, source, fingerprint, contrasts) VALUES ('bench', 'synthetic', 'f', '[{"kind":"DIXON","channels":[],"protocol":{}}]') RETURNING id`,
  );
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
  // settled, as autovacuum leaves an insert-only table: the visibility map lets series come from the index alone
  await ds.query('VACUUM ANALYZE');
  const [{ n }] = await ds.query('SELECT count(*) AS n FROM metric_point');
  console.log(`seeded ${RUNS} runs, ${n} metric points in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return (await ds.query('SELECT id FROM run ORDER BY seq')).map((r: { id: string }) => r.id);
}

/**
 * `requests` POSTs from `clients` concurrent loops in a worker thread, after 40 warm-up ones. Every answer is checked
 * (HTTP 200, no errors, the expected shape); a failed one counts as an error, not a time.
 */
function loadInWorker(
  url: string,
  load: Load,
  ids: string[],
  clients: number,
  requests: number,
): Promise<{ times: number[]; errors: number; firstError: string | null; wall: number }> {
  const code = `
    const { parentPort, workerData: { url, load, ids, clients, requests, page, maxPoints } } = require('node:worker_threads');
    const { performance } = require('node:perf_hooks');
    let k = 0;
    const variables = () => {
      const i = k++;
      if (load.variables === 'page') return { filter: {}, first: page, after: null };
      if (load.variables === 'detail') return { id: ids[(i * 7919) % ids.length], maxPoints };
      return undefined;
    };
    const check = (body, vars) => {
      if (body.errors || !body.data) return false;
      if (load.expect === 'page') return body.data.runs.edges.length === page;
      if (load.expect === 'detail') return body.data.run?.id === vars.id && body.data.run.metrics.length === ${METRICS.length};
      return body.data.runs.edges.length === 100;
    };
    const times = [];
    let errors = 0, firstError = null;
    const once = async (record) => {
      const vars = variables();
      const start = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: load.query, variables: vars }) });
        const text = await res.text();
        const ok = res.status === 200 && check(JSON.parse(text), vars);
        if (!record) return;
        if (ok) times.push(performance.now() - start);
        else { errors++; firstError ??= res.status + ' ' + text.slice(0, 200); }
      } catch (e) {
        if (record) { errors++; firstError ??= String(e); }
      }
    };
    (async () => {
      for (let i = 0; i < 40; i++) await once(false); // warm-up
      let next = 0;
      const t = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => { while (next++ < requests) await once(true); }));
      parentPort.postMessage({ times, errors, firstError, wall: (performance.now() - t) / 1000 });
    })();`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, load, ids, clients, requests, page: PAGE, maxPoints: MAX_POINTS } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

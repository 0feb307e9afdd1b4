/**
 * By hand, not in CI: `npx tsx bench/ingest.ts` (PostgreSQL: DATABASE_URL, else a fresh database on TEST_DATABASE_URL's
 * server, dropped after). Metric ingestion through the runner path: `RunRecorder.epochEnd` exactly as a runner slot
 * calls it (one statement per epoch, grouped with the epochs of the other runs of the process ended meanwhile: see
 * src/runs/epoch-writer.ts; fenced on the lease, checkpoint keys advanced, RunProgress NOTIFYed), from
 * BENCH_RUNS concurrent runs, each BENCH_EPOCHS epochs of BENCH_METRICS metrics. Prints points/s and epoch latency,
 * then checks that every run has exactly one point per metric per epoch. Target (issue 8): ≥ 50,000 points/s.
 * Options (env): BENCH_RUNS (8), BENCH_EPOCHS (500), BENCH_METRICS (5; a comma list runs each), BENCH_POOL (10),
 * BENCH_PUBSUB (pg; `memory` publishes in-process instead of NOTIFY).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildDataSource } from '../src/db/data-source';
import { RunRecorder } from '../src/runs/recorder';
import { InProcessPubSub } from '../src/runs/pubsub';
import { PgPubSub } from '../src/runs/pubsub-pg';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { machineLine } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 500);
const METRIC_COUNTS = (process.env.BENCH_METRICS ?? '5').split(',').map(Number);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const LEASE_MS = 60_000;

const key = (s: string) => createHash('sha256').update(s).digest('hex');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const own = process.env.DATABASE_URL ? null : await freshPostgresDatabase();
  const url = process.env.DATABASE_URL ?? own!.url;
  const ds = buildDataSource({ DATABASE_URL: url }, { poolSize: POOL });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  console.log(
    `bench/ingest: ${RUNS} concurrent runs × ${EPOCHS} epochs × metrics ${METRIC_COUNTS.join(', ')}; pool ${POOL}; events ${process.env.BENCH_PUBSUB ?? 'pg'}; ` +
      machineLine(),
  );
  try {
    // events go out as `nephron serve` and `worker` send them on PostgreSQL: NOTIFY, two per epoch (run and all runs)
    // (BENCH_PUBSUB=memory: in-process, to see what the NOTIFYs cost)
    const pubsub = process.env.BENCH_PUBSUB === 'memory' ? new InProcessPubSub() : new PgPubSub(url);
    if (pubsub instanceof PgPubSub) await pubsub.start();
    const [cohort] = await ds.query(
      `INSERT INTO cohort (name, source, fingerprint, contrasts) VALUES ('ingest', 'synthetic', 'f', '[{"kind":"DIXON","channels":[],"protocol":{}}]') RETURNING id`,
    );
    for (const m of METRIC_COUNTS) {
      const names = Array.from({ length: m }, (_, i) => ['train_loss', 'val_loss', 'lr', 'val_dice_right', 'val_dice_left'][i] ?? `metric_${i}`);
      // RUNNING runs leased to one owner each, as RunQueue.claim leaves them
      const runs: { id: string; owner: string }[] = await ds.query(
        `INSERT INTO run (kind, status, "cohortId", "cohortFingerprint", contrast, initialization, "nLabeled", seed, preset, config, epoch, epochs,
                          "leaseOwner", "leaseExpiresAt", "startedAt", attempts)
         SELECT 'FINETUNE', 'RUNNING', $1, 'f', 'DIXON', 'RANDOM', 2, g, 'SMOKE', '{}', 0, $2, 'bench:' || $3 || ':' || g, now() + interval '1 hour', now(), 1
         FROM generate_series(1, $4) g RETURNING id, "leaseOwner" AS owner`,
        [cohort.id, EPOCHS, m, RUNS],
      );
      const latencies: number[] = [];
      const t0 = performance.now();
      await Promise.all(
        runs.map(async (run) => {
          const recorder = new RunRecorder(ds, pubsub, run.owner, LEASE_MS);
          for (let e = 1; e <= EPOCHS; e++) {
            const values = Object.fromEntries(names.map((n, i) => [n, Math.exp(-e / 50) + i + Math.random() * 1e-3]));
            const ck = key(`${run.id}/${e}`);
            const t = performance.now();
            await recorder.epochEnd(run.id, {
              phase: 'finetune',
              epoch: e,
              epochs: EPOCHS,
              metrics: values,
              checkpointKey: ck,
              bestCheckpointKey: e % 3 === 1 ? ck : null,
            });
            latencies.push(performance.now() - t);
          }
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      const points = RUNS * EPOCHS * m;
      console.log(
        `${m} metrics/epoch: ${points} points, ${RUNS * EPOCHS} epochs in ${wall.toFixed(2)} s → ${(points / wall).toFixed(0)} points/s, ` +
          `${((RUNS * EPOCHS) / wall).toFixed(0)} epochs/s; epochEnd p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`,
      );
      // the semantics the speed must not cost: one point per metric per epoch, summaries counting each once
      const [check] = await ds.query(
        `SELECT count(*)::int AS n, count(DISTINCT ("runId", name, epoch))::int AS distinct,
                (SELECT count(*)::int FROM metric_summary s WHERE s."runId" = ANY($1::uuid[]) AND s.count = $2 AND s."lastEpoch" = $2) AS full
         FROM metric_point WHERE "runId" = ANY($1::uuid[])`,
        [runs.map((r) => r.id), EPOCHS],
      );
      const ok = check.n === points && check.distinct === points && check.full === RUNS * m;
      console.log(`  check: ${check.n} points stored, ${check.distinct} distinct, ${check.full}/${RUNS * m} summaries complete → ${ok ? 'OK' : 'MISMATCH'}`);
      if (!ok) process.exitCode = 1;
    }
    await pubsub.close();
  } finally {
    await ds.destroy();
    await own?.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * By hand, not in CI: `npx tsx bench/workers.ts` — one `nephron serve` (NEPHRON_RUNNERS=0: the API only) and
 * `nephron worker` processes (one runner each) on one PostgreSQL. A SMOKE sweep of BENCH_RUNS (40) fine-tuning runs
 * (startSweep) is trained first by one worker, then another such sweep by two, each watched by a graphql-ws subscriber
 * on `serve` (runEvents(sweepId), over LISTEN/NOTIFY). Checks, and exits 1 if one fails: every run SUCCEEDED with
 * attempts = 1, each run started exactly once over all workers' logs, one point per metric per epoch (contiguous,
 * summaries counting each once), the subscriber saw every run's final status. Prints runs/min for 1 and 2 workers.
 * Options (env): BENCH_RUNS (40), BENCH_EPOCHS (SMOKE's 2 unless set), BENCH_WORKERS (1,2);
 * DATABASE_URL (an empty database), else a fresh one on TEST_DATABASE_URL's server.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startNephron, stopProcess, type NephronProcess } from '../test/helpers/processes';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { connectWs } from '../test/helpers/ws';
import { gql, machineLine } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const EPOCHS = process.env.BENCH_EPOCHS ? Number(process.env.BENCH_EPOCHS) : null;
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

async function main() {
  const own = process.env.DATABASE_URL ? null : await freshPostgresDatabase();
  const dbUrl = process.env.DATABASE_URL ?? own!.url;
  console.log(
    `bench/workers: SMOKE sweep of ${RUNS} runs${EPOCHS ? ` × ${EPOCHS} epochs` : ''} with ${WORKER_COUNTS.join(' then ')} worker process(es) + 1 serve, PostgreSQL; ` +
      machineLine(),
  );
  const env = { DATABASE_URL: dbUrl, NEPHRON_LEASE_SECONDS: '30', NEPHRON_WASM_THREADS: '1', NEPHRON_MUTATION_RATE: 'off', NEPHRON_DEFAULT_COHORT: 'off' };
  const serve = startNephron('serve', { ...env, HOST: '127.0.0.1', PORT: '0', NEPHRON_RUNNERS: '0' });
  const workers: NephronProcess[] = [];
  const db = new pg.Client({ connectionString: dbUrl });
  let failed = false;
  const check = (ok: boolean, what: string) => {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed = true;
  };
  try {
    const { url } = await serve.waitForLog((l) => l.msg === 'nephron listening');
    await db.connect();
    const cohortId = (await gql(url, `mutation { createSyntheticCohort(input: { name: "workers", subjects: 5, seed: 8, size: 32, slices: 4 }) { id } }`))
      .createSyntheticCohort.id;
    const ws = await connectWs(url.replace(/^http/, 'ws'));
    const rates: string[] = [];
    for (const [round, count] of WORKER_COUNTS.entries()) {
      while (workers.length < count) {
        const w = startNephron('worker', { ...env, NEPHRON_RUNNERS: '1' });
        workers.push(w);
        await w.waitForLog((l) => l.msg === 'nephron worker running');
      }
      const seeds = Array.from({ length: RUNS / 2 }, (_, i) => 1000 * round + i);
      const t0 = performance.now();
      const sweep = (
        await gql(url, `mutation($i: SweepInput!) { startSweep(input: $i) { id total runs { id } } }`, {
          i: {
            name: `workers-${count}`,
            cohortId,
            contrasts: ['DIXON'],
            nLabeled: [1, 2],
            initializations: ['RANDOM'],
            seeds,
            preset: 'SMOKE',
            ...(EPOCHS ? { finetuneOverrides: { finetune: { epochs: EPOCHS } } } : {}),
          },
        })
      ).startSweep;
      const ids: string[] = sweep.runs.map((r: { id: string }) => r.id);
      // subscribed right after the sweep exists: the first run's end is seconds away
      const sub = ws.subscribe(`subscription($s: ID) { runEvents(sweepId: $s) { runId status } }`, { s: sweep.id });
      const final = new Map<string, string>();
      while (final.size < ids.length) {
        const e = (await sub.waitForNext((x) => TERMINAL.includes(x.runEvents.status) && !final.has(x.runEvents.runId))).runEvents;
        final.set(e.runId, e.status);
      }
      const wall = (performance.now() - t0) / 1000;
      sub.unsubscribe();
      const perMin = (ids.length / wall) * 60;
      console.log(`${count} worker(s): ${ids.length} runs in ${wall.toFixed(1)} s → ${perMin.toFixed(1)} runs/min`);
      rates.push(`${count}: ${perMin.toFixed(1)} runs/min`);

      const runs: { id: string; status: string; attempts: number; epochs: number }[] = (
        await db.query(`SELECT id, status, attempts, epochs FROM run WHERE "sweepId" = $1`, [sweep.id])
      ).rows;
      check(runs.length === RUNS && runs.every((r) => r.status === 'SUCCEEDED' && r.attempts === 1), `${runs.length} runs, all SUCCEEDED with attempts = 1`);
      const starts = workers.flatMap((w, i) =>
        w.logs.filter((l) => l.msg === 'run started' && ids.includes(l.runId)).map((l) => ({ runId: l.runId as string, worker: i })),
      );
      check(
        starts.length === ids.length && new Set(starts.map((s) => s.runId)).size === ids.length,
        `each run started exactly once (${workers.map((_, i) => starts.filter((s) => s.worker === i).length).join(' + ')} per worker)`,
      );
      const series: { runId: string; name: string; n: number; lo: number; hi: number; count: number }[] = (
        await db.query(
          `SELECT p."runId", p.name, count(*)::int AS n, min(p.epoch) AS lo, max(p.epoch) AS hi, s.count
           FROM metric_point p JOIN run r ON r.id = p."runId" JOIN metric_summary s ON s."runId" = p."runId" AND s.name = p.name
           WHERE r."sweepId" = $1 GROUP BY p."runId", p.name, s.count`,
          [sweep.id],
        )
      ).rows;
      const perRun = new Set(series.map((s) => s.runId));
      check(
        perRun.size === RUNS && series.every((s) => s.n === s.hi - s.lo + 1 && s.count === s.n && s.hi === runs.find((r) => r.id === s.runId)!.epochs),
        `one point per metric per epoch: ${series.length} series over ${perRun.size} runs, contiguous up to the last epoch, summaries count each once`,
      );
      check(
        ids.every((id) => final.get(id) === 'SUCCEEDED'),
        `the subscriber on serve saw every run's final status (${final.size}/${ids.length})`,
      );
    }
    console.log(`throughput: ${rates.join(', ')}`);
    await ws.close();
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w)));
    await stopProcess(serve);
    await db.end().catch(() => {});
    await own?.drop();
  }
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

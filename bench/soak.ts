/**
 * By hand, not in CI: `npx tsx bench/soak.ts` — the 2-hour-equivalent of test/runners/memory.test.ts: `nephron serve`
 * (one runner, a child process) takes SMOKE fine-tuning runs back to back, each with its own WebSocket subscriber, a
 * long-lived runEvents subscriber, and the dashboard's run-detail and runs-page queries after every epoch. Prints the
 * server's RSS and live heap (after a full GC, test/helpers/gc-probe.cjs) over time and their medians per third.
 *
 * "2-hour-equivalent": a QUICK fine-tuning run has 15 epochs of ~8 s (BENCHMARKS.md "jobs"), so two runners
 * produce ~1,800 epochs and ~120 runs in two hours; the defaults below do more runs (SMOKE, 8 epochs) and as many
 * epochs and events, compressed into a few minutes.
 * Options (env): SOAK_RUNS (240), SOAK_EPOCHS (8 per run), SOAK_MINUTES (30, a cap), SOAK_DB (postgres | pglite;
 * postgres: DATABASE_URL, else a fresh database on TEST_DATABASE_URL's server).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopProcess } from '../test/helpers/processes';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { median, soak, startSoakServer, type SoakSample } from '../test/helpers/soak';

const RUNS = Number(process.env.SOAK_RUNS ?? 240);
const EPOCHS = Number(process.env.SOAK_EPOCHS ?? 8);
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const DB = process.env.SOAK_DB ?? 'postgres';

async function main() {
  console.log(
    `bench/soak: ${DB}, ${RUNS} SMOKE runs × ${EPOCHS} epochs (cap ${MINUTES} min), 1 runner; ${os.cpus().length} cores, ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${new Date().toISOString()}`,
  );
  let env: Record<string, string>;
  let cleanup = async () => {};
  if (DB === 'pglite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nephron-soak-'));
    env = { NEPHRON_DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else if (process.env.DATABASE_URL) {
    env = { DATABASE_URL: process.env.DATABASE_URL };
  } else {
    const db = await freshPostgresDatabase();
    env = { DATABASE_URL: db.url };
    cleanup = db.drop;
  }
  const server = startSoakServer(env);
  try {
    const { url } = await server.waitForLog((l) => l.msg === 'nephron listening');
    const m0 = await server.memory();
    console.log(`start: RSS ${m0.rssMb} MB, heap ${m0.heapUsedMb} MB (after GC)`);
    const every = Math.max(1, Math.floor(RUNS / 24));
    const r = await soak({
      url,
      memory: () => server.memory(),
      runs: RUNS,
      budgetMs: MINUTES * 60_000,
      epochs: EPOCHS,
      onSample: (s) => {
        if (s.run % every === 0 || s.run === 1)
          console.log(
            `run ${String(s.run).padStart(4)}  t ${s.t.toFixed(0).padStart(5)} s  RSS ${s.rssMb.toFixed(0).padStart(4)} MB  heap ${s.heapUsedMb.toFixed(1).padStart(6)} MB  buffers ${s.arrayBuffersMb.toFixed(1).padStart(5)} MB  threads collected ${s.workersCollected}  epochs ${s.epochs}  events ${s.events}  queries ${s.queries}`,
          );
      },
    });
    const n = r.samples.length;
    const third = Math.floor(n / 3);
    const thirds = (key: 'rssMb' | 'heapUsedMb' | 'arrayBuffersMb') =>
      [median(r.samples, key, 0, third), median(r.samples, key, third, 2 * third), median(r.samples, key, 2 * third, n)].map((x) => x.toFixed(1)).join(' / ');
    const max = (key: keyof SoakSample) => Math.max(...r.samples.map((s) => s[key])).toFixed(1);
    console.log(
      `${n} runs (${JSON.stringify(r.statuses)}), ${r.epochs} epochs, ${r.events} events, ${r.samples.at(-1)!.queries} queries in ${r.samples.at(-1)!.t.toFixed(0)} s`,
    );
    console.log(
      `median per third after GC: RSS ${thirds('rssMb')} MB (max ${max('rssMb')}), heap ${thirds('heapUsedMb')} MB (max ${max('heapUsedMb')}), buffers ${thirds('arrayBuffersMb')} MB; fewest threads collected with a sample: ${Math.min(...r.samples.map((s) => s.workersCollected))}`,
    );
  } finally {
    await stopProcess(server);
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

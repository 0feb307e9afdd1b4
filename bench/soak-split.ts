/**
 * By hand, not in CI: `npx tsx bench/soak-split.ts` — bench/soak.ts with the runner in its own process: `nephron serve`
 * with NEPHRON_RUNNERS=0 (API, events, answer cache) and one `nephron worker` (the training) on a fresh PostgreSQL
 * database, so each process's memory after a full GC of all its threads is seen apart. Prints, after every run:
 * serve RSS / heap / Buffers MB | worker RSS / heap / Buffers MB / threads collected.
 * Options (env): SOAK_RUNS (80), SOAK_MINUTES (3, a cap).
 */
import { startNephron, stopProcess } from '../test/helpers/processes';
import { freshPostgresDatabase } from '../test/helpers/postgres';
import { soak } from '../test/helpers/soak';

const RUNS = Number(process.env.SOAK_RUNS ?? 80);
const MINUTES = Number(process.env.SOAK_MINUTES ?? 3);

async function main() {
  const db = await freshPostgresDatabase();
  const env = { DATABASE_URL: db.url, NEPHRON_LEASE_SECONDS: '30', NEPHRON_ANSWER_CACHE_MS: '1000', NEPHRON_MUTATION_RATE: 'off' };
  const server = startNephron('serve', { ...env, NEPHRON_RUNNERS: '0' }, { gcProbe: true });
  const worker = startNephron('worker', env, { gcProbe: true });
  try {
    const { url } = await server.waitForLog((l) => l.msg === 'nephron listening');
    let run = 0;
    await soak({
      url,
      runs: RUNS,
      budgetMs: MINUTES * 60_000,
      epochs: 8,
      memory: async () => {
        const [w, s] = [await worker.memory(), await server.memory()];
        console.log(
          `run ${String(++run).padStart(4)}  serve ${s.rssMb} / ${s.heapUsedMb} / ${s.arrayBuffersMb} MB | worker ${w.rssMb} / ${w.heapUsedMb} / ${w.arrayBuffersMb} MB, ${w.workersCollected} threads collected`,
        );
        return s;
      },
    });
  } finally {
    await stopProcess(server);
    await stopProcess(worker);
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

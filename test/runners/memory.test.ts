/**
 * The memory bound: `nephron serve` with one runner (a child process, so its memory is the server's alone) takes SMOKE
 * fine-tuning runs back to back for ~30 s per engine — ~200 epochs with their events, a WebSocket connection and
 * subscription opened and closed per run, the dashboard's queries after every epoch (answer-cache churn). After every
 * run the server reports its memory after a full GC (test/helpers/gc-probe.cjs). The first third of the runs is
 * warm-up (tfjs and wasm in the worker thread, PGlite's buffer cache, V8 heap sizing); the median of the last third
 * may exceed that of the second (for RSS: the higher of the first two) by at most:
 *   - live JS heap: HEAP_GROWTH_MB = 5. Measured +0.3 to +1 MB (65 → 66 MB); a leak per event, subscription, cache
 *     entry or run (the things this loop repeats hundreds of times) grows it steadily.
 *   - RSS: GROWTH_MB = 40. RSS moves by ±30 MB between samples with the allocator and wasm memory even after GC
 *     (measured: −39 to +20 MB between thirds in 30–40 s, yet flat over 300–400 runs in bench/soak.ts: ~380 MB on
 *     PostgreSQL, ~670 MB on PGlite, whose database lives in the process). 40 MB catches native leaks of a few MB per
 *     run (a tensor or a checkpoint buffer kept per run) without flaking on that noise. The 2-hour version is
 *     bench/soak.ts (BENCHMARKS.md "hardening").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopProcess, type NephronProcess } from '../helpers/processes';
import { DB_KINDS, engineAvailable, freshPostgresDatabase } from '../helpers/db';
import { median, soak, startSoakServer } from '../helpers/soak';

const GROWTH_MB = 40;
const HEAP_GROWTH_MB = 5;
const BUDGET_MS = 30_000;

describe.each(DB_KINDS)('server memory under a compressed sweep on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let server: NephronProcess | undefined;
    let cleanup = async () => {};
    afterAll(async () => {
      if (server) await stopProcess(server);
      await cleanup();
    });

    it(`RSS grows < ${GROWTH_MB} MB and the live heap < ${HEAP_GROWTH_MB} MB from the earlier thirds of the runs to the last`, async () => {
      let env: Record<string, string>;
      if (kind === 'postgres') {
        const db = await freshPostgresDatabase();
        env = { DATABASE_URL: db.url };
        cleanup = db.drop;
      } else {
        // PGlite on disk, as `npm start` runs it (blobs as files, the database in this process)
        const dir = mkdtempSync(path.join(os.tmpdir(), 'nephron-memory-'));
        env = { NEPHRON_DATA_DIR: dir };
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      }
      server = startSoakServer(env);
      const { url } = await server.waitForLog((l) => l.msg === 'nephron listening');
      const proc = server;
      const result = await soak({ url, memory: () => proc.memory(), runs: 1000, budgetMs: BUDGET_MS, epochs: 8 });
      const { samples } = result;
      const n = samples.length;
      const third = Math.floor(n / 3);
      const thirds = (key: 'rssMb' | 'heapUsedMb') => [median(samples, key, 0, third), median(samples, key, third, 2 * third), median(samples, key, 2 * third, n)];
      const [rss, heap] = [thirds('rssMb'), thirds('heapUsedMb')];
      console.log(
        `[memory ${kind}] ${n} runs, ${result.epochs} epochs, ${result.events} events, ${samples.at(-1)!.queries} queries in ${samples.at(-1)!.t.toFixed(0)} s; ` +
          `median per third after GC: RSS ${rss.map((x) => x.toFixed(0)).join(' / ')} MB, heap ${heap.map((x) => x.toFixed(1)).join(' / ')} MB`,
      );
      expect(result.statuses).toEqual({ SUCCEEDED: n });
      expect(n).toBeGreaterThanOrEqual(12); // enough runs for thirds to mean something
      // above the higher of the earlier levels: a leak makes the last third the highest, a low middle third is noise
      expect(rss[2] - Math.max(rss[0], rss[1])).toBeLessThan(GROWTH_MB);
      expect(heap[2] - heap[1]).toBeLessThan(HEAP_GROWTH_MB);
    }, 120_000);
  });
});

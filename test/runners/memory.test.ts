/**
 * The memory bound: `nephron serve` with one runner (a child process, so its memory is the server's alone) takes SMOKE
 * fine-tuning runs back to back for ~30 s per engine — ~200 epochs with their events, a WebSocket connection and
 * subscription opened and closed per run, the dashboard's queries after every epoch (answer-cache churn). After every
 * run the server reports its memory after a full GC of every thread (test/helpers/gc-probe.cjs: without the runner
 * thread's GC, RSS rose 2–4.5 MB per run and fell by 30–60 MB whenever that thread collected, which failed a CI run).
 * The first third of the runs is warm-up (tfjs and wasm in the worker thread, V8 heap sizing). The bounds:
 *   - RSS never above RSS_BOUND_MB after warm-up: measured 340–460 MB on PostgreSQL, 660–760 MB on PGlite (the
 *     database, its buffer pool and its wasm memory live in the process).
 *   - RSS of the last third at most GROWTH_MB above the higher of the first two (medians): flat within ±3 MB with
 *     every thread collected (339 / 338 / 340 MB, 660 / 660 / 662 MB); a native leak of a few MB per run climbs past it.
 *   - live JS heap of the main thread: HEAP_GROWTH_MB over the second third (measured +0.3 to +1 MB); a leak per event,
 *     subscription, cache entry or run (the things this loop repeats hundreds of times) grows it steadily.
 *   - Buffers and ArrayBuffers (checkpoints, blobs, worker messages): BUFFER_GROWTH_MB over the second third (flat at
 *     8 MB on PostgreSQL, 16 MB on PGlite, ±2 MB in flight).
 * The 2-hour version is bench/soak.ts (BENCHMARKS.md "hardening").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopProcess, type NephronProcess } from '../helpers/processes';
import { DB_KINDS, engineAvailable, freshPostgresDatabase } from '../helpers/db';
import { median, soak, startSoakServer } from '../helpers/soak';

const RSS_BOUND_MB = { postgres: 600, pglite: 1000 } as const;
const GROWTH_MB = 20;
const HEAP_GROWTH_MB = 5;
const BUFFER_GROWTH_MB = 5;
const BUDGET_MS = 30_000;

describe.each(DB_KINDS)('server memory under a compressed sweep on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let server: NephronProcess | undefined;
    let cleanup = async () => {};
    afterAll(async () => {
      if (server) await stopProcess(server);
      await cleanup();
    });

    it(`RSS stays under ${RSS_BOUND_MB[kind]} MB; the live heap and buffers do not grow from the earlier thirds of the runs to the last`, async () => {
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
      const thirds = (key: 'rssMb' | 'heapUsedMb' | 'arrayBuffersMb') => [
        median(samples, key, 0, third),
        median(samples, key, third, 2 * third),
        median(samples, key, 2 * third, n),
      ];
      const [rss, heap, buffers] = [thirds('rssMb'), thirds('heapUsedMb'), thirds('arrayBuffersMb')];
      const peakRss = Math.max(...samples.slice(third).map((s) => s.rssMb));
      console.log(
        `[memory ${kind}] ${n} runs, ${result.epochs} epochs, ${result.events} events, ${samples.at(-1)!.queries} queries in ${samples.at(-1)!.t.toFixed(0)} s; ` +
          `median per third after GC: RSS ${rss.map((x) => x.toFixed(0)).join(' / ')} MB (peak after warm-up ${peakRss.toFixed(0)}), ` +
          `heap ${heap.map((x) => x.toFixed(1)).join(' / ')} MB, buffers ${buffers.map((x) => x.toFixed(1)).join(' / ')} MB`,
      );
      expect(result.statuses).toEqual({ SUCCEEDED: n });
      expect(n).toBeGreaterThanOrEqual(12); // enough runs for thirds to mean something
      // the runner thread's garbage was collected before every sample (else RSS saws by ~60 MB)
      expect(Math.min(...samples.map((s) => s.workersCollected))).toBeGreaterThanOrEqual(1);
      expect(peakRss).toBeLessThan(RSS_BOUND_MB[kind]);
      // above the higher of the earlier levels: a leak makes the last third the highest, a low middle third is noise
      expect(rss[2] - Math.max(rss[0], rss[1])).toBeLessThan(GROWTH_MB);
      expect(heap[2] - heap[1]).toBeLessThan(HEAP_GROWTH_MB);
      expect(buffers[2] - buffers[1]).toBeLessThan(BUFFER_GROWTH_MB);
    }, 120_000);
  });
});

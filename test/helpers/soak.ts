/**
 * A compressed lab day against a running `nephron serve` (runners in it), for the memory bound
 * (test/runners/memory.test.ts, bench/soak.ts): SMOKE fine-tuning runs back to back, each with its own WebSocket
 * connection subscribed to its progress (opened before, closed after: connection and subscription churn), one
 * long-lived runEvents subscriber, and after every epoch event the dashboard's run-detail and runs-page queries with
 * new variables (answer-cache entries made and emptied by each event). After every run the server's memory is
 * sampled after a full GC (RSS and the live heap).
 */
import { performance } from 'node:perf_hooks';
import { RUN_DETAIL, RUNS } from '../../client/src/api/queries';
import { startNephron, type MemorySample, type NephronProcess } from './processes';
import { connectWs } from './ws';
import { isFinishedStatus } from '../../src/api/run-status';

/**
 * `nephron serve` as the soak runs it (the memory test and bench/soak.ts): one runner, the production lease and answer
 * cache, no mutation rate limit (the loop starts hundreds of runs), and the GC probe for `memory()`. `env`: the database.
 */
export function startSoakServer(env: Record<string, string>): NephronProcess {
  return startNephron('serve', { ...env, NEPHRON_LEASE_SECONDS: '30', NEPHRON_ANSWER_CACHE_MS: '1000', NEPHRON_MUTATION_RATE: 'off' }, { gcProbe: true });
}

export interface SoakOptions {
  url: string;
  /** The server process's memory after a full GC (./processes.ts `memory()`). */
  memory: () => Promise<MemorySample>;
  /** Stop after this many runs, or this much time, whichever first. */
  runs: number;
  budgetMs: number;
  /** Epochs per SMOKE fine-tuning run. */
  epochs: number;
  onSample?: (s: SoakSample) => void;
}

export interface SoakSample {
  run: number;
  /** Seconds since the soak began. */
  t: number;
  rssMb: number;
  /** Live JavaScript heap of the main thread after a full GC. */
  heapUsedMb: number;
  /** Node Buffers and ArrayBuffers of the process (checkpoints, blobs, messages), outside the heap. */
  arrayBuffersMb: number;
  /** Worker threads collected with the main thread before the sample. */
  workersCollected: number;
  epochs: number;
  events: number;
  queries: number;
}

async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (res.status !== 200 || body.errors) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

/** Runs the soak; answers the samples and the statuses the runs ended with. */
export async function soak(o: SoakOptions): Promise<{ samples: SoakSample[]; statuses: Record<string, number>; epochs: number; events: number }> {
  const wsUrl = o.url.replace(/^http/, 'ws');
  const cohortId = (await post(o.url, `mutation { createSyntheticCohort(input: { name: "soak", subjects: 5, seed: 11, size: 32, slices: 4 }) { id } }`))
    .createSyntheticCohort.id;
  const watcher = await connectWs(wsUrl);
  // the long-lived subscriber, kept without storing its events (the client side must not grow either)
  type Event = { runId: string; status: string; epoch: number };
  let listener: ((e: Event) => void) | null = null;
  let events = 0;
  let failure: Error | null = null;
  const stopAll = watcher.client.subscribe<{ runEvents: Event }>(
    { query: `subscription { runEvents { runId status epoch } }` },
    {
      next: (x) => {
        events++;
        if (x.data) listener?.(x.data.runEvents);
      },
      error: (e) => (failure = new Error(`runEvents ended: ${JSON.stringify(e)}`)),
      complete: () => {},
    },
  );
  // a round trip on the same connection: the subscription above is registered before the first run starts
  await post(o.url, `{ runs(first: 1) { totalCount } }`);
  const samples: SoakSample[] = [];
  const statuses: Record<string, number> = {};
  let epochs = 0;
  let queries = 0;
  const start = performance.now();
  try {
    for (let i = 0; i < o.runs && performance.now() - start < o.budgetMs; i++) {
      const run = (
        await post(o.url, `mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, {
          i: {
            cohortId,
            contrast: 'DIXON',
            preset: 'SMOKE',
            seed: i,
            initialization: 'RANDOM',
            nLabeled: 1,
            overrides: { finetune: { epochs: o.epochs, maxBatchesPerEpoch: 1 } },
          },
        })
      ).startFineTuning;
      const client = await connectWs(wsUrl);
      const progress = client.subscribe(`subscription($id: ID!) { runProgress(runId: $id) { status epoch metrics { name value } } }`, { id: run.id });
      const pending: Promise<unknown>[] = [];
      const status = await new Promise<string>((resolve) => {
        listener = (e) => {
          if (e.runId !== run.id) return;
          if (e.status === 'RUNNING' && e.epoch > 0) {
            epochs++;
            // what an open dashboard asks after an event (each event empties the answer cache)
            pending.push(post(o.url, RUN_DETAIL, { id: run.id, maxPoints: 400 }), post(o.url, RUNS, { filter: {}, first: 50, after: null }));
            queries += 2;
          }
          if (isFinishedStatus(e.status)) resolve(e.status);
        };
      });
      listener = null;
      if (failure) throw failure;
      statuses[status] = (statuses[status] ?? 0) + 1;
      await Promise.all(pending);
      progress.unsubscribe();
      await client.close();
      const m = await o.memory();
      const s: SoakSample = {
        run: i + 1,
        t: (performance.now() - start) / 1000,
        rssMb: m.rssMb,
        heapUsedMb: m.heapUsedMb,
        arrayBuffersMb: m.arrayBuffersMb,
        workersCollected: m.workersCollected,
        epochs,
        events,
        queries,
      };
      samples.push(s);
      o.onSample?.(s);
    }
  } finally {
    stopAll();
    await watcher.close();
  }
  return { samples, statuses, epochs, events };
}

/** Median of one measure over the samples in [from, to) of the list. */
export function median(samples: SoakSample[], key: 'rssMb' | 'heapUsedMb' | 'arrayBuffersMb', from: number, to: number): number {
  const xs = samples
    .slice(from, to)
    .map((s) => s[key])
    .sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/**
 * The client side of bench/subscribers.ts, in a worker thread so that 500 WebSocket clients do not share the server's
 * event loop: opens `clients` graphql-ws connections, each subscribed to `query`, posts 'ready' once every connection
 * is acknowledged, stamps each event on receipt (Date.now(), the clock RunProgress.at is stamped with), and on 'stop'
 * posts for each event its receipt delays, one per subscriber that got it.
 */
import { createClient, type Client } from 'graphql-ws';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, query, variables, clients } = workerData as { url: string; query: string; variables: Record<string, unknown>; clients: number };

/** key `${runId}/${status}/${epoch}` → at (ms) and the delays seen by each subscriber */
const seen = new Map<string, { at: number; delays: number[] }>();
let errors = 0;

async function main() {
  const all: Client[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
      all.push(client);
      await new Promise<void>((resolve, reject) => {
        const off = client.on('connected', () => {
          off();
          resolve();
        });
        client.on('closed', (e) => reject(new Error(`closed ${(e as { code?: number }).code}`)));
      });
      client.subscribe<{ runEvents: { runId: string; status: string; epoch: number; at: string } }>(
        { query, variables },
        {
          next: (x) => {
            const now = Date.now();
            const e = x.data?.runEvents;
            if (!e) return void errors++;
            const k = `${e.runId}/${e.status}/${e.epoch}`;
            const at = Date.parse(e.at);
            let s = seen.get(k);
            if (!s) seen.set(k, (s = { at, delays: [] }));
            s.delays.push(now - at);
          },
          error: () => void errors++,
          complete: () => {},
        },
      );
    }),
  );
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', async (m) => {
    if (m !== 'stop') return;
    await Promise.all(all.map((c) => c.dispose()));
    parentPort!.postMessage({ type: 'result', errors, events: [...seen.values()] });
  });
}

main().catch((e) => parentPort!.postMessage({ type: 'error', message: String(e) }));

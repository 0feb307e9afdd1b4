/**
 * The client side of bench/subscribers.ts, in a worker thread so that 500 WebSocket clients do not share the server's
 * event loop: opens `clients` graphql-ws connections, each subscribed to `query`, posts 'ready' once every connection
 * is acknowledged, stamps each event on receipt (Date.now(), the clock RunProgress.at is stamped with), answers
 * 'count' with the receipts so far, and on 'stop' posts each subscriber's receipts in the order they came.
 */
import { createClient, type Client } from 'graphql-ws';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import type { Receipt } from './subscribers-check';

const { url, query, variables, clients } = workerData as { url: string; query: string; variables: Record<string, unknown>; clients: number };

/** per subscriber, every event it got (duplicates too): key `${runId}/${status}/${epoch}` and receipt delay */
const received: Receipt[][] = Array.from({ length: clients }, () => []);
let count = 0;
let errors = 0;

async function main() {
  const all: Client[] = [];
  await Promise.all(
    received.map(async (mine) => {
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
            mine.push([`${e.runId}/${e.status}/${e.epoch}`, now - Date.parse(e.at)]);
            count++;
          },
          error: () => void errors++,
          complete: () => {},
        },
      );
    }),
  );
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', async (m) => {
    if (m === 'count') return parentPort!.postMessage({ type: 'count', count });
    if (m !== 'stop') return;
    await Promise.all(all.map((c) => c.dispose()));
    parentPort!.postMessage({ type: 'result', errors, received });
  });
}

main().catch((e) => parentPort!.postMessage({ type: 'error', message: String(e) }));

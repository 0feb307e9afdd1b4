/** graphql-ws client for tests: events are awaited (waitForNext / waitForError / waitForComplete), never slept for. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket, { type ClientOptions } from 'ws';

export interface TestSubscription<T = any> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the first event (from now or already received, not yet taken) matching `pred`. */
  waitForNext(pred?: (event: T) => boolean): Promise<T>;
  waitForError(): Promise<unknown>;
  waitForComplete(): Promise<void>;
  /** Resolves when the subscription ends either way: completed, or an error (e.g. the server going away). */
  waitForEnd(): Promise<void>;
  unsubscribe(): void;
}

export interface TestWsClient {
  client: Client;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): TestSubscription<T>;
  close(): Promise<void>;
}

/**
 * Connects (and waits for the connection_ack); rejects with the close event when the server refuses. `socket`: options
 * of the ws socket, e.g. `{ origin }` or `{ headers: { host } }` to connect as a browser page would.
 */
export function connectWs(url: string, token?: string, socket?: ClientOptions): Promise<TestWsClient> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const client = createClient({
      url,
      webSocketImpl: socket
        ? class extends WebSocket {
            constructor(address: string, protocols?: string | string[]) {
              super(address, protocols, socket);
            }
          }
        : WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      on: {
        connected: () => {
          connected = true;
          resolve(wrap(client));
        },
        closed: (event) => {
          if (!connected) reject(Object.assign(new Error(`websocket closed: ${(event as { code?: number }).code}`), { event }));
        },
      },
      onNonLazyError: (e) => {
        if (!connected) reject(Object.assign(new Error(`websocket closed: ${(e as { code?: number }).code}`), { event: e }));
      },
    });
  });
}

function wrap(client: Client): TestWsClient {
  return {
    client,
    subscribe<T>(query: string, variables?: Record<string, unknown>): TestSubscription<T> {
      const events: T[] = [];
      const errors: unknown[] = [];
      const taken = new Set<number>();
      const waiters = new Set<() => void>();
      const notify = () => waiters.forEach((w) => w());
      const sub: TestSubscription<T> = {
        events,
        errors,
        completed: false,
        waitForNext(pred = () => true) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const i = events.findIndex((e, idx) => !taken.has(idx) && pred(e));
              if (i >= 0) {
                taken.add(i);
                waiters.delete(check);
                resolve(events[i]);
              } else if (sub.completed || errors.length) {
                waiters.delete(check);
                reject(new Error(`subscription ended without the event: ${JSON.stringify(errors)}`));
              }
            };
            waiters.add(check);
            check();
          });
        },
        waitForError() {
          return new Promise((resolve) => {
            const check = () => {
              if (errors.length) {
                waiters.delete(check);
                resolve(errors[0]);
              }
            };
            waiters.add(check);
            check();
          });
        },
        waitForComplete() {
          return new Promise((resolve) => {
            const check = () => {
              if (sub.completed) {
                waiters.delete(check);
                resolve();
              }
            };
            waiters.add(check);
            check();
          });
        },
        waitForEnd() {
          return new Promise((resolve) => {
            const check = () => {
              if (sub.completed || errors.length) {
                waiters.delete(check);
                resolve();
              }
            };
            waiters.add(check);
            check();
          });
        },
        unsubscribe: () => dispose(),
      };
      const dispose = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            if ((value as { errors?: unknown[] }).errors?.length) errors.push(...(value as { errors: unknown[] }).errors);
            else events.push((value as { data: T }).data);
            notify();
          },
          error: (e) => {
            errors.push(e);
            notify();
          },
          complete: () => {
            sub.completed = true;
            notify();
          },
        },
      );
      return sub;
    },
    close: () => client.dispose() as Promise<void>,
  };
}

/**
 * The server's answer to a WebSocket upgrade with these options: 101 once the handshake completed, or the refusal's
 * status and body (the handshake never completed).
 */
export function upgradeAnswer(url: string, socket: ClientOptions = {}): Promise<{ status: number; body: string; contentType?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', socket);
    ws.once('upgrade', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }));
      res.on('error', reject);
    });
    ws.once('error', (e) => reject(e));
  });
}

/**
 * PubSub across processes through PostgreSQL LISTEN/NOTIFY, so a client subscribed on machine A sees a run that
 * trains on machine B. One channel (`nephron_events`) carries every topic as `{"t": topic, "p": payload}`; each
 * process holds one dedicated connection that LISTENs, and fans notifications out to its local subscribers (an
 * InProcessPubSub). A process hears its own NOTIFYs too, so publish only notifies.
 *
 * NOTIFY payloads must stay under 8000 bytes: a RunProgress that would not fit is sent without its metrics
 * (subscribers can query them), anything else too big is dropped with a warning. NOTIFYs go out in publish order.
 * While the connection is down (it reconnects with backoff, then LISTENs again) this process's own events wait in a
 * bounded outbox and go out once it is back, so a subscriber here still sees a run's final status after a PostgreSQL
 * restart (one whose NOTIFY was cut off mid-way may arrive twice); events other processes published meanwhile are
 * missed. Events waiting while a NOTIFY is in flight go together in the next statement (one commit for many:
 * bench/ingest.ts). publish never throws: the database is the truth, an event is a hint to look.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseTarget } from '../db/data-source';
import { isTransientDbError } from '../db/transient';
import { InProcessPubSub, type PubSub } from './pubsub';

export const PG_CHANNEL = 'nephron_events';
/** PostgreSQL's limit is 8000 bytes (default block size); leave room. */
export const MAX_PAYLOAD_BYTES = 7900;
/** Events kept while the connection is down; past this the oldest go (a long outage: the database is the truth). */
export const MAX_OUTBOX = 1000;
/** Events per NOTIFY statement at most (each under MAX_PAYLOAD_BYTES). */
const MAX_BATCH = 100;

export class PgPubSub implements PubSub {
  private readonly local = new InProcessPubSub();
  private client: pg.Client | null = null;
  private closed = false;
  private connecting: Promise<void> | null = null;
  private retryMs = 250;
  private retryTimer: NodeJS.Timeout | null = null;
  /** NOTIFY texts not sent yet, in publish order, and the send in progress. */
  private readonly outbox: string[] = [];
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly log?: Pick<Logger, 'warn' | 'info'>,
  ) {}

  /** Connects and LISTENs; resolves once notifications will be received (call before subscribing). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('PgPubSub is closed'));
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'nephron-events' });
    client.on('notification', (msg) => this.deliver(msg.payload));
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${PG_CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = 250;
    void this.flush(); // what was published while we were away
  }

  private lost(client: pg.Client, e: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.end().catch(() => {});
    this.log?.warn({ err: e.message }, 'event connection to PostgreSQL lost: reconnecting (events meanwhile are missed)');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start().catch((e: Error) => {
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
        this.log?.warn({ err: e.message, retryMs: this.retryMs }, 'event connection to PostgreSQL failed');
        this.scheduleReconnect();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private deliver(text: string | undefined): void {
    if (!text) return;
    let msg: { t?: unknown; p?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return; // someone else's NOTIFY on our channel
    }
    if (typeof msg.t === 'string') void this.local.publish(msg.t, msg.p);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    const text = encode(topic, payload);
    if (text === null) {
      this.log?.warn({ topic }, `event dropped: its JSON exceeds ${MAX_PAYLOAD_BYTES} bytes (NOTIFY limit)`);
      return;
    }
    if (this.closed) return;
    this.outbox.push(text);
    if (this.outbox.length > MAX_OUTBOX) {
      this.outbox.shift();
      this.log?.warn({ topic, kept: MAX_OUTBOX }, 'event dropped: too many events waiting for the connection to PostgreSQL');
    }
    await this.flush();
  }

  /**
   * Sends the outbox in publish order, everything waiting in one statement (pg does not want concurrent queries on
   * one client, and each NOTIFY statement is a commit: the events published while one is in flight share the next).
   * PostgreSQL delivers a transaction's notifications in the order sent (identical ones within it only once).
   */
  private flush(): Promise<void> {
    this.sending = this.sending.then(() => this.drain());
    return this.sending;
  }

  private async drain(): Promise<void> {
    let most = MAX_BATCH;
    while (this.outbox.length) {
      const client = this.client;
      if (!client) return; // kept: connect() flushes once LISTENing again
      const texts = this.outbox.slice(0, most);
      try {
        // ORDER BY: volatile calls are evaluated after the sort, so in publish order
        await client.query('SELECT pg_notify($1, t) FROM unnest($2::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i', [PG_CHANNEL, texts]);
        this.outbox.splice(0, texts.length);
      } catch (e) {
        if (isTransientDbError(e) || this.client !== client) return; // the connection went: kept for the next one
        if (texts.length > 1) {
          most = 1; // one of them is at fault: one at a time until it is found, so only it is dropped
          continue;
        }
        this.outbox.shift();
        this.log?.warn({ err: (e as Error).message, bytes: texts[0].length }, 'event dropped: NOTIFY failed');
      }
    }
  }

  subscribe<T = unknown>(topic: string): AsyncIterableIterator<T> {
    return this.local.subscribe<T>(topic);
  }

  subscriberCount(topic: string): number {
    return this.local.subscriberCount(topic);
  }

  waitForSubscribers(topic: string, n = 1): Promise<void> {
    return this.local.waitForSubscribers(topic, n);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.outbox.length = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    await this.local.close();
  }
}

/** The NOTIFY text of an event, metrics dropped when needed to fit; null when it cannot fit. */
export function encode(topic: string, payload: unknown): string | null {
  let text = JSON.stringify({ t: topic, p: payload });
  if (Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES) return text;
  if (payload && typeof payload === 'object' && Array.isArray((payload as { metrics?: unknown }).metrics)) {
    text = JSON.stringify({ t: topic, p: { ...payload, metrics: [] } });
    if (Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES) return text;
  }
  return null;
}

/** The PubSub of a process: LISTEN/NOTIFY on PostgreSQL (events cross machines), in-process on PGlite. */
export async function createPubSub(target: DatabaseTarget, log?: Pick<Logger, 'warn' | 'info'>): Promise<PubSub> {
  if (target.engine !== 'postgres') return new InProcessPubSub();
  const pubsub = new PgPubSub(target.url, log);
  await pubsub.start();
  return pubsub;
}

/**
 * LISTEN/NOTIFY PubSub: events cross connections (processes), oversized events shrink or drop, events published
 * while the connection is down go out after it is back, close ends iterators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encode, MAX_PAYLOAD_BYTES, PG_CHANNEL, PgPubSub } from '../../src/runs/pubsub-pg';
import { engineAvailable, freshPostgresDatabase } from '../helpers/db';

describe.skipIf(!engineAvailable('postgres'))('PgPubSub', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PgPubSub;
  let b: PgPubSub;
  beforeAll(async () => {
    db = await freshPostgresDatabase();
    a = new PgPubSub(db.url);
    b = new PgPubSub(db.url);
    await Promise.all([a.start(), b.start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  it('delivers what one instance publishes to the subscribers of another, in order, per topic', async () => {
    const onA = a.subscribe<{ n: number; at: string }>('run:1');
    const other = a.subscribe('run:2');
    for (let n = 1; n <= 5; n++) await b.publish('run:1', { n, at: new Date(0) });
    const got = [];
    for (let i = 0; i < 5; i++) got.push((await onA.next()).value);
    expect(got.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    expect(got[0].at).toBe('1970-01-01T00:00:00.000Z'); // JSON: dates come back as ISO strings
    await b.publish('run:2', { n: 6 });
    expect((await other.next()).value).toEqual({ n: 6 });
    await onA.return!();
    await other.return!();
    expect(a.subscriberCount('run:1')).toBe(0);
  });

  it('events published at once (sent together while a NOTIFY is in flight) all arrive, in publish order', async () => {
    const sub = a.subscribe<{ n: number }>('burst');
    await Promise.all(Array.from({ length: 300 }, (_, n) => b.publish('burst', { n })));
    const got: number[] = [];
    for (let i = 0; i < 300; i++) got.push((await sub.next()).value.n);
    expect(got).toEqual(Array.from({ length: 300 }, (_, n) => n));
    await sub.return!();
  });

  it('sends a RunProgress too big for NOTIFY without its metrics, and drops what cannot fit', async () => {
    const metrics = Array.from({ length: 400 }, (_, i) => ({ name: `metric_${i}`, value: i / 3 }));
    const event = { runId: 'r', status: 'RUNNING', epoch: 3, metrics };
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(JSON.parse(encode('t', event)!).p).toEqual({ ...event, metrics: [] });
    expect(encode('t', { blob: 'x'.repeat(9000) })).toBeNull();

    const sub = a.subscribe<typeof event>('big');
    await b.publish('big', { blob: 'x'.repeat(9000) }); // dropped, not thrown
    await b.publish('big', event);
    expect((await sub.next()).value).toMatchObject({ runId: 'r', epoch: 3, metrics: [] });
    await sub.return!();
  });

  it('events published while its connection is down go out, in order, once it LISTENs again', async () => {
    // a plain listener on the channel, so only the publisher's connection is cut
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    await listener.query(`LISTEN ${PG_CHANNEL}`);
    const got: unknown[] = [];
    const three = new Promise<void>((resolve) =>
      listener.on('notification', (m) => {
        const e = JSON.parse(m.payload!);
        if (e.t === 'outage') got.push(e.p.n);
        if (got.length === 3) resolve();
      }),
    );
    const c = new PgPubSub(db.url);
    await c.start();
    const {
      rows: [{ n }],
    } = await listener.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nephron-events'`,
    );
    expect(n).toBe(3); // a, b and c: all reconnect by themselves
    for (let i = 1; i <= 3; i++) await c.publish('outage', { n: i });
    await three;
    expect(got).toEqual([1, 2, 3]);
    await c.close();
    await listener.end();
  });

  it('close ends open subscriptions and later publishes are ignored', async () => {
    const c = new PgPubSub(db.url);
    await c.start();
    const sub = c.subscribe('x');
    const pending = sub.next();
    await c.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    await expect(c.publish('x', 1)).resolves.toBeUndefined();
  });
});

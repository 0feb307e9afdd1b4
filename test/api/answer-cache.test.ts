/**
 * The answer cache in front of Apollo: identical queries of one caller share one execution and its answer until a
 * mutation or an event of this process changes something; callers never share answers; mutations are never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../src/runs/pubsub';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

describe('answer cache (PGlite)', () => {
  let t: TestServer;
  let cohortId: string;
  const RUNS = `{ runs(first: 10) { totalCount edges { node { id status } } } }`;
  beforeAll(async () => {
    // a TTL far longer than the test: only invalidation may refresh an answer here
    t = await startTestServer('pglite', { NEPHRON_ANSWER_CACHE_MS: '60000' });
    cohortId = (await seedCohort(t.server.services, 'cache', 4)).id;
  });
  afterAll(() => t?.stop());

  const statements = async (fn: () => Promise<unknown>) => {
    const counter = t.server.dataSource.queryCounter;
    const before = counter.count;
    await fn();
    return counter.count - before;
  };
  const start = () =>
    t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 1 } });

  it('answers a repeated query without touching the database, and identically', async () => {
    const first = await t.ok(RUNS);
    let again: unknown;
    expect(await statements(async () => (again = await t.ok(RUNS)))).toBe(0);
    expect(again).toEqual(first);
  });

  it('serves identical concurrent queries from one execution', async () => {
    t.server.pubsub.publish(topics.allRuns, { runId: 'x' }); // empties the cache
    const one = await statements(() => t.ok(`{ runs(first: 3) { totalCount } }`));
    t.server.pubsub.publish(topics.allRuns, { runId: 'y' });
    const ten = await statements(() => Promise.all(Array.from({ length: 10 }, () => t.ok(`{ runs(first: 3) { totalCount } }`))));
    expect(one).toBeGreaterThan(0);
    expect(ten).toBe(one);
  });

  it('a mutation and an event both make the next answer fresh; a write without either waits for the TTL', async () => {
    const before = (await t.ok(RUNS)).runs.totalCount;
    await start();
    expect((await t.ok(RUNS)).runs.totalCount).toBe(before + 1);
    // a write this process did not announce: the cached answer stands (at most NEPHRON_ANSWER_CACHE_MS)
    await t.server.dataSource.query(`UPDATE run SET status = 'CANCELLED' WHERE status = 'QUEUED'`);
    const stale = (await t.ok(RUNS)).runs.edges.map((e: any) => e.node.status);
    expect(stale).toContain('QUEUED');
    await t.server.pubsub.publish(topics.allRuns, { runId: 'z' });
    const fresh = (await t.ok(RUNS)).runs.edges.map((e: any) => e.node.status);
    expect(fresh).not.toContain('QUEUED');
    // an event that reaches this process from elsewhere (on PostgreSQL: NOTIFY from another process) also counts
    await t.server.dataSource.query(`UPDATE run SET status = 'FAILED' WHERE status = 'CANCELLED'`);
    expect((await t.ok(RUNS)).runs.edges.map((e: any) => e.node.status)).toContain('CANCELLED');
    await t.pubsub.publish(topics.allRuns, { runId: 'remote' }); // the PubSub under the server's, as a LISTEN delivers
    await new Promise<void>((resolve) => setImmediate(resolve)); // the invalidating loop takes the event
    expect((await t.ok(RUNS)).runs.edges.map((e: any) => e.node.status)).not.toContain('CANCELLED');
  });

  it('answers each caller in the media type it accepts, even for a query answered the other way a moment before', async () => {
    const query = { query: `{ runs(first: 2) { totalCount } }` };
    const post = (accept: string) => t.http().post('/graphql').set('content-type', 'application/json').set('accept', accept).send(query);
    // graphql-over-HTTP: application/graphql-response+json first, then application/json within the TTL
    const modern = await post('application/graphql-response+json');
    expect(modern.status).toBe(200);
    expect(modern.headers['content-type']).toMatch(/^application\/graphql-response\+json/);
    const legacy = await post('application/json');
    expect(legacy.status).toBe(200);
    expect(legacy.headers['content-type']).toMatch(/^application\/json/);
    expect(legacy.text).toBe(modern.text);
    // each is still served from the cache: a repeat costs no statement
    expect(await statements(() => post('application/json'))).toBe(0);
  });

  it('never caches mutations, and keeps callers apart', async () => {
    const a = await start();
    const b = await start();
    expect(a.startPretraining.id).not.toBe(b.startPretraining.id);
    const admin = (await t.ok(`mutation { createApiToken(role: ADMIN) { token } }`)).createApiToken.token;
    const viewer = (await t.ok(`mutation { createApiToken(role: VIEWER) { token } }`, {}, admin)).createApiToken.token;
    expect((await t.ok(`{ viewer { role } }`, {}, admin)).viewer.role).toBe('ADMIN');
    expect((await t.ok(`{ viewer { role } }`, {}, viewer)).viewer.role).toBe('VIEWER');
    expect((await t.gql(`{ viewer { role } }`)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

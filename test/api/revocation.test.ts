/**
 * Revoking a token closes its open graphql-ws connections (close code 4401, src/server/ws-sessions.ts): at once on
 * the process that revoked it, through the `tokens` event on every other process of the same PostgreSQL, and at the
 * latest at the next periodic re-check when no event came (a revocation written straight into the database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/schema/enums';
import { topics } from '../../src/runs/pubsub';
import { REVOKED_CLOSE_CODE } from '../../src/server/ws-sessions';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import type { TestWsClient } from '../helpers/ws';

const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`;
const EVENTS = `subscription { runEvents { runId } }`;
/** Long enough that only the event (not the periodic re-check) can explain a prompt close. */
const SLOW_RECHECK = { tokenRecheckMs: 600_000 };

/** Subscribes to runEvents and resolves once the server has registered the subscriber. */
async function openSubscription(t: TestServer, ws: TestWsClient) {
  const before = t.pubsub.subscriberCount(topics.allRuns);
  const sub = ws.subscribe(EVENTS);
  await t.pubsub.waitForSubscribers(topics.allRuns, before + 1);
  return sub;
}

const closeCode = (error: unknown) => (error as { code?: number }).code;

describe.each(DB_KINDS)('token revocation on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let admin: string;
    beforeAll(async () => {
      t = await startTestServer(kind, {}, { server: SLOW_RECHECK });
    });
    afterAll(() => t?.stop());

    it('closes the open subscriptions of a token from the moment it is created (zero-setup callers included)', async () => {
      // opened without a token while none exists: ADMIN by zero-setup, until the first token is created
      const local = await t.ws();
      const localSub = await openSubscription(t, local);
      admin = (await t.ok(`mutation { createApiToken(role: ADMIN, name: "admin") { token } }`)).createApiToken.token;
      expect(closeCode(await localSub.waitForError())).toBe(REVOKED_CLOSE_CODE);
      await expect(t.ws()).rejects.toThrow(/4403/);
    });

    it("closes a revoked token's subscriptions with 4401 and leaves other tokens' open", async () => {
      const viewer = await t.server.services.tokens.create(Role.VIEWER, 'viewer');
      const other = await t.server.services.tokens.create(Role.VIEWER, 'other');
      const mine = await t.ws(viewer.token);
      const sub = await openSubscription(t, mine);
      const theirs = await t.ws(other.token);
      const theirSub = await openSubscription(t, theirs);

      await t.ok(REVOKE, { id: viewer.apiToken.id }, admin);
      const error = await sub.waitForError();
      expect(closeCode(error)).toBe(REVOKED_CLOSE_CODE);
      expect((error as { reason?: string }).reason).toMatch(/revoked/);
      await expect(t.ws(viewer.token)).rejects.toThrow(/4403/);
      expect((await t.gql(`{ runs { totalCount } }`, {}, viewer.token)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');

      // the other token's subscription still delivers
      await t.pubsub.publish(topics.allRuns, {
        runId: '00000000-0000-4000-8000-000000000000',
        status: 'RUNNING',
        phase: 'queue',
        epoch: 0,
        epochs: 1,
        metrics: [],
        at: new Date(),
      });
      expect((await theirSub.waitForNext()).runEvents.runId).toBe('00000000-0000-4000-8000-000000000000');
      expect(theirSub.errors).toEqual([]);
    });
  });
});

describe('token revocation without an event (PGlite)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('pglite', {}, { server: { tokenRecheckMs: 100 } });
  });
  afterAll(() => t?.stop());

  it('closes the connection at the next periodic re-check', async () => {
    const viewer = await t.server.services.tokens.create(Role.VIEWER, 'viewer');
    const ws = await t.ws(viewer.token);
    const sub = await openSubscription(t, ws);
    // revoked behind the server's back (another tool, a lost event): no `tokens` event is published
    expect((await t.gql(`{ runs { totalCount } }`, {}, viewer.token)).errors).toBeUndefined();
    await t.server.dataSource.query(`UPDATE api_token SET "revokedAt" = now() WHERE id = $1`, [viewer.apiToken.id]);
    // HTTP asks the database on every request (no token cache): refused at once, with no event
    expect((await t.gql(`{ runs { totalCount } }`, {}, viewer.token)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(closeCode(await sub.waitForError())).toBe(REVOKED_CLOSE_CODE);
  });
});

describe.skipIf(!engineAvailable('postgres'))('token revocation across processes (PostgreSQL)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer('postgres', {}, { server: SLOW_RECHECK });
    // b caches answers for a minute: a revocation must empty that cache too
    b = await startTestServer('postgres', { NEPHRON_ANSWER_CACHE_MS: '60000' }, { databaseUrl: a.server.config.databaseUrl, server: SLOW_RECHECK });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('closes the subscriptions on another server of the same database promptly, through LISTEN/NOTIFY', async () => {
    const admin = await a.server.services.tokens.create(Role.ADMIN, 'admin');
    const viewer = await a.server.services.tokens.create(Role.VIEWER, 'viewer');
    const ws = await b.ws(viewer.token);
    const sub = await openSubscription(b, ws);
    expect((await b.ok(`{ runs { totalCount } }`, {}, viewer.token)).runs.totalCount).toBe(0); // now in b's answer cache
    await a.ok(REVOKE, { id: viewer.apiToken.id }, admin.token);
    expect(closeCode(await sub.waitForError())).toBe(REVOKED_CLOSE_CODE);
    // the close and the cache flush come from the same event, so by now the cached answer is gone
    expect((await b.gql(`{ runs { totalCount } }`, {}, viewer.token)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses on HTTP at once a token revoked in the database by another process, with no event', async () => {
    const viewer = await a.server.services.tokens.create(Role.VIEWER, 'viewer-direct');
    expect((await b.gql(`{ cohorts { id } }`, {}, viewer.token)).errors).toBeUndefined();
    // as a tool without a PubSub would (`nephron token create` builds its TokenService without one)
    await a.server.dataSource.query(`UPDATE api_token SET "revokedAt" = now() WHERE id = $1`, [viewer.apiToken.id]);
    // another query: b's answer cache may still hold the first one's answer (README: up to NEPHRON_ANSWER_CACHE_MS)
    expect((await b.gql(`{ sweeps { id } }`, {}, viewer.token)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

/**
 * The authorization matrix: every mutation and every subscription of the built schema, against an anonymous caller
 * (tokens exist), VIEWER, OPERATOR and ADMIN tokens, over HTTP and over WebSocket (graphql-ws; mutations too).
 * The field lists come from the schema, so a new mutation or subscription that is missing from the table fails here.
 *
 * ALLOWED means the answer carries no auth error: the dummy ids make most of them NOT_FOUND or BAD_USER_INPUT, which
 * is the point (nothing is created by the matrix except an ADMIN's API tokens). Anonymous WebSocket callers never get
 * as far as an operation: the connection is refused with 4403. Subscriptions over HTTP are refused whatever the role
 * (they need graphql-ws), but an anonymous caller is still told UNAUTHENTICATED first. PGlite only: auth does not
 * depend on the engine.
 *
 * The origin dimension: each case is run without an Origin (the CLI, Node clients), from the server's own origin (the
 * dashboard) and from a foreign one (a web page elsewhere). A foreign Origin is refused before any of the above,
 * whoever calls: HTTP 403 FORBIDDEN_ORIGIN, and over WebSocket the upgrade itself is refused (403, no handshake).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNephronSchema } from '../../src/resolvers';
import { Role } from '../../src/schema/enums';
import { topics } from '../../src/runs/pubsub';
import { startTestServer, type TestServer } from '../helpers/server';
import { upgradeAnswer, type TestSubscription } from '../helpers/ws';

type Who = 'anonymous' | 'VIEWER' | 'OPERATOR' | 'ADMIN';
type Outcome = 'ALLOWED' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'FORBIDDEN_ORIGIN';
const WHO: Who[] = ['anonymous', 'VIEWER', 'OPERATOR', 'ADMIN'];
type From = 'no Origin' | 'own Origin' | 'foreign Origin';
const FROM: From[] = ['no Origin', 'own Origin', 'foreign Origin'];

const DUMMY = '00000000-0000-4000-8000-000000000000';
const ANY_ROLE: Record<Who, Outcome> = { anonymous: 'UNAUTHENTICATED', VIEWER: 'ALLOWED', OPERATOR: 'ALLOWED', ADMIN: 'ALLOWED' };
const OPERATOR: Record<Who, Outcome> = { anonymous: 'UNAUTHENTICATED', VIEWER: 'FORBIDDEN', OPERATOR: 'ALLOWED', ADMIN: 'ALLOWED' };
const ADMIN: Record<Who, Outcome> = { anonymous: 'UNAUTHENTICATED', VIEWER: 'FORBIDDEN', OPERATOR: 'FORBIDDEN', ADMIN: 'ALLOWED' };

interface Row {
  query: string;
  expect: Record<Who, Outcome>;
}

/** Every mutation, with an operation that passes GraphQL validation and fails (if at all) only in the service. */
const MUTATIONS: Record<string, Row> = {
  createSyntheticCohort: { query: `mutation { createSyntheticCohort(input: { name: "matrix", subjects: 1 }) { id } }`, expect: OPERATOR },
  importCohort: { query: `mutation { importCohort(input: { name: "matrix", path: "nowhere" }) { id } }`, expect: OPERATOR },
  startPretraining: { query: `mutation { startPretraining(input: { cohortId: "${DUMMY}", contrast: DIXON, preset: SMOKE }) { id } }`, expect: OPERATOR },
  startFineTuning: {
    query: `mutation { startFineTuning(input: { cohortId: "${DUMMY}", contrast: DIXON, preset: SMOKE, initialization: RANDOM, nLabeled: 2 }) { id } }`,
    expect: OPERATOR,
  },
  cancelRun: { query: `mutation { cancelRun(id: "${DUMMY}") { id } }`, expect: OPERATOR },
  startSweep: {
    query: `mutation { startSweep(input: { name: "matrix", cohortId: "${DUMMY}", contrasts: [DIXON], nLabeled: [2], initializations: [RANDOM], preset: SMOKE }) { id } }`,
    expect: OPERATOR,
  },
  cancelSweep: { query: `mutation { cancelSweep(id: "${DUMMY}") { id } }`, expect: OPERATOR },
  createApiToken: { query: `mutation { createApiToken(role: VIEWER, name: "matrix") { apiToken { id } } }`, expect: ADMIN },
  revokeApiToken: { query: `mutation { revokeApiToken(id: "${DUMMY}") { id } }`, expect: ADMIN },
  segmentSeries: { query: `mutation { segmentSeries(runId: "${DUMMY}", seriesId: "${DUMMY}") { id } }`, expect: OPERATOR },
};

/** Every subscription; `topic` is where an event is published to see an ALLOWED subscription deliver. */
const SUBSCRIPTIONS: Record<string, Row & { topic?: string }> = {
  runProgress: { query: `subscription { runProgress(runId: "${DUMMY}") { runId } }`, expect: ANY_ROLE },
  runEvents: { query: `subscription { runEvents { runId status } }`, expect: ANY_ROLE, topic: topics.allRuns },
};

const AUTH_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN_ORIGIN'];
/** The auth outcome of an answer's errors: the auth code if there is one, else ALLOWED. */
const outcomeOf = (errors: { extensions?: { code?: string } }[] | undefined): Outcome =>
  (errors?.map((e) => e.extensions?.code).find((c) => AUTH_CODES.includes(c ?? '')) as Outcome | undefined) ?? 'ALLOWED';

describe('authorization matrix (PGlite)', () => {
  let t: TestServer;
  const tokens: Partial<Record<Who, string>> = {};
  beforeAll(async () => {
    t = await startTestServer('pglite', { NEPHRON_MUTATION_RATE: 'off' });
    for (const role of [Role.VIEWER, Role.OPERATOR, Role.ADMIN]) tokens[role] = (await t.server.services.tokens.create(role, `matrix-${role}`)).token;
  });
  afterAll(() => t?.stop());

  it('has a row for every mutation and every subscription of the schema', async () => {
    const schema = await buildNephronSchema();
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(Object.keys(MUTATIONS).sort());
    expect(Object.keys(schema.getSubscriptionType()!.getFields()).sort()).toEqual(Object.keys(SUBSCRIPTIONS).sort());
  });

  /** Rows of everything a mutation could create or change: unchanged after a refused one. */
  const rows = async () =>
    (
      await t.server.dataSource
        .query(`SELECT (SELECT count(*) FROM run) AS runs, (SELECT count(*) FROM sweep) AS sweeps, (SELECT count(*) FROM cohort) AS cohorts,
      (SELECT count(*) FROM api_token) AS tokens, (SELECT count(*) FROM api_token WHERE "revokedAt" IS NOT NULL) AS revoked`)
    )[0];

  /** The Origin header a caller sends, if any. */
  const originOf = (from: From): string | undefined =>
    from === 'own Origin' ? new URL(t.url).origin : from === 'foreign Origin' ? 'http://evil.example' : undefined;
  const headersOf = (from: From): Record<string, string> => (originOf(from) ? { origin: originOf(from)! } : {});
  const socketOf = (from: From) => (originOf(from) ? { origin: originOf(from) } : undefined);

  describe.each(FROM)('with %s', (from) => {
    describe.each(WHO)('as %s', (who) => {
      const expected = (row: Row): Outcome => (from === 'foreign Origin' ? 'FORBIDDEN_ORIGIN' : row.expect[who]);

      /** A foreign page's socket: the upgrade is refused, so no operation of any role can be sent. */
      const refusedUpgrade = async () => {
        expect((await upgradeAnswer(t.wsUrl, socketOf(from))).status).toBe(403);
        await expect(t.ws(tokens[who], socketOf(from))).rejects.toThrow(/websocket closed/);
      };

      it.each(Object.entries(MUTATIONS))('HTTP mutation %s', async (field, row) => {
        const before = await rows();
        const r = await t.gql(row.query, {}, tokens[who], headersOf(from));
        const outcome = outcomeOf(r.errors);
        expect(outcome, JSON.stringify(r.errors)).toBe(expected(row));
        if (outcome !== 'ALLOWED') expect(await rows()).toEqual(before);
        if (outcome === 'UNAUTHENTICATED') expect(r.status).toBe(401);
        if (outcome === 'FORBIDDEN_ORIGIN') expect(r.status).toBe(403);
        if (outcome === 'FORBIDDEN') {
          expect(r.status).toBe(403);
          expect(r.data?.[field] ?? null).toBeNull();
        }
        if (outcome === 'ALLOWED' && r.errors) expect(r.errors.map((e) => e.extensions.code)).not.toContain('INTERNAL_SERVER_ERROR');
      });

      it.each(Object.entries(MUTATIONS))('WebSocket mutation %s', async (_field, row) => {
        if (expected(row) === 'FORBIDDEN_ORIGIN') {
          const before = await rows();
          await refusedUpgrade();
          expect(await rows()).toEqual(before);
          return;
        }
        if (who === 'anonymous') {
          expect(row.expect[who]).toBe('UNAUTHENTICATED');
          await expect(t.ws(undefined, socketOf(from))).rejects.toThrow(/4403/);
          return;
        }
        const ws = await t.ws(tokens[who], socketOf(from));
        const before = await rows();
        const sub = ws.subscribe(row.query);
        await sub.waitForEnd();
        const outcome = outcomeOf(sub.errors as never);
        expect(outcome, JSON.stringify(sub.errors)).toBe(row.expect[who]);
        if (outcome !== 'ALLOWED') expect(await rows()).toEqual(before);
        await ws.close();
      });

      it.each(Object.entries(SUBSCRIPTIONS))('HTTP subscription %s is refused', async (_field, row) => {
        const r = await t.gql(row.query, {}, tokens[who], headersOf(from));
        expect(r.errors?.length).toBeGreaterThan(0);
        if (from === 'foreign Origin') {
          expect(r.status).toBe(403);
          expect(outcomeOf(r.errors)).toBe('FORBIDDEN_ORIGIN');
        } else if (who === 'anonymous') {
          expect(r.status).toBe(401);
          expect(outcomeOf(r.errors)).toBe('UNAUTHENTICATED');
        } else {
          expect(r.status).toBe(400);
          expect(r.errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' }, message: /WebSocket/ });
        }
      });

      it.each(Object.entries(SUBSCRIPTIONS))('WebSocket subscription %s', async (_field, row) => {
        if (expected(row) === 'FORBIDDEN_ORIGIN') return refusedUpgrade();
        if (who === 'anonymous') {
          expect(row.expect[who]).toBe('UNAUTHENTICATED');
          await expect(t.ws(undefined, socketOf(from))).rejects.toThrow(/4403/);
          return;
        }
        const ws = await t.ws(tokens[who], socketOf(from));
        const sub = ws.subscribe(row.query);
        const outcome = await firstOutcome(sub, row.topic);
        expect(outcome.kind === 'error' ? outcomeOf(sub.errors as never) : 'ALLOWED', JSON.stringify(sub.errors)).toBe(row.expect[who]);
        sub.unsubscribe();
        await ws.close();
      });
    });
  });

  /** The subscription's first answer: an error, or (when it registered on `topic`) the event published there. */
  async function firstOutcome(sub: TestSubscription, topic: string | undefined): Promise<{ kind: 'error' } | { kind: 'event' }> {
    const failed = sub.waitForError().then(() => ({ kind: 'error' as const }));
    if (!topic) return failed;
    const pubsub = t.pubsub as import('../../src/runs/pubsub').InProcessPubSub;
    const before = pubsub.subscriberCount(topic);
    const delivered = pubsub.waitForSubscribers(topic, before + 1).then(async () => {
      await pubsub.publish(topic, { runId: DUMMY, status: 'RUNNING', phase: 'queue', epoch: 0, epochs: 1, metrics: [], at: new Date() });
      await sub.waitForNext();
      return { kind: 'event' as const };
    });
    return Promise.race([failed, delivered]);
  }
});

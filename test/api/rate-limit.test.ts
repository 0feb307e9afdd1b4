/**
 * Mutation rate limits (src/server/rate-limit.ts, src/resolvers/mutation-quota.ts): a token bucket per token, and
 * per address for token-less local callers; queries are never limited. The clock is injected and moved by hand.
 * The limiter lives in memory, so one engine (PGlite) is enough here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiToken } from '../../src/schema/api-token.entity';
import { Role } from '../../src/schema/enums';
import { MutationRateLimiter } from '../../src/server/rate-limit';
import { startTestServer, type TestServer } from '../helpers/server';

const NO_RUN = '00000000-0000-4000-8000-000000000000';
const CANCEL = `mutation($id: ID!) { cancelRun(id: $id) { id } }`;

/** A clock the test moves; starts at an arbitrary epoch. */
function manualClock() {
  let now = 1_700_000_000_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('token bucket', () => {
  it('allows the burst, refuses the next with the seconds until one unit is back, refills with time', () => {
    const clock = manualClock();
    const limiter = new MutationRateLimiter({ perSecond: 0.5, burst: 3 }, clock.now);
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: 2 }) }));
    limiter.take('b'); // another caller has its own bucket
    clock.advance(1999);
    expect(() => limiter.take('a')).toThrow(/retry in 1 s/);
    clock.advance(1);
    limiter.take('a');
    expect(limiter.remaining('a')).toBe(0);
    clock.advance(60_000); // never more than the burst
    expect(limiter.remaining('a')).toBe(3);
  });

  it('takes an operation of several mutations all or nothing, and refuses one that can never fit', () => {
    const limiter = new MutationRateLimiter({ perSecond: 1, burst: 3 }, manualClock().now);
    limiter.take('a', 2);
    expect(() => limiter.take('a', 2)).toThrow(/retry in 1 s/);
    expect(limiter.remaining('a')).toBe(1);
    expect(() => limiter.take('a', 4)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});

describe('mutation rate limit through the server', () => {
  const clock = manualClock();
  let t: TestServer;
  let operatorA: string;
  let operatorB: string;
  let admin: string;
  beforeAll(async () => {
    // 6/min: one mutation back every 10 s; burst 3
    t = await startTestServer('pglite', { NEPHRON_MUTATION_RATE: '6/min', NEPHRON_MUTATION_BURST: '3' }, { server: { clock: clock.now } });
  });
  afterAll(() => t?.stop());

  const post = (query: string, variables: Record<string, unknown>, token?: string) => {
    const req = t.http().post('/graphql').set('content-type', 'application/json');
    return (token ? req.set('authorization', `Bearer ${token}`) : req).send({ query, variables });
  };

  it('limits token-less local callers by address (zero-setup)', async () => {
    for (let i = 0; i < 3; i++) expect((await post(CANCEL, { id: NO_RUN })).body.errors[0].extensions.code).toBe('NOT_FOUND');
    const refused = await post(CANCEL, { id: NO_RUN });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 10 });
    expect(refused.body.errors[0].message).toMatch(/6\/min \(burst 3\)/);
    clock.advance(10_000);
    expect((await post(CANCEL, { id: NO_RUN })).body.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('gives each token its own bucket: burst allowed, next refused with 429, refilled after time', async () => {
    admin = (await t.server.services.tokens.create(Role.ADMIN, 'admin')).token;
    operatorA = (await t.server.services.tokens.create(Role.OPERATOR, 'a')).token;
    operatorB = (await t.server.services.tokens.create(Role.OPERATOR, 'b')).token;
    for (let i = 0; i < 3; i++) expect((await post(CANCEL, { id: NO_RUN }, operatorA)).body.errors[0].extensions.code).toBe('NOT_FOUND');
    const refused = await post(CANCEL, { id: NO_RUN }, operatorA);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 10 });

    // B is untouched by A, and A may still query as much as it likes
    expect((await post(CANCEL, { id: NO_RUN }, operatorB)).body.errors[0].extensions.code).toBe('NOT_FOUND');
    for (let i = 0; i < 10; i++) expect((await post(`{ runs { totalCount } }`, {}, operatorA)).status).toBe(200);

    clock.advance(9_000);
    const later = await post(CANCEL, { id: NO_RUN }, operatorA);
    expect(later.status).toBe(429);
    expect(later.headers['retry-after']).toBe('1');
    clock.advance(1_000);
    expect((await post(CANCEL, { id: NO_RUN }, operatorA)).body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await post(CANCEL, { id: NO_RUN }, operatorA)).status).toBe(429);
  });

  it('applies the same buckets to mutations over WebSocket, with retryAfterSeconds and no HTTP details', async () => {
    // B is full again (one used, then 10 s went by): spend the 3 over WebSocket, then both transports refuse
    const ws = await t.ws(operatorB);
    for (let i = 0; i < 3; i++) {
      const sub = ws.subscribe(CANCEL, { id: NO_RUN });
      expect(((await sub.waitForError()) as any).extensions.code).toBe('NOT_FOUND');
    }
    const sub = ws.subscribe(CANCEL, { id: NO_RUN });
    const error = (await sub.waitForError()) as any;
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 10 });
    expect((await post(CANCEL, { id: NO_RUN }, operatorB)).status).toBe(429);
    // queries over WebSocket are not limited either
    const q = ws.subscribe(`{ runs { totalCount } }`);
    expect((await q.waitForNext()).runs.totalCount).toBe(0);
  });

  it('refuses an operation of several mutations as a whole: none of them runs', async () => {
    clock.advance(30_000); // admin: full bucket (3)
    const tokens = () => t.server.dataSource.getRepository(ApiToken).count();
    const before = await tokens();
    const two = `mutation { a: createApiToken(role: VIEWER) { token } b: createApiToken(role: VIEWER) { token } }`;
    expect((await post(two, {}, admin)).body.errors).toBeUndefined();
    expect(await tokens()).toBe(before + 2);
    const refused = await post(two, {}, admin); // 1 unit left, 2 asked
    expect(refused.status).toBe(429);
    // the first field fails (non-null: the whole mutation stops there), and it failed before running
    expect(refused.body.errors.map((e: any) => e.extensions.code)).toEqual(['RATE_LIMITED']);
    expect(await tokens()).toBe(before + 2);
    const four = `mutation { a: cancelRun(id: "${NO_RUN}") { id } b: cancelRun(id: "${NO_RUN}") { id } c: cancelRun(id: "${NO_RUN}") { id } d: cancelRun(id: "${NO_RUN}") { id } }`;
    expect((await post(four, {}, admin)).body.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: /at most 3/ });
  });
});

describe('NEPHRON_MUTATION_RATE=off', () => {
  it('does not limit mutations', async () => {
    const t = await startTestServer('pglite', { NEPHRON_MUTATION_RATE: 'off' });
    try {
      for (let i = 0; i < 70; i++) expect((await t.gql(CANCEL, { id: NO_RUN })).errors?.[0].extensions.code).toBe('NOT_FOUND');
    } finally {
      await t.stop();
    }
  });
});

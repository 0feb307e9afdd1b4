/**
 * GraphQL over HTTP as nephron speaks it (Apollo 5 behind express 5, plus src/server/http-guards.ts): what each
 * malformed or unusual request gets. Every error answer is GraphQL-shaped JSON with a code and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

type Res = { status: number; headers: Record<string, string>; text: string; body: any };

/** A JSON error answer: `errors[]`, each with a code, and no stack trace anywhere in the text. */
function expectJsonError(res: Res, status: number, code: string, message?: RegExp) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json/);
  expect(res.body.errors?.length, res.text).toBeGreaterThan(0);
  for (const e of res.body.errors) expect(e.extensions?.code).toBeTypeOf('string');
  expect(res.body.errors[0].extensions.code).toBe(code);
  if (message) expect(res.body.errors[0].message).toMatch(message);
  expect(res.text).not.toMatch(/stacktrace|"stack"|\n\s+at /);
}

describe.each(DB_KINDS)('GraphQL over HTTP on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(kind);
    });
    afterAll(() => t?.stop());

    const post = () => t.http().post('/graphql');

    it('answers POST application/json, and application/graphql-response+json when asked for', async () => {
      const json = await post().set('content-type', 'application/json').send({ query: '{ runs { totalCount } }' });
      expect(json.status).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(json.body).toEqual({ data: { runs: { totalCount: 0 } } });
      const gql = await post()
        .set('content-type', 'application/json; charset=utf-8')
        .set('accept', 'application/graphql-response+json')
        .send({ query: '{ runs { totalCount } }' });
      expect(gql.status).toBe(200);
      expect(gql.headers['content-type']).toMatch(/^application\/graphql-response\+json/);
      // with graphql-response+json, a document that does not validate is a 4xx (the spec's rule), with the code
      expectJsonError(
        await post().set('content-type', 'application/json').set('accept', 'application/graphql-response+json').send({ query: '{ nope }' }),
        400,
        'BAD_USER_INPUT',
      );
    });

    it('allows GET for queries only: a mutation over GET is 405 with Allow: POST, and nothing changes', async () => {
      const q = encodeURIComponent('{ runs { totalCount } }');
      const get = await t.http().get(`/graphql?query=${q}`).set('apollo-require-preflight', 'true');
      expect(get.status).toBe(200);
      expect(get.body).toEqual({ data: { runs: { totalCount: 0 } } });
      const cohort = await seedCohort(t.server.services, `get-${kind}`, 2);
      const m = encodeURIComponent(`mutation { startPretraining(input: { cohortId: "${cohort.id}", contrast: DIXON, preset: SMOKE }) { id } }`);
      const refused = await t.http().get(`/graphql?query=${m}`).set('apollo-require-preflight', 'true');
      expectJsonError(refused, 405, 'BAD_REQUEST', /GET requests only support query operations/);
      expect(refused.headers.allow).toBe('POST');
      expect((await t.ok('{ runs { totalCount } }')).runs.totalCount).toBe(0);
    });

    it("keeps Apollo's CSRF prevention: a GET without a preflight-forcing header is refused", async () => {
      const res = await t.http().get(`/graphql?query=${encodeURIComponent('{ runs { totalCount } }')}`);
      expectJsonError(res, 400, 'BAD_REQUEST', /Cross-Site Request Forgery/);
    });

    it('refuses a body that is not application/json with 415 (text/plain, forms, multipart)', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await post().set('content-type', type).send('{"query":"{ runs { totalCount } }"}');
        expectJsonError(res, 415, 'BAD_REQUEST', /needs content-type application\/json/);
      }
      expectJsonError(await post().send(), 415, 'BAD_REQUEST');
    });

    it('answers malformed JSON with 400 and a JSON error, not an HTML page', async () => {
      for (const body of ['{"query":', '{query: 1}', '42', '"text"', '\u0000']) {
        const res = await post().set('content-type', 'application/json').send(body);
        expectJsonError(res, 400, 'BAD_REQUEST', /not valid JSON/);
      }
    });

    it('answers a body over 2mb with 413 and a JSON error', async () => {
      const res = await post()
        .set('content-type', 'application/json')
        .send(JSON.stringify({ query: '{ runs { totalCount } }', variables: { pad: 'x'.repeat(2.1 * 1024 * 1024) } }));
      expectJsonError(res, 413, 'BAD_REQUEST', /larger than the limit \(2097152 bytes\)/);
    });

    it('answers a request without a query, a batch, or a query of the wrong type with 400', async () => {
      expectJsonError(await post().set('content-type', 'application/json').send({}), 400, 'BAD_REQUEST');
      expectJsonError(await post().set('content-type', 'application/json').send({ variables: {} }), 400, 'BAD_REQUEST');
      expectJsonError(await post().set('content-type', 'application/json').send({ query: 42 }), 400, 'BAD_REQUEST');
      expectJsonError(
        await post()
          .set('content-type', 'application/json')
          .send([{ query: '{ runs { totalCount } }' }]),
        400,
        'BAD_REQUEST',
        /batching/,
      );
      expectJsonError(await post().set('content-type', 'application/json').send({ query: '{ runs {' }), 400, 'GRAPHQL_PARSE_FAILED');
    });

    it('caps documents at 20,000 tokens', async () => {
      const res = await post()
        .set('content-type', 'application/json')
        .send({ query: `{ ${'__typename '.repeat(25_000)}}` });
      expectJsonError(res, 400, 'GRAPHQL_PARSE_FAILED', /more tha.? 20000 tokens/);
    });

    it('refuses documents nested too deeply to parse safely, on HTTP and over graphql-ws', async () => {
      const deep = `{ run(id: "x") ${'{ pretrainRun '.repeat(2000)}{ id }${' }'.repeat(2000)} }`;
      expectJsonError(
        await post().set('content-type', 'application/json').send({ query: deep }),
        400,
        'BAD_USER_INPUT',
        /nests brackets 2002 deep; at most 30 are read/,
      );
      const ws = await t.ws();
      const [error] = (await ws.subscribe(deep).waitForError()) as { extensions: Record<string, unknown> }[];
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', value: 2002, limit: 30 });
    });

    it('answers a URL over 16 KB (refused by node before express) with 431 and a JSON error', async () => {
      const res = await t.http().get(`/graphql?query=${'a'.repeat(20_000)}`);
      expectJsonError(res, 431, 'BAD_REQUEST', /larger than 16 KB/);
    });

    it('closes a websocket that sends a server-to-client message with 4400, not 4500', async () => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<[number, string]>((resolve) => socket.once('close', (code, reason) => resolve([code, String(reason)])));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      socket.send(JSON.stringify({ type: 'next', id: '1', payload: {} }));
      expect(await closed).toEqual([4400, 'a client may not send "next" messages']);
    });

    it('answers other methods with 405 and the Allow header', async () => {
      const res = await t.http().put('/graphql').set('content-type', 'application/json').send({ query: '{ runs { totalCount } }' });
      expectJsonError(res, 405, 'BAD_REQUEST');
      expect(res.headers.allow).toBe('GET, POST');
    });
  });
});

describe('query timeout (NEPHRON_REQUEST_TIMEOUT_MS)', () => {
  let t: TestServer;
  let cohortId: string;
  beforeAll(async () => {
    // the cost limit would refuse the heavy query below before it runs: lift it, so only the timeout can stop it
    t = await startTestServer('pglite', { NEPHRON_REQUEST_TIMEOUT_MS: '5', NEPHRON_MAX_COMPLEXITY: '10000000' });
    cohortId = (await seedCohort(t.server.services, 'timeout', 8)).id;
    // 2 contrasts × 8 N × 12 seeds = 192 fine-tuning runs (mutations are not timed)
    await t.ok(`mutation($input: SweepInput!) { startSweep(input: $input) { total } }`, {
      input: {
        name: 'heavy',
        cohortId,
        contrasts: ['DIXON', 'T1_MAP'],
        nLabeled: [1, 2, 3, 4, 5, 6, 7, 8],
        initializations: ['RANDOM'],
        seeds: Array.from({ length: 12 }, (_, i) => i),
        preset: 'SMOKE',
      },
    });
  });
  afterAll(() => t?.stop());

  it('answers a query slower than the timeout with 504 TIMEOUT, and the server keeps serving', async () => {
    // a real page of 192 runs with their configs, cohorts, sweeps and each sweep's 192 runs: ~1 s, 20 MB of JSON
    const heavy = `{ runs(first: 200) { totalCount edges { node { id config cohort { name subjects { totalCount } } sweep { name runs { id config } } metrics { name last } } } } }`;
    const res = await t.http().post('/graphql').set('content-type', 'application/json').send({ query: heavy });
    expectJsonError(res, 504, 'TIMEOUT', /did not finish within 5 ms \(NEPHRON_REQUEST_TIMEOUT_MS\)/);
    expect(res.body.data).toBeUndefined();
    // still serving: mutations run to completion whatever their duration, and the health route answers
    const cancelled = await t.ok(`mutation($id: ID!) { cancelSweep(id: $id) { status total } }`, { id: (await t.server.services.sweeps.list())[0].id });
    expect(cancelled.cancelSweep).toEqual({ status: 'CANCELLED', total: 192 });
    expect((await t.http().get('/healthz')).status).toBe(200);
  });

  it('gives queries over graphql-ws the same deadline: one TIMEOUT error, and the socket stays usable', async () => {
    const ws = await t.ws();
    try {
      const heavy = ws.subscribe(
        `query { runs(first: 200) { edges { node { id config cohort { name subjects { totalCount } } sweep { name runs { id config } } } } } }`,
      );
      const error = (await heavy.waitForError()) as { message: string; extensions: Record<string, unknown> };
      expect(error.message).toMatch(/did not finish within 5 ms \(NEPHRON_REQUEST_TIMEOUT_MS\)/);
      expect(error.extensions).toEqual({ code: 'TIMEOUT', timeoutMs: 5 });
      expect(heavy.events).toEqual([]); // the late result is dropped, not sent after the error
      const light = ws.subscribe<{ __typename: string }>('query { __typename }');
      expect(await light.waitForNext()).toEqual({ __typename: 'Query' });
    } finally {
      await ws.close();
    }
  });
});

describe('production (NODE_ENV=production) and development', () => {
  it('has no introspection and no landing page in production, on HTTP and on graphql-ws', async () => {
    const t = await startTestServer('pglite', { NODE_ENV: 'production' });
    try {
      const page = await t.http().get('/graphql').set('accept', 'text/html');
      expect(page.headers['content-type']).not.toMatch(/html/);
      expect(page.text).not.toMatch(/sandbox|<html/i);
      expectJsonError(page as unknown as Res, 400, 'BAD_REQUEST');
      const schema = await t.gql('{ __schema { queryType { name } } }');
      expect(schema.status).toBe(400);
      expect(schema.errors?.[0].message).toMatch(/introspection/i);
      expect(schema.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      const ws = await t.ws();
      const sub = ws.subscribe('query { __type(name: "Run") { name } }');
      const [error] = (await sub.waitForError()) as { message: string; extensions: { code: string } }[];
      expect(error.message).toMatch(/introspection/i);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      // ordinary operations are unaffected
      expect((await t.ok('{ runs { totalCount } }')).runs.totalCount).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('serves the sandbox landing page and introspection otherwise', async () => {
    const t = await startTestServer('pglite', {});
    try {
      const page = await t.http().get('/graphql').set('accept', 'text/html');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toMatch(/sandbox/i);
      expect((await t.ok('{ __schema { queryType { name } } }')).__schema.queryType.name).toBe('Query');
      const ws = await t.ws();
      expect(await ws.subscribe('query { __type(name: "Run") { name } }').waitForNext()).toEqual({ __type: { name: 'Run' } });
    } finally {
      await t.stop();
    }
  });
});

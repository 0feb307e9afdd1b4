/**
 * The Host and Origin checks against a real server, over HTTP and WebSocket: the attacks of issue 18 (a cross-site
 * WebSocket from http://evil.example; a DNS-rebinding POST with Host attacker.example) are refused with nothing
 * written, each refusal is one `warn` log line naming the Host and Origin, and the legitimate callers (own origin
 * under every loopback name, no Origin at all: the CLI and graphql-ws from Node, the allow-lists) still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { authenticate } from '../../src/server/auth';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import { upgradeAnswer } from '../helpers/ws';
import { runCli } from '../cli/run';

const EVIL = 'http://evil.example';
const VIEWER = `{ viewer { role } }`;
const OPERATIONS = {
  query: VIEWER,
  mutation: `mutation { createSyntheticCohort(input: { name: "planted-by-evil", subjects: 1, size: 32, slices: 2 }) { id } }`,
  token: `mutation { createApiToken(role: ADMIN, name: "evil") { token } }`,
  subscription: `subscription { runEvents { runId } }`,
};

/** A test server whose warn lines are kept. */
async function startWatched(kind: 'pglite' | 'postgres', env: Record<string, string> = {}) {
  const warnings: Record<string, any>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const t = await startTestServer(kind, env, { server: { log } });
  const port = new URL(t.url).port;
  const refusals = () => warnings.filter((w) => /^refused a request/.test(w.msg));
  const written = async () =>
    (await t.server.dataSource.query(`SELECT (SELECT count(*) FROM cohort)::int AS cohorts, (SELECT count(*) FROM api_token)::int AS tokens`))[0];
  return { t, port, warnings, refusals, written };
}

describe.each(DB_KINDS)('Host and Origin checks on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let s: Awaited<ReturnType<typeof startWatched>>;
    let t: TestServer;
    beforeAll(async () => {
      s = await startWatched(kind);
      t = s.t;
    });
    afterAll(() => t?.stop());

    it('zero-setup, HTTP: a foreign Origin is refused (403 FORBIDDEN_ORIGIN) for queries, mutations and subscriptions, nothing written', async () => {
      const before = s.refusals().length;
      for (const [what, query] of Object.entries(OPERATIONS)) {
        for (const origin of [EVIL, 'null', `http://127.0.0.1:${Number(s.port) + 1}`, `http://localhost:${s.port}`]) {
          const r = await t.gql(query, {}, undefined, { origin });
          expect(r.status, `${what} from ${origin}`).toBe(403);
          expect(r.body).toEqual({ errors: [{ message: expect.stringContaining('Origin'), extensions: { code: 'FORBIDDEN_ORIGIN' } }] });
        }
      }
      expect(await s.written()).toEqual({ cohorts: 0, tokens: 0 });
      const logged = s.refusals().slice(before);
      expect(logged).toHaveLength(16); // one line per refusal
      expect(logged[0]).toMatchObject({ level: 40, code: 'FORBIDDEN_ORIGIN', origin: EVIL, host: `127.0.0.1:${s.port}`, transport: 'http' });
    });

    it('zero-setup, WebSocket: a foreign Origin is refused on the upgrade, before the handshake', async () => {
      const before = s.refusals().length;
      const answer = await upgradeAnswer(t.wsUrl, { origin: EVIL });
      expect(answer.status).toBe(403);
      expect(answer.contentType).toBe('application/json');
      expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN_ORIGIN' } }] });
      // a graphql-ws client never gets connected, so no query, mutation or subscription can be sent
      await expect(t.ws(undefined, { origin: EVIL })).rejects.toThrow(/websocket closed/);
      await expect(t.ws(undefined, { origin: 'null' })).rejects.toThrow(/websocket closed/);
      expect(await s.written()).toEqual({ cohorts: 0, tokens: 0 });
      const logged = s.refusals().slice(before);
      expect(logged).toHaveLength(3);
      expect(logged[0]).toMatchObject({ level: 40, code: 'FORBIDDEN_ORIGIN', origin: EVIL, transport: 'websocket' });
    });

    it('zero-setup: a rebinding Host is refused (403 FORBIDDEN_HOST) on both transports, with or without a matching Origin', async () => {
      const before = s.refusals().length;
      const host = `attacker.example:${s.port}`;
      const withAndWithoutOrigin: Record<string, string>[] = [{ host, origin: `http://${host}` }, { host }];
      for (const query of Object.values(OPERATIONS)) {
        for (const headers of withAndWithoutOrigin) {
          const r = await t.gql(query, {}, undefined, headers);
          expect(r.status).toBe(403);
          expect(r.errors?.[0].extensions.code).toBe('FORBIDDEN_HOST');
        }
      }
      expect((await t.http().get('/').set('host', host)).status).toBe(403); // the dashboard too
      const answer = await upgradeAnswer(t.wsUrl, { origin: `http://${host}`, headers: { host } });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('FORBIDDEN_HOST');
      expect(await s.written()).toEqual({ cohorts: 0, tokens: 0 });
      const logged = s.refusals().slice(before);
      expect(logged).toHaveLength(10);
      expect(logged.at(-1)).toMatchObject({ code: 'FORBIDDEN_HOST', host, origin: `http://${host}`, transport: 'websocket' });
    });

    it('zero-setup: ADMIN is granted only with a trusted Host, even past the guard (the first token cannot be made otherwise)', async () => {
      const peer = { remoteAddress: '127.0.0.1', hostTrusted: false };
      await expect(authenticate(t.server.services.tokens, undefined, peer)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN_HOST' } });
      await expect(authenticate(t.server.services.tokens, undefined, { ...peer, hostTrusted: true })).resolves.toMatchObject({ role: 'ADMIN' });
    });

    it('zero-setup: its own origin works under every loopback name, and callers without an Origin work (Node graphql-ws, the CLI)', async () => {
      for (const name of ['127.0.0.1', 'localhost', 'LOCALHOST.', '[::1]', '127.0.0.2']) {
        const host = `${name}:${s.port}`;
        const r = await t.gql(VIEWER, {}, undefined, { host, origin: `http://${host.toLowerCase()}` });
        expect(r.body, host).toEqual({ data: { viewer: { role: 'ADMIN' } } });
      }
      expect((await upgradeAnswer(t.wsUrl, { origin: `http://127.0.0.1:${s.port}` })).status).toBe(101);
      const own = await t.ws(undefined, { origin: `http://127.0.0.1:${s.port}` });
      expect(await own.subscribe(VIEWER).waitForNext()).toEqual({ viewer: { role: 'ADMIN' } });
      const plain = await t.ws();
      expect(await plain.subscribe(VIEWER).waitForNext()).toEqual({ viewer: { role: 'ADMIN' } });
      const cli = await runCli(t.url, ['cohort', 'list']);
      expect(cli.code ?? 0, cli.err).toBe(0);
      expect(cli.out + cli.err).toMatch(/no cohorts yet/); // it reached the server: zero-setup ADMIN, no Origin
    });

    it('token mode: a foreign Origin is still refused, the Host is left to the token', async () => {
      const { token } = await t.server.services.tokens.create('ADMIN' as never, 'origin test');
      const before = s.refusals().length;
      expect((await t.gql(VIEWER, {}, token, { origin: EVIL })).errors?.[0].extensions.code).toBe('FORBIDDEN_ORIGIN');
      expect((await upgradeAnswer(t.wsUrl, { origin: EVIL })).status).toBe(403);
      await expect(t.ws(token, { origin: EVIL })).rejects.toThrow(/websocket closed/);
      expect(s.refusals().slice(before)).toHaveLength(3);
      // a server reached by any name works with a token; without one the answer is 401, not ADMIN
      const host = `nephron.lab:${s.port}`;
      expect((await t.gql(VIEWER, {}, token, { host, origin: `http://${host}` })).data).toEqual({ viewer: { role: 'ADMIN' } });
      expect((await t.gql(VIEWER, {}, undefined, { host, origin: `http://${host}` })).status).toBe(401);
      expect((await upgradeAnswer(t.wsUrl, { origin: `http://${host}`, headers: { host } })).status).toBe(101);
      expect(s.refusals().slice(before)).toHaveLength(3);
    });
  });
});

describe('NEPHRON_ALLOWED_HOSTS and NEPHRON_ALLOWED_ORIGINS (PGlite)', () => {
  let s: Awaited<ReturnType<typeof startWatched>>;
  const DASH = 'http://dash.lab:8080';
  beforeAll(async () => {
    s = await startWatched('pglite', { NEPHRON_ALLOWED_HOSTS: 'nephron.lab', NEPHRON_ALLOWED_ORIGINS: DASH });
  });
  afterAll(() => s?.t.stop());

  it('serves an allow-listed Host in zero-setup mode, and no other', async () => {
    const host = `nephron.lab:${s.port}`;
    expect((await s.t.gql(VIEWER, {}, undefined, { host })).data).toEqual({ viewer: { role: 'ADMIN' } });
    expect((await s.t.gql(VIEWER, {}, undefined, { host, origin: `http://${host}` })).data).toEqual({ viewer: { role: 'ADMIN' } });
    expect((await upgradeAnswer(s.t.wsUrl, { headers: { host } })).status).toBe(101);
    expect((await s.t.gql(VIEWER, {}, undefined, { host: `other.lab:${s.port}` })).errors?.[0].extensions.code).toBe('FORBIDDEN_HOST');
  });

  it('serves an allow-listed origin with CORS headers and answers its preflight; similar origins stay refused', async () => {
    const r = await s.t.http().post('/graphql').set({ origin: DASH, 'content-type': 'application/json' }).send({ query: VIEWER });
    expect(r.body).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    expect(r.headers['access-control-allow-origin']).toBe(DASH);
    expect(r.headers.vary).toMatch(/origin/i);
    const preflight = await s.t
      .http()
      .options('/graphql')
      .set({ origin: DASH, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization, content-type/);
    const ws = await s.t.ws(undefined, { origin: DASH });
    expect(await ws.subscribe(VIEWER).waitForNext()).toEqual({ viewer: { role: 'ADMIN' } });
    for (const origin of ['http://dash.lab:8081', 'https://dash.lab:8080', 'http://dash.lab']) {
      const refused = await s.t.http().options('/graphql').set({ origin, 'access-control-request-method': 'POST' });
      expect(refused.status, origin).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      expect((await upgradeAnswer(s.t.wsUrl, { origin })).status, origin).toBe(403);
    }
    // the server's own origin needs no CORS headers
    expect((await s.t.gql(VIEWER, {}, undefined, { origin: `http://127.0.0.1:${s.port}` })).body).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });
});

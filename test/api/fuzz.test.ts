/**
 * A seeded, bounded fuzz of the GraphQL endpoint: 1,000 malformed inputs (GraphQL documents and variables over HTTP,
 * raw HTTP requests, graphql-transport-ws messages) against one server holding seeded data. Every answer must be
 * JSON errors with codes and no stack trace, never a 5xx; the server must go on answering, and the seeded data
 * must be unchanged. FUZZ_SEED=<n> replays a run; a failure names the seed and the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Rng } from '../../src/data/random';
import { buildNephronSchema } from '../../src/resolvers';
import { Role } from '../../src/schema/enums';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';
import { dashboardDocuments } from './client-documents';
import { FuzzInputs, percentEncode, type HttpCase, type WsCase } from './fuzz-inputs';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CASES = { post: 450, get: 50, http: 200, ws: 300 };

const SNAPSHOT = `{ cohorts { id name fingerprint subjectCount contrasts { kind channels } }
  runs(first: 500) { totalCount edges { node { id kind status seed epoch epochs config sweep { id } } } }
  sweeps { id name status done total } apiTokens { id name revokedAt } }`;

/** Problems with one answer (empty when it is fine): codes on every error, no stack trace anywhere. */
function problemsOf(body: unknown, text: string): string[] {
  const problems: string[] = [];
  if (/\n\s+at .+:\d+:\d+/.test(text) || /"(stack|stacktrace)"/.test(text)) problems.push('stack trace in the answer');
  const errors = (body as { errors?: unknown })?.errors;
  if (errors !== undefined) {
    if (!Array.isArray(errors) || !errors.length) problems.push('errors is not a non-empty array');
    else
      for (const e of errors as { extensions?: { code?: unknown } }[])
        if (typeof e?.extensions?.code !== 'string') problems.push(`an error without a code: ${JSON.stringify(e).slice(0, 200)}`);
  }
  return problems;
}

describe.each(DB_KINDS)('fuzz of /graphql on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let before: unknown;
    let token: string;
    const failures: string[] = [];
    const fail = (n: number, what: string, input: string, problem: string) =>
      failures.push(`FUZZ_SEED=${SEED} case #${n} (${what}): ${problem}\n  input: ${JSON.stringify(input.slice(0, 300))}`);

    beforeAll(async () => {
      // no rate limit: the fuzz is about malformed input, not about how many requests one caller may send
      t = await startTestServer(kind, { NEPHRON_MUTATION_RATE: 'off' });
      const cohort = await seedCohort(t.server.services, 'fuzz', 4);
      await t.ok(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
        input: { name: 'fuzz', cohortId: cohort.id, contrasts: ['DIXON'], nLabeled: [1, 2], initializations: ['RANDOM', 'CLC'], seeds: [0], preset: 'SMOKE' },
      });
      // once a token exists every request needs one, as in a real deployment; the fuzz runs as ADMIN, the widest role
      token = (await t.server.services.tokens.create(Role.ADMIN, 'fuzz')).token;
      before = await t.ok(SNAPSHOT, undefined, token);
    });
    afterAll(() => t?.stop());

    it(`answers 1,000 malformed inputs with coded JSON errors and no stack trace (seed ${SEED})`, async () => {
      const schema = await buildNephronSchema();
      const inputs = new FuzzInputs(
        new Rng(SEED),
        schema,
        dashboardDocuments(schema).map((d) => d.query),
      );
      let n = 0;
      const slowest: { ms: number; what: string }[] = [];

      const http = async (c: HttpCase) => {
        n++;
        let req =
          c.method === 'GET'
            ? t.http().get(`/graphql?${c.body}`).set('apollo-require-preflight', 'true')
            : t.http()[c.method === 'POST' ? 'post' : c.method === 'PUT' ? 'put' : 'delete']('/graphql');
        req = req.set('authorization', `Bearer ${token}`);
        if (c.contentType !== undefined) req = req.set('content-type', c.contentType);
        if (c.accept !== undefined) req = req.set('accept', c.accept);
        const started = performance.now();
        const res = c.method === 'GET' ? await req : await req.send(c.body);
        const ms = performance.now() - started;
        slowest.push({ ms, what: `${c.kind} ${c.body.length}B` });
        if (res.status >= 500) fail(n, c.kind, c.body, `HTTP ${res.status}: ${res.text.slice(0, 300)}`);
        if (!/json/.test(res.headers['content-type'] ?? '')) fail(n, c.kind, c.body, `not JSON (${res.headers['content-type']}): ${res.text.slice(0, 200)}`);
        for (const p of problemsOf(res.body, res.text)) fail(n, c.kind, c.body, p);
      };

      for (let i = 0; i < CASES.post; i++) {
        const d = inputs.rng.next() < 0.7 ? { ...inputs.document(), variables: undefined as unknown } : inputs.badVariables();
        await http({ kind: d.kind, method: 'POST', contentType: 'application/json', body: JSON.stringify({ query: d.query, variables: d.variables }) });
      }
      for (let i = 0; i < CASES.get; i++) {
        const d = inputs.document();
        await http({ kind: `GET ${d.kind}`, method: 'GET', body: `query=${percentEncode(d.query)}` });
      }
      for (let i = 0; i < CASES.http; i++) await http(inputs.http());

      // graphql-transport-ws: each case ends with a ping, answered by a pong unless the case got the socket closed
      let socket: { ws: WebSocket; closed: boolean } | null = null;
      const open = async () => {
        const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
        const s = { ws, closed: false };
        ws.on('message', (data) => {
          const text = String(data);
          let msg: any;
          try {
            msg = JSON.parse(text);
          } catch {
            return fail(n, 'ws', text, 'a message that is not JSON');
          }
          if (!['connection_ack', 'next', 'error', 'complete', 'pong', 'ping'].includes(msg.type)) fail(n, 'ws', text, `unexpected message type ${msg.type}`);
          for (const p of problemsOf(msg.type === 'error' ? { errors: msg.payload } : msg.payload, text)) fail(n, 'ws', text, p);
        });
        ws.on('close', (code, reason) => {
          s.closed = true;
          // 4400 bad message, 4401 subscribe before init, 4403 refused, 4408 init timeout, 4409 duplicate id, 4429 second init
          if (![1000, 1005, 4400, 4401, 4403, 4408, 4409, 4429].includes(code))
            fail(n, 'ws close', String(reason), `closed with ${code} ${String(reason).slice(0, 200)}`);
          if (/\n\s+at /.test(String(reason))) fail(n, 'ws close', String(reason), 'stack trace in the close reason');
        });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        return s;
      };
      const runWs = async (c: WsCase) => {
        n++;
        if (c.fresh || !socket || socket.closed) {
          socket?.ws.close();
          socket = await open();
        }
        const s = socket;
        const marker = `m${n}`;
        const done = new Promise<void>((resolve) => {
          const onMessage = (data: WebSocket.RawData) => {
            if (String(data).includes(marker)) finish();
          };
          const finish = () => {
            s.ws.off('message', onMessage);
            s.ws.off('close', finish);
            resolve();
          };
          s.ws.on('message', onMessage);
          s.ws.on('close', finish);
        });
        // the token goes into connection_init, as the CLI and the dashboard send it
        for (const m of c.messages)
          if (!s.closed)
            s.ws.send(m.replace('{"type":"connection_init"}', JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
        if (!s.closed) s.ws.send(JSON.stringify({ type: 'ping', payload: { marker } }));
        await done;
      };
      for (let i = 0; i < CASES.ws; i++) await runWs(inputs.ws());
      (socket as { ws: WebSocket } | null)?.ws.close();

      expect(n).toBe(1000);
      const slow = slowest
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((x) => `${Math.round(x.ms)} ms ${x.what}`);
      expect(failures, `${failures.slice(0, 10).join('\n')}\nslowest HTTP cases:\n${slow.join('\n')}`).toEqual([]);

      // still serving, and nothing changed
      expect(await t.ok(SNAPSHOT, undefined, token)).toEqual(before);
      const ws = await t.ws(token);
      const sub = ws.subscribe('query { runs { totalCount } }');
      expect(await sub.waitForNext()).toEqual({ runs: { totalCount: (before as { runs: { totalCount: number } }).runs.totalCount } });
    });
  });
});

/**
 * A throwaway nephron server on a free port (127.0.0.1:0) on in-memory PGlite or a fresh PostgreSQL database,
 * with an HTTP GraphQL client (supertest against the real server) and graphql-ws clients with waitFor… helpers.
 */
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { RunnerHostOptions } from '../../src/runners/host';
import { InProcessPubSub } from '../../src/runs/pubsub';
import { PgPubSub } from '../../src/runs/pubsub-pg';
import { openNephron } from '../../src/app';
import { createNephronServer, type NephronServer, type NephronServerOptions } from '../../src/server/server';
import { freshDatabaseEnv, type DbKind } from './db';
import type { Logger } from 'pino';
import type { ClientOptions } from 'ws';
import { connectWs, type TestWsClient } from './ws';

export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors: { message: string; path?: string[]; extensions: { code: string; field?: string; [k: string]: unknown } }[] | undefined;
  body: any;
}

export interface TestServer {
  server: NephronServer;
  url: string;
  wsUrl: string;
  /** PostgreSQL: LISTEN/NOTIFY (as `nephron serve` uses it there), PGlite: in-process. */
  pubsub: InProcessPubSub | PgPubSub;
  /** POST /graphql; `token` is sent as "Authorization: Bearer <token>"; `headers`: more (e.g. origin, host). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  /** Like gql, but fails the test when the answer has errors. */
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  http(): ReturnType<typeof request>;
  /** `socket`: options of the ws socket (origin, headers), as in connectWs. */
  ws(token?: string, socket?: ClientOptions): Promise<TestWsClient>;
  stop(): Promise<void>;
}

export async function startTestServer(
  kind: DbKind,
  env: Record<string, string> = {},
  options: {
    runners?: Partial<RunnerHostOptions>;
    databaseUrl?: string;
    server?: Pick<NephronServerOptions, 'clock' | 'tokenRecheckMs'> & { log?: Logger };
  } = {},
): Promise<TestServer> {
  // databaseUrl: share a database another process uses (the caller owns it)
  const db = options.databaseUrl ? { env: { DATABASE_URL: options.databaseUrl }, cleanup: async () => {} } : await freshDatabaseEnv(kind);
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_RUNNERS: '0',
    NEPHRON_ANSWER_CACHE_MS: '0',
    ...db.env,
    ...env,
  });
  let pubsub: InProcessPubSub | PgPubSub;
  let server: NephronServer;
  try {
    pubsub = kind === 'postgres' ? new PgPubSub(config.databaseUrl!) : new InProcessPubSub();
    if (pubsub instanceof PgPubSub) await pubsub.start();
    const { log = createLogger(config.logLevel), ...serverOptions } = options.server ?? {};
    server = await createNephronServer(await openNephron(config, { pubsub, log, runners: options.runners }), serverOptions);
  } catch (e) {
    await db.cleanup();
    throw e;
  }
  const url = await server.listen();
  const wsUrl = url.replace(/^http/, 'ws');
  const clients: TestWsClient[] = [];
  const gql = async <T>(query: string, variables?: Record<string, unknown>, token?: string, headers: Record<string, string> = {}): Promise<GqlResponse<T>> => {
    let req = request(server.httpServer).post('/graphql').set('content-type', 'application/json').set(headers);
    if (token) req = req.set('authorization', `Bearer ${token}`);
    const res = await req.send({ query, variables });
    return { status: res.status, data: res.body?.data, errors: res.body?.errors, body: res.body };
  };
  return {
    server,
    url,
    wsUrl,
    pubsub,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>, token?: string) {
      const r = await gql<T>(query, variables, token);
      if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors ?? r.body)}`);
      return r.data;
    },
    http: () => request(server.httpServer),
    async ws(token?: string, socket?: ClientOptions) {
      const c = await connectWs(wsUrl, token, socket);
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
      await db.cleanup();
    },
  };
}

/**
 * The nephron server: express 5 + Apollo Server 5 for queries and mutations, graphql-ws for subscriptions, on one
 * http server and one path (/graphql). createNephronServer() opens and migrates the database; listen() starts
 * serving; stop() drains HTTP and WebSocket, closes the PubSub and the DataSource.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { buildDataSource, type NephronDataSource } from '../db/data-source';
import { databaseEnv, isLoopback, type Config } from '../config';
import type { Context } from '../resolvers/context';
import { buildNephronSchema } from '../resolvers';
import { createLoaders } from '../resolvers/loaders';
import { createServices, type Services } from '../services';
import { authenticate, type Caller } from './auth';
import { createFormatError } from './format-error';
import { createLogger } from './logger';
import { startRunners, type RunnerHost } from '../runners';
import type { RunnerHostOptions } from '../runners/host';
import { createPubSub, topics, type PubSub } from '../runs';
import { AnswerCache } from './answer-cache';
import { ROUTES, type RouteDeps, type RouteInstaller } from './routes';
import { runStartupTasks } from './startup';
import { emptyBodyForGet, jsonClientErrors, jsonErrorHandler, queryTimeout, requireJsonBody, sourceNestingGuard } from './http-guards';
import { refuseServerMessagesFromClients } from './ws-guard';
import { limitsPlugin, MAX_TOKENS } from './limits';
import { executeWithDeadline, prepareWsOperation } from './ws-operation';
import { MutationRateLimiter, rateKey } from './rate-limit';
import { WsSessions, type ClosableSocket } from './ws-sessions';
import { refuseHttpSubscriptions } from './http-subscriptions';
import { HostOriginGuard } from './origin-guard';
import { isTransientDbError } from '../db/transient';
import { migrate } from '../db/migrate';

/** WebSocket close code 1013 (RFC 6455 registry: "Try Again Later"). */
export const WS_TRY_AGAIN_LATER = 1013;

export interface NephronServerOptions {
  /** An existing DataSource (initialized or not); by default one is built from the config. */
  dataSource?: NephronDataSource;
  pubsub?: PubSub;
  log?: Logger;
  /** More routes, after ROUTES. */
  routes?: RouteInstaller[];
  /** Runner host knobs for tests (job module, poll interval, …); NEPHRON_RUNNERS decides whether runners start. */
  runners?: Partial<RunnerHostOptions>;
  /** Milliseconds clock of the mutation rate limit (tests move it by hand). */
  clock?: () => number;
  /** How often open WebSocket connections re-check their token (./ws-sessions.ts); default 10 s. */
  tokenRecheckMs?: number;
}

export interface NephronServer {
  app: express.Express;
  httpServer: http.Server;
  dataSource: NephronDataSource;
  services: Services;
  pubsub: PubSub;
  log: Logger;
  config: Config;
  /** The runners of this process (null with NEPHRON_RUNNERS=0). */
  runners: RunnerHost | null;
  /** Starts listening on HOST:PORT (PORT 0: a free port); resolves to the GraphQL URL. */
  listen(): Promise<string>;
  /** http://host:port/graphql once listening. */
  readonly url: string;
  /** Drains HTTP and WebSocket, closes the PubSub and the DataSource. Idempotent. */
  stop(): Promise<void>;
}

export async function createNephronServer(config: Config, options: NephronServerOptions = {}): Promise<NephronServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const dataSource = options.dataSource ?? buildDataSource(databaseEnv(config), { onWarn: (m) => log.warn(m) });
  if (!dataSource.isInitialized) await dataSource.initialize();
  try {
    const applied = await migrate(dataSource);
    if (applied.length) log.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  } catch (e) {
    await dataSource.destroy().catch(() => {});
    throw e;
  }
  const answers = config.answerCacheMs > 0 ? new AnswerCache({ ttlMs: config.answerCacheMs, maxEntries: 1000 }) : null;
  const basePubsub = options.pubsub ?? (await createPubSub(dataSource.target, log));
  // every event this process publishes (progress, status, cancellations) may change a cached answer
  const pubsub: PubSub = answers
    ? {
        publish: (topic, payload) => {
          answers.invalidate();
          return basePubsub.publish(topic, payload);
        },
        subscribe: (topic) => basePubsub.subscribe(topic),
        close: () => basePubsub.close(),
      }
    : basePubsub;
  if (answers) {
    // events of other processes (LISTEN/NOTIFY) arrive without a local publish: runs that moved, tokens revoked
    // elsewhere (whose cached answers must not outlive them here). The subscriptions end when the PubSub closes.
    for (const topic of [topics.allRuns, topics.tokens]) {
      const events = basePubsub.subscribe(topic);
      void (async () => {
        for await (const _event of events) answers.invalidate();
      })();
    }
  }
  const services = createServices(dataSource, pubsub, config);
  const mutationLimiter = config.mutationRate ? new MutationRateLimiter(config.mutationRate, options.clock) : null;
  const wsSessions = new WsSessions(services.tokens, pubsub, log, options.tokenRecheckMs);
  const schema = await buildNephronSchema();
  const formatError = createFormatError(log, config.development);
  const guard = new HostOriginGuard(config, async () => !(await services.tokens.anyActive()), log);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  jsonClientErrors(httpServer); // requests node refuses before express (oversized headers) answer JSON too

  const makeContext = (caller: Caller, remoteAddress: string | undefined): Context => ({
    role: caller.role,
    tokenId: caller.tokenId,
    mutationQuota: mutationLimiter && { take: (cost: number) => mutationLimiter.take(rateKey(caller.tokenId, remoteAddress), cost) },
    services,
    loaders: createLoaders(services),
    pubsub,
    log,
  });

  // one log line per request
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const body = req.body as { operationName?: string } | undefined;
      log.info({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10, operation: body?.operationName }, 'request');
    });
    next();
  });
  // Host and Origin, before any route (./origin-guard.ts)
  app.use(guard.middleware());

  const deps: RouteDeps = {
    config,
    dataSource,
    services,
    pubsub,
    log,
    authenticate: (req) => authenticate(services.tokens, req.headers.authorization, guard.peer(req)),
    takeMutation: (caller, req) => mutationLimiter?.take(rateKey(caller.tokenId, req.socket.remoteAddress)),
  };
  for (const install of [...ROUTES, ...(options.routes ?? [])]) install(app, deps);

  // subscriptions: graphql-ws on the same server and path
  // the Host and Origin are checked on the upgrade request: a refused socket never completes its handshake
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', verifyClient: guard.verifyClient() });
  refuseServerMessagesFromClients(wsServer); // before useServer: sees each message first
  // extensions.http (status, Retry-After) is for HTTP answers only: Apollo strips it there, we strip it here
  const formatWsErrors = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const { http: _http, ...extensions } = (e.extensions ?? {}) as Record<string, unknown>;
      return formatError({ ...e.toJSON(), extensions }, e);
    });
  const wsCleanup = useServer<Record<string, unknown>, { caller?: Caller; socket?: unknown; request?: http.IncomingMessage }>(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          ctx.extra.caller = await authenticate(services.tokens, ctx.connectionParams?.authorization, guard.peer(ctx.extra.request));
          wsSessions.add(ctx.extra.socket as ClosableSocket, ctx.extra.caller);
          return true;
        } catch (e) {
          if (isTransientDbError(e)) {
            // the token could not be checked: 1013 "try again later" (graphql-ws clients retry it), not 4403 (fatal)
            log.warn({ reason: (e as Error).message }, 'websocket connection deferred: database unavailable');
            (ctx.extra.socket as ClosableSocket).close(WS_TRY_AGAIN_LATER, 'database unavailable, try again');
            return false;
          }
          log.info({ reason: (e as Error).message }, 'websocket connection refused');
          return false; // closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => wsSessions.remove(ctx.extra.socket as ClosableSocket),
      // parse, validate, variables and operation limits as on HTTP (./ws-operation.ts)
      onSubscribe: (_ctx, _id, payload) => prepareWsOperation(schema, payload, { ...config, introspection: !config.production }),
      context: (ctx) => makeContext(ctx.extra.caller!, ctx.extra.request?.socket.remoteAddress),
      execute: executeWithDeadline(config.requestTimeoutMs, (operationName) => log.warn({ operationName, ms: config.requestTimeoutMs, transport: 'websocket' }, 'query timed out')),
      onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors),
      onNext: (_ctx, _id, _payload, _args, result) => {
        const r = result as ExecutionResult;
        if (r.errors?.length) return { ...r, errors: formatWsErrors(r.errors) } as unknown as ExecutionResult;
        return undefined;
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<BaseContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: config.development,
    stopOnTerminationSignals: false, // the CLI's own SIGTERM handler calls stop() (drain HTTP + WS, close the DataSource)
    introspection: !config.production,
    parseOptions: { maxTokens: MAX_TOKENS },
    plugins: [
      limitsPlugin(config),
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault(),
      refuseHttpSubscriptions(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // no HTTP caching here; the plugin would wrap every field resolver (a measurable cost on 100-run pages)
      ApolloServerPluginCacheControlDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  app.use(
    '/graphql',
    requireJsonBody(),
    express.json({ limit: '2mb' }),
    emptyBodyForGet(),
    sourceNestingGuard(config),
    queryTimeout(config.requestTimeoutMs, log),
    ...(answers ? [answers.middleware()] : []),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        makeContext(await authenticate(services.tokens, req.headers.authorization, guard.peer(req)), req.socket.remoteAddress) as unknown as BaseContext,
    }),
  );
  app.use(jsonErrorHandler(log, config.development)); // last: malformed JSON, bodies over 2mb, route errors

  await runStartupTasks({ config, dataSource, services, pubsub, log });
  let runners: RunnerHost | null;
  try {
    runners = await startRunners({ config, dataSource, services, pubsub, log, overrides: options.runners });
  } catch (e) {
    await apollo.stop();
    await wsSessions.stop();
    await services.close();
    await pubsub.close();
    await dataSource.destroy();
    throw e;
  }

  let url = '';
  let stopping: Promise<void> | undefined;
  const server: NephronServer = {
    app,
    httpServer,
    dataSource,
    services,
    pubsub,
    log,
    config,
    runners,
    get url() {
      return url;
    },
    async listen() {
      if (!isLoopback(config.host) && !(await services.tokens.anyActive())) {
        throw new Error(
          `refusing to listen on HOST=${config.host} without API tokens: anyone who can reach it would be ADMIN. ` +
            'Create a token first (`nephron token create --role ADMIN`) or leave HOST at 127.0.0.1.',
        );
      }
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const address = httpServer.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}/graphql`;
      log.info({ url, database: dataSource.target.engine }, 'nephron listening');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        // runners give their runs back to the queue while HTTP and WebSocket drain
        await Promise.all([runners?.stop(), apollo.stop()]); // apollo: through the plugin above, also the WebSocket server
        await wsSessions.stop();
        await services.close(); // worker pool and background cohort work, before the database goes
        await pubsub.close();
        if (dataSource.isInitialized) await dataSource.destroy();
        log.info('nephron stopped');
      })();
      return stopping;
    },
  };
  return server;
}

/**
 * The nephron server: express 5 + Apollo Server 5 for queries and mutations, graphql-ws for subscriptions (./ws.ts),
 * on one http server and one path (/graphql), over a nephron opened by src/app.ts. listen() starts serving; stop()
 * drains HTTP and WebSocket, then closes the nephron (runners, services, PubSub, database).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from 'pino';
import type { Nephron } from '../app';
import { isLoopback, type Config } from '../config';
import type { NephronDataSource } from '../db/data-source';
import type { RunnerHost } from '../runners';
import type { Context } from '../resolvers/context';
import { buildNephronSchema } from '../resolvers';
import { createLoaders } from '../resolvers/loaders';
import type { Services } from '../services';
import { authenticate, type Caller } from './auth';
import { createFormatError } from './format-error';
import { topics, type PubSub } from '../runs';
import { AnswerCache } from './answer-cache';
import type { RouteDeps, RouteInstaller } from './route-deps';
import { ROUTES } from './routes';
import { runStartupTasks } from './startup';
import { emptyBodyForGet, jsonClientErrors, jsonErrorHandler, queryTimeout, requireJsonBody, sourceNestingGuard } from './http-guards';
import { limitsPlugin, MAX_TOKENS } from './limits';
import { MutationRateLimiter, rateKey } from './rate-limit';
import { serveSubscriptions } from './ws';
import { WsSessions } from './ws-sessions';
import { refuseHttpSubscriptions } from './http-subscriptions';
import { HostOriginGuard } from './origin-guard';

export interface NephronServerOptions {
  /** More routes, after ROUTES. */
  routes?: RouteInstaller[];
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

/** HTTP, Apollo and graphql-ws on an opened nephron (src/app.ts); the server owns it from here: stop() closes it. */
export async function createNephronServer(nephron: Nephron, options: NephronServerOptions = {}): Promise<NephronServer> {
  const { config, log, dataSource, pubsub, services, runners } = nephron;
  const answers = config.answerCacheMs > 0 ? new AnswerCache({ ttlMs: config.answerCacheMs, maxEntries: 1000 }) : null;
  if (answers) {
    // every event this process publishes (progress, status, cancellations) may change a cached answer
    pubsub.onPublish(() => answers.invalidate());
    // events of other processes (LISTEN/NOTIFY) arrive without a local publish: runs that moved, tokens revoked
    // elsewhere (whose cached answers must not outlive them here). The subscriptions end when the PubSub closes.
    for (const topic of [topics.allRuns, topics.tokens]) {
      const events = pubsub.subscribe(topic);
      void (async () => {
        for await (const _event of events) answers.invalidate();
      })();
    }
  }
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

  // subscriptions: graphql-ws on the same server and path (./ws.ts); the Host and Origin are checked on the upgrade
  // request, so a refused socket never completes its handshake
  const subscriptions = serveSubscriptions({ httpServer, schema, config, log, formatError, wsSessions, services, makeContext, guard });

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
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await subscriptions.dispose();
            },
          };
        },
      },
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
        await nephron.close(); // services, PubSub, database
        log.info('nephron stopped');
      })();
      return stopping;
    },
  };
  return server;
}

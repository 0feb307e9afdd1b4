/**
 * Subscriptions: graphql-ws on the HTTP server's own port and path (/graphql). A connection is authenticated once,
 * from its connectionParams, with the HTTP API's token rules; an operation is parsed, validated and limited as on
 * HTTP (./ws-operation.ts) and runs under the same deadline; errors are formatted as on HTTP, less extensions.http.
 */
import type http from 'node:http';
import type { GraphQLError, GraphQLSchema, ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Config } from '../config';
import { isTransientDbError } from '../db/transient';
import type { Context } from '../resolvers/context';
import type { Services } from '../services';
import { authenticate, type Caller } from './auth';
import type { HostOriginGuard } from './origin-guard';
import type { createFormatError } from './format-error';
import { refuseServerMessagesFromClients } from './ws-guard';
import { executeWithDeadline, prepareWsOperation } from './ws-operation';
import type { ClosableSocket, WsSessions } from './ws-sessions';

/** WebSocket close code 1013 (RFC 6455 registry: "Try Again Later"). */
export const WS_TRY_AGAIN_LATER = 1013;

export interface SubscriptionDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  config: Config;
  log: Logger;
  formatError: ReturnType<typeof createFormatError>;
  wsSessions: WsSessions;
  services: Pick<Services, 'tokens'>;
  makeContext(caller: Caller, remoteAddress: string | undefined): Context;
  /** Host and Origin checks (./origin-guard.ts): on the upgrade request, and the peer a token-less caller is judged by. */
  guard: HostOriginGuard;
}

/** Starts serving subscriptions; `dispose()` closes every connection (the server's drain calls it). */
export function serveSubscriptions(deps: SubscriptionDeps): { dispose(): void | Promise<void> } {
  const { httpServer, schema, config, log, formatError, wsSessions, services, makeContext, guard } = deps;
  // the Host and Origin are checked on the upgrade request: a refused socket never completes its handshake
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', verifyClient: guard.verifyClient() });
  refuseServerMessagesFromClients(wsServer); // before useServer: sees each message first
  // extensions.http (status, Retry-After) is for HTTP answers only: Apollo strips it there, we strip it here
  const formatWsErrors = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const { http: _http, ...extensions } = (e.extensions ?? {}) as Record<string, unknown>;
      return formatError({ ...e.toJSON(), extensions }, e);
    });
  return useServer<Record<string, unknown>, { caller?: Caller; socket?: unknown; request?: http.IncomingMessage }>(
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
      execute: executeWithDeadline(config.requestTimeoutMs, (operationName) =>
        log.warn({ operationName, ms: config.requestTimeoutMs, transport: 'websocket' }, 'query timed out'),
      ),
      onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors),
      onNext: (_ctx, _id, _payload, _args, result) => {
        const r = result as ExecutionResult;
        if (r.errors?.length) return { ...r, errors: formatWsErrors(r.errors) } as unknown as ExecutionResult;
        return undefined;
      },
    },
    wsServer,
  );
}

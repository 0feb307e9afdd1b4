/**
 * Applies the Host and Origin rules of ./host-origin.ts to every HTTP request (the first middleware after the request
 * log) and to every WebSocket upgrade (ws's verifyClient, so a refused socket never completes its handshake and no
 * graphql-ws message is ever read from it). A refusal is 403 with the API's JSON error shape,
 * `{ errors: [{ message, extensions: { code: FORBIDDEN_HOST | FORBIDDEN_ORIGIN } }] }`, and one `warn` line naming
 * the Host and the Origin.
 *
 * Order: the Host first, then the Origin, because the server's own origin is the one the Host names and in
 * zero-setup mode a Host is only believed once it passed. In token mode the Host is not checked (a rebinding page
 * holds no token; a lab server reached by its name must go on working), and the own origin is whatever name the
 * browser used. Whether the server is in zero-setup mode is asked of the database only for a Host that is not
 * trusted anyway, and only for requests that carry no token (a token decides those, in either mode).
 *
 * Origins on NEPHRON_ALLOWED_ORIGINS also get CORS headers over HTTP (and their preflights an answer), since a
 * dashboard served from another origin cannot read an answer or send JSON without them.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import type { VerifyClientCallbackAsync } from 'ws';
import { hostRefused, type Peer } from './auth';
import { sendJsonError } from './http-guards';
import { isAllowListedOrigin, isTrustedHost, originRefusal, parseHostHeader, type HostOriginPolicy } from '../host-origin';

export interface Refusal {
  code: 'FORBIDDEN_HOST' | 'FORBIDDEN_ORIGIN';
  message: string;
}

const errorBody = (code: string, message: string) => JSON.stringify({ errors: [{ message, extensions: { code } }] });
/** Spelled as ws spells its own default ('Content-Type': 'text/html'), which it would otherwise send as well. */
const WS_JSON = { 'Content-Type': 'application/json' };

const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
  'access-control-max-age': '600',
};

export class HostOriginGuard {
  constructor(
    private readonly policy: HostOriginPolicy,
    /** Whether no API token exists (zero-setup mode); asked only when a Host is untrusted. */
    private readonly zeroSetup: () => Promise<boolean>,
    private readonly log: Logger,
  ) {}

  /** The refusal for these headers, or null. `judgedByToken`: the request carries a token, which decides alone. */
  async check(headers: IncomingHttpHeaders, judgedByToken: boolean): Promise<Refusal | null> {
    const host = parseHostHeader(headers.host);
    if (!isTrustedHost(host, this.policy) && !judgedByToken && (await this.zeroSetup())) {
      return { code: 'FORBIDDEN_HOST', message: hostRefused(headers.host).message };
    }
    const why = originRefusal(headers.origin, host, this.policy);
    return why ? { code: 'FORBIDDEN_ORIGIN', message: why } : null;
  }

  /** The peer facts authenticate() needs (./auth.ts asks the Host again before granting zero-setup ADMIN). */
  peer(req: IncomingMessage | undefined): Peer {
    return { remoteAddress: req?.socket.remoteAddress, hostTrusted: isTrustedHost(parseHostHeader(req?.headers.host), this.policy) };
  }

  middleware(): express.RequestHandler {
    return (req, res, next) => {
      const judgedByToken = typeof req.headers.authorization === 'string' && req.headers.authorization !== '';
      this.check(req.headers, judgedByToken).then((refusal) => {
        if (refusal) {
          this.refused(refusal, req, 'http');
          sendJsonError(res, 403, refusal.code, refusal.message);
          return;
        }
        if (req.headers.origin !== undefined) res.vary('origin');
        if (!isAllowListedOrigin(req.headers.origin, this.policy)) return next();
        res.setHeader('access-control-allow-origin', req.headers.origin!);
        res.setHeader('access-control-expose-headers', 'retry-after');
        if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return next();
        res.set(CORS_PREFLIGHT_HEADERS).status(204).end();
      }, next); // the database could not say whether tokens exist: a 500 from the error handler, never a pass
    };
  }

  /** For `new WebSocketServer({ verifyClient })`: refuses the upgrade (403, JSON body) before the handshake. */
  verifyClient(): VerifyClientCallbackAsync {
    return ({ req }, done) => {
      this.check(req.headers, false).then(
        (refusal) => {
          if (!refusal) return done(true);
          this.refused(refusal, req, 'websocket');
          done(false, 403, errorBody(refusal.code, refusal.message), WS_JSON);
        },
        (e: Error) => {
          this.log.warn({ err: e.message }, 'websocket upgrade deferred: could not tell whether API tokens exist');
          done(false, 503, errorBody('INTERNAL_SERVER_ERROR', 'database unavailable, try again'), WS_JSON);
        },
      );
    };
  }

  private refused(refusal: Refusal, req: IncomingMessage, transport: 'http' | 'websocket'): void {
    const what = refusal.code === 'FORBIDDEN_HOST' ? 'a foreign Host in zero-setup mode' : 'a foreign Origin';
    this.log.warn(
      {
        code: refusal.code,
        host: req.headers.host,
        origin: req.headers.origin,
        transport,
        method: req.method,
        url: req.url,
        remoteAddress: req.socket.remoteAddress,
      },
      `refused a request from ${what}`,
    );
  }
}

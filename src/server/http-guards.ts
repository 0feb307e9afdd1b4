/**
 * The HTTP side of hostile and malformed input on /graphql, around Apollo: a JSON-only body rule, a timeout for
 * queries, and a last error handler so that nothing ever answers with express's HTML error page (which carries a
 * stack trace outside production). Every answer here is GraphQL-shaped JSON: `{ errors: [{ message, extensions:
 * { code } }] }` with BAD_REQUEST (400 malformed JSON, 413 body over the limit, 415 not JSON), TIMEOUT (504) or
 * INTERNAL_SERVER_ERROR (500, message hidden unless NODE_ENV=development).
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import type { Logger } from 'pino';
import { checkSourceNesting, operationType, queryTimeoutError, type OperationLimits } from './limits';

export function sendJsonError(res: express.Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
}

/**
 * POST bodies must be application/json. Anything else (text/plain, forms, multipart) is 415 here rather than a
 * 500 from Apollo about a missing req.body; such "simple" requests are also the ones CSRF relies on.
 */
export function requireJsonBody(): express.RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    res.setHeader('accept', 'application/json');
    sendJsonError(res, 415, 'BAD_REQUEST', `POST /graphql needs content-type application/json, got ${JSON.stringify(req.headers['content-type'] ?? 'none')}`);
  };
}

/** Documents nested too deeply to parse safely are refused before Apollo parses them (./limits.ts). */
export function sourceNestingGuard(limits: OperationLimits): express.RequestHandler {
  return (req, res, next) => {
    const query = req.method === 'GET' ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    const error = typeof query === 'string' ? checkSourceNesting(query, limits) : undefined;
    if (!error) return next();
    const { http: _status, code, ...extensions } = error.extensions as Record<string, unknown>;
    sendJsonError(res, 400, code as string, error.message, extensions);
  };
}

/** GET has no body; Apollo wants req.body to be set (it reads GET operations from the query string). */
export function emptyBodyForGet(): express.RequestHandler {
  return (req, _res, next) => {
    if (req.body === undefined) req.body = {};
    next();
  };
}

/**
 * A query that has not answered after `ms` gets TIMEOUT (504): from a timer while the execution waits (e.g. on the
 * database), or, when the execution kept the event loop busy past the deadline so the timer could not fire, in place
 * of its late answer. graphql-js cannot stop an execution half-way: it finishes in the background and its answer is
 * dropped. Mutations are not timed: they run to completion anyway (a synthetic cohort takes a minute), so a
 * timeout would only mislead. WebSocket operations are not timed either (subscriptions are meant to last).
 */
export function queryTimeout(ms: number, log: Logger): express.RequestHandler {
  return (req, res, next) => {
    if (!isQuery(req)) return next();
    const deadline = performance.now() + ms;
    const send = res.send.bind(res);
    let timedOut = false;
    const timeOut = () => {
      timedOut = true;
      log.warn({ url: req.originalUrl, ms }, 'query timed out');
      res.removeHeader('content-length');
      res.statusCode = 504;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      send(JSON.stringify({ errors: [queryTimeoutError(ms).toJSON()] }));
    };
    res.send = ((body: unknown) => {
      if (timedOut) return res; // the abandoned execution's answer goes nowhere
      if (performance.now() > deadline && !res.headersSent) {
        timeOut();
        return res;
      }
      return send(body);
    }) as typeof res.send;
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      timeOut();
      // Apollo answers later on the same response: let that go nowhere instead of throwing "headers sent"
      res.setHeader = (() => res) as typeof res.setHeader;
    }, ms);
    timer.unref();
    res.once('finish', () => clearTimeout(timer));
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

/** Whether the request will run a query (GET, or a POST whose chosen operation is one); unparsable: treated as one. */
function isQuery(req: express.Request): boolean {
  if (req.method === 'GET') return true;
  const body = req.body as { query?: unknown; operationName?: unknown } | undefined;
  if (typeof body?.query !== 'string') return true;
  // unparsable (null): Apollo answers the parse error at once
  return operationType(body.query, typeof body.operationName === 'string' ? body.operationName : undefined) !== 'mutation';
}

/** Body-parser errors carry `status` and `type`; anything else is ours and is a 500 without details. */
interface HttpError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
  limit?: number;
  expose?: boolean;
}

const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'the request body is not valid JSON',
  'entity.too.large': 'the request body is larger than the limit',
  'encoding.unsupported': 'the request body has an unsupported content-encoding',
  'charset.unsupported': 'the request body has an unsupported charset',
  'request.aborted': 'the request was aborted',
  'request.size.invalid': 'the request body does not match its content-length',
};

/** The last error handler of the app: JSON, never a stack trace (the message only with NODE_ENV=development). */
export function jsonErrorHandler(log: Logger, development: boolean): express.ErrorRequestHandler {
  return (err: HttpError, req, res, next) => {
    if (res.headersSent) {
      log.debug({ err, url: req.originalUrl }, 'error after the answer was sent');
      return; // nothing more can be said on this response; do not tear the connection down
    }
    void next;
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = err.type ? BODY_ERRORS[err.type] : undefined;
      const detail = err.type === 'entity.too.large' && err.limit ? ` (${err.limit} bytes)` : err.type === 'entity.parse.failed' ? `: ${err.message}` : '';
      sendJsonError(res, status, 'BAD_REQUEST', known ? `${known}${detail}` : err.expose === false ? 'bad request' : err.message);
      return;
    }
    log.error({ err, url: req.originalUrl }, 'unhandled error in an HTTP route');
    sendJsonError(res, 500, 'INTERNAL_SERVER_ERROR', development ? err.message : 'Internal server error');
  };
}

/**
 * Requests node's HTTP parser refuses before express sees them (headers over 16 KB, e.g. a long GET query string;
 * a malformed request line) get a JSON error too instead of a bare status line.
 */
export function jsonClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers (or the URL) are larger than 16 KB: POST the query instead']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request was not received in time']
          : [400, 'Bad Request', 'the HTTP request is malformed'];
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

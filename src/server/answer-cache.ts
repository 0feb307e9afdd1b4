/**
 * A short-lived cache of GraphQL query answers, in front of Apollo, for the dashboard's pattern: many browsers asking
 * the same runs page over and over while nothing changed. One execution serves every identical request that arrives
 * while it runs, and its answer serves the same caller for `ttlMs` unless something changed first.
 *
 * Correctness rules:
 * - only POSTed query operations are cached, never mutations (a mutation empties the cache before and after it runs);
 * - the key is the caller's Authorization and Accept headers and the whole request body, so no caller sees another's
 *   answer, and each gets the media type it asked for (application/json or application/graphql-response+json: Apollo
 *   picks the Content-Type from Accept, and graphql-over-HTTP requires it to match);
 * - every event published by this process (run progress, status changes, cancellations) empties the cache, and an
 *   execution that overlapped an invalidation is not stored; changes made by other processes without an event here
 *   are seen after at most `ttlMs`;
 * - answers with errors or a status other than 200 are never stored.
 */
import { createHash } from 'node:crypto';
import type express from 'express';
import { operationType } from './limits';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface AnswerCacheOptions {
  ttlMs: number;
  maxEntries: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, { answer: Answer; expires: number }>();
  private readonly inflight = new Map<string, Promise<Answer | null>>();
  private generation = 0;

  constructor(private readonly options: AnswerCacheOptions = { ttlMs: 1000, maxEntries: 1000 }) {}

  /** Something changed: forget every answer, and do not store the ones being computed. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  middleware(): express.RequestHandler {
    return (req, res, next) => {
      const body = req.body as { query?: unknown; operationName?: unknown } | undefined;
      if (req.method !== 'POST' || !body || typeof body.query !== 'string') return next();
      // only queries are cached; anything else (a mutation, or unparsable: Apollo answers it uncached) empties the cache
      if (operationType(body.query, typeof body.operationName === 'string' ? body.operationName : undefined) !== 'query') {
        this.invalidate();
        res.on('finish', () => this.invalidate());
        return next();
      }
      const key = createHash('sha256')
        .update(req.headers.authorization ?? '')
        .update('\0')
        .update(req.headers.accept ?? '')
        .update('\0')
        .update(JSON.stringify(body))
        .digest('hex');
      const hit = this.entries.get(key);
      if (hit && hit.expires > Date.now()) return send(res, hit.answer);
      const pending = this.inflight.get(key);
      if (pending) {
        pending.then((answer) => (answer ? send(res, answer) : next()), next);
        return;
      }
      const generation = this.generation;
      const computed = capture(res).then((answer) => {
        this.inflight.delete(key);
        if (!answer || answer.status !== 200 || answer.body.includes('"errors"')) return null;
        if (generation === this.generation) this.store(key, answer);
        return answer;
      });
      this.inflight.set(key, computed);
      next();
    };
  }

  private store(key: string, answer: Answer): void {
    if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { answer, expires: Date.now() + this.options.ttlMs });
  }
}

/** Resolves with what Apollo sends on this response (null when it ends without a body we can replay). */
function capture(res: express.Response): Promise<Answer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk) chunks.push(Buffer.from(chunk as Buffer));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'cache-control']) {
        const v = res.getHeader(name);
        if (typeof v === 'string') headers[name] = v;
      }
      resolve({ status: res.statusCode, headers, body: Buffer.concat(chunks) });
      return (end as (...a: unknown[]) => express.Response)(chunk, ...rest);
    }) as typeof res.end;
    res.on('close', () => resolve(null));
  });
}

function send(res: express.Response, answer: Answer): void {
  res.status(answer.status).set(answer.headers).end(answer.body);
}

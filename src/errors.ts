/**
 * Typed GraphQL errors with the codes of api.md. Services throw these; the server's formatError maps everything
 * else (ConfigError, QueryFailedError, EntityNotFoundError, unknown errors) onto the same codes.
 */
import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'FORBIDDEN_HOST'
  | 'FORBIDDEN_ORIGIN'
  | 'CONFLICT'
  | 'NOT_IMPLEMENTED'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, FORBIDDEN_HOST: 403, FORBIDDEN_ORIGIN: 403 };

export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    const status = HTTP_STATUS[code];
    super(message, { extensions: { code, ...extra, ...(status ? { http: { status } } : {}) } });
    this.name = 'AppError';
  }
}

/** Bad input; `field` names the offending argument path, e.g. "input.overrides.clc.epochs" or "first". */
export const badInput = (message: string, field: string) => new AppError('BAD_USER_INPUT', message, { field });
export const notFound = (what: string, id: string) => new AppError('NOT_FOUND', `no ${what} with id ${JSON.stringify(id)}`, { id });
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const notImplemented = (what: string) => new AppError('NOT_IMPLEMENTED', `${what} is not implemented yet in this version of nephron`);
export const unauthenticated = (message = 'a valid API token is required: send "Authorization: Bearer <token>"') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message: string) => new AppError('FORBIDDEN', message);
/**
 * Too many mutations (src/server/rate-limit.ts): HTTP 429 with a Retry-After header, and `retryAfterSeconds` in the
 * extensions for WebSocket callers. `http.headers` is a Map because that is what Apollo merges into the response.
 */
export function rateLimited(message: string, retryAfterSeconds: number): AppError {
  const error = new AppError('RATE_LIMITED', message, { retryAfterSeconds });
  error.extensions.http = { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) };
  return error;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs: anything else cannot name an existing row. */
export const isUuid = (id: string): boolean => UUID.test(id);

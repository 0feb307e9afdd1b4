/**
 * Which database errors mean "unavailable right now, the same statement may well succeed in a moment" (PostgreSQL
 * restarting, a dropped connection, too many clients, a serialization conflict), as opposed to errors that would
 * repeat (a constraint, a syntax error). Used by the runners' retries (src/runners/retry.ts) and by the
 * LISTEN/NOTIFY PubSub (src/runs/pubsub-pg.ts) to keep an event until the connection is back.
 */

/** PostgreSQL SQLSTATEs meaning "try again": connection exceptions, server shutting down or starting, too many clients, serialization. */
const TRANSIENT_SQLSTATES = /^(08...|57P0[123]|53300|40001|40P01)$/;
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTCONN']);
const TRANSIENT_MESSAGES =
  /connection terminated|terminating connection|connection error|not queryable|the database system is (starting up|shutting down|in recovery)|timeout exceeded when trying to connect|connection is closed/i;

/** Whether `e` (a pg or socket error, or one wrapping it) says the database is unavailable for now. */
export function isTransientDbError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const err = cur as { code?: unknown; message?: unknown; driverError?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
    if (typeof err.code === 'string' && (TRANSIENT_CODES.has(err.code) || TRANSIENT_SQLSTATES.test(err.code))) return true;
    if (typeof err.message === 'string' && TRANSIENT_MESSAGES.test(err.message)) return true;
    // a refused connection to a host with several addresses comes as an AggregateError
    if (Array.isArray(err.errors) && err.errors.some(isTransientDbError)) return true;
    // wrapped: TypeORM's QueryFailedError, a GraphQLError (e.g. "Context creation failed: …"), an Error with a cause
    cur = err.driverError ?? err.originalError ?? err.cause;
  }
  return false;
}

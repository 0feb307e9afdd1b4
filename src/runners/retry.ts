/**
 * Riding out a database that goes away for a while (PostgreSQL restarted, a failover, a dropped connection): a
 * runner retries what it must store, with backoff, for as long as it still holds its run's lease. The worker thread
 * simply waits for its call's answer meanwhile, so no epoch is dropped. Past the lease the run is no longer safely
 * ours: the caller gives it up (it is queued again and resumes from its last stored checkpoint).
 *
 * Only errors that say "the connection or the server is unavailable right now" are retried; a constraint violation,
 * a lost lease (RunNotHeldError) or a full disk fails at once. Every retried write is idempotent: a transaction that
 * did not commit is simply redone, one that committed without us hearing it writes the same rows again (metric
 * points are upserts, blobs are content-addressed, lease updates are fenced).
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { isTransientDbError } from '../db/transient';
import type { Execution } from './execution';
import { JOB_CALLS, type JobCall, type JobHandlers } from './protocol';

export interface RetryOptions {
  /** Time (ms since the epoch) after which no attempt starts: the lease's end as far as this process knows. */
  deadline: () => number;
  /** A transient failure that will be retried after `delayMs`. */
  onRetry?: (err: Error, attempt: number, delayMs: number) => void;
  /** The deadline passed with the database still unavailable (just before DatabaseUnavailableError is thrown). */
  onGiveUp?: (err: Error) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Thrown when the deadline passed while the database was still unavailable; `cause` is the last error. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: Error, attempts: number) {
    super(`the database stayed unavailable through ${attempts} attempts until the run's lease ran out: ${cause.message}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work`, again after transient failures (backoff 100 ms doubling to 2 s) until the deadline. */
export async function retryTransient<T>(work: () => Promise<T>, o: RetryOptions): Promise<T> {
  let delay = o.firstDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!isTransientDbError(e)) throw e;
      if (Date.now() + delay >= o.deadline()) {
        o.onGiveUp?.(e as Error);
        throw new DatabaseUnavailableError(e as Error, attempt);
      }
      o.onRetry?.(e as Error, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, o.maxDelayMs ?? 2_000);
    }
  }
}

/** The job's calls (JOB_CALLS: the database and the blob store), each retried as above; the others as they are. */
export function retryingHandlers(
  h: JobHandlers,
  o: Omit<RetryOptions, 'onRetry'> & { onRetry?: (method: string, err: Error, attempt: number) => void },
): JobHandlers {
  const retried = (method: JobCall) => {
    const handler = h[method] as (...args: unknown[]) => Promise<unknown>;
    return (...args: unknown[]) => retryTransient(() => handler(...args), { ...o, onRetry: (err, attempt) => o.onRetry?.(method, err, attempt) });
  };
  return { ...h, ...(Object.fromEntries(JOB_CALLS.map((m) => [m, retried(m)])) as Pick<JobHandlers, JobCall>) };
}

/**
 * The job's database and blob calls of one execution, retried while the database is unavailable and the lease still
 * holds; `events` gets 'retry' (runId, method, message) before each retry.
 */
export function retryingFor(execution: Execution, log: Logger, events: EventEmitter, handlers: JobHandlers): JobHandlers {
  return retryingHandlers(handlers, {
    deadline: () => execution.leaseUntil,
    onRetry: (method, err, attempt) => {
      if (attempt === 1) log.warn({ method, err: err.message }, 'database unavailable: retrying until it is back or the lease runs out');
      events.emit('retry', execution.run.id, method, err.message);
    },
    // the job fails on the error; the run is not at fault: finalState gives it back to the queue
    onGiveUp: () => void (execution.stopReason ??= 'lost'),
  });
}

/** Which database errors a runner waits out, and how long it keeps trying (src/runners/retry.ts). */
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { isTransientDbError } from '../../src/db/transient';
import { DatabaseUnavailableError, retryTransient } from '../../src/runners/retry';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('transient database errors', () => {
  it('tells "unavailable for now" from errors that would repeat', async () => {
    // a real refused connection, as pg reports it
    const client = new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
    const real = await client.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(isTransientDbError(real)).toBe(true);
    expect(isTransientDbError(refused())).toBe(true);
    expect(isTransientDbError(new Error('Connection terminated unexpectedly'))).toBe(true);
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(isTransientDbError(new QueryFailedError('SELECT 1', [], shutdown))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);

    const unique = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    expect(isTransientDbError(new QueryFailedError('INSERT', [], unique))).toBe(false);
    expect(isTransientDbError(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))).toBe(false);
    expect(isTransientDbError(new Error('run x is no longer held by this runner'))).toBe(false);
    expect(isTransientDbError(undefined)).toBe(false);
  });

  it('retries transient failures with backoff until the work succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await retryTransient(
      async () => {
        if (++calls < 4) throw refused();
        return 'stored';
      },
      { deadline: () => Date.now() + 10_000, firstDelayMs: 5, onRetry: (_e, _attempt, ms) => delays.push(ms) },
    );
    expect(value).toBe('stored');
    expect(calls).toBe(4);
    expect(delays).toEqual([5, 10, 20]);
  });

  it('gives up once the next attempt would start past the deadline (the lease), naming the last error', async () => {
    let calls = 0;
    const end = Date.now() + 60;
    const err = await retryTransient(
      async () => {
        calls++;
        throw refused();
      },
      { deadline: () => end, firstDelayMs: 10, maxDelayMs: 20 },
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/lease ran out: connect ECONNREFUSED/);
    expect(Date.now()).toBeLessThan(end + 50);
    expect(calls).toBeGreaterThan(1);
  });

  it('does not retry an error that would repeat', async () => {
    let calls = 0;
    const boom = new Error('value out of range');
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw boom;
        },
        { deadline: () => Date.now() + 10_000 },
      ),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });
});

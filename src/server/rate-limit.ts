/**
 * Token buckets for mutations, one per caller (an API token, or the remote address of a token-less local caller
 * in zero-setup mode). A bucket holds up to `burst` units and refills at `perSecond`; a mutation operation takes one
 * unit per root mutation field, all or nothing, so a refused operation runs none of its mutations.
 *
 * In memory, per process: several `nephron serve` processes each allow the rate (the limit protects a server from a
 * runaway script, it is not a quota). Queries and subscriptions are never limited (the dashboard polls).
 */
import type { MutationRate } from '../config';
import { AppError, rateLimited } from '../errors';

export type { MutationRate };

interface Bucket {
  units: number;
  at: number;
}

/** Above this many callers, full buckets (callers idle long enough to be back at `burst`) are forgotten. */
const PRUNE_ABOVE = 10_000;

export class MutationRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `now` in milliseconds; tests pass a clock they move by hand instead of sleeping. */
  constructor(
    readonly rate: MutationRate,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `cost` units from `key`'s bucket, or throws RATE_LIMITED with the seconds until they are there. */
  take(key: string, cost = 1): void {
    const now = this.now();
    const bucket = this.refilled(key, now);
    if (bucket.units >= cost) {
      bucket.units -= cost;
      return;
    }
    if (cost > this.rate.burst) {
      // it would never pass: say so instead of asking to retry
      throw new AppError('BAD_USER_INPUT', `this operation has ${cost} mutations; at most ${this.rate.burst} may be sent in one operation`);
    }
    const seconds = Math.max(1, Math.ceil((cost - bucket.units) / this.rate.perSecond));
    throw rateLimited(`too many mutations from this caller: ${describeRate(this.rate)} allowed; retry in ${seconds} s`, seconds);
  }

  /** Units left now for `key` (for tests and logs). */
  remaining(key: string): number {
    return Math.floor(this.refilled(key, this.now()).units);
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(now);
      bucket = { units: this.rate.burst, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    // a clock that goes back (tests, NTP) refills nothing rather than draining
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.units = Math.min(this.rate.burst, bucket.units + elapsed * this.rate.perSecond);
    bucket.at = Math.max(bucket.at, now);
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.units + ((now - b.at) / 1000) * this.rate.perSecond >= this.rate.burst) this.buckets.delete(key);
    }
  }
}

/** The bucket of a caller: its token, else its address (only local callers get this far without a token). */
export function rateKey(tokenId: string | null, remoteAddress: string | undefined): string {
  return tokenId ? `token:${tokenId}` : `address:${remoteAddress ?? 'unknown'}`;
}

export function describeRate(rate: MutationRate): string {
  const perMinute = rate.perSecond * 60;
  const text = Number.isInteger(perMinute) ? `${perMinute}/min` : `${rate.perSecond}/s`;
  return `${text} (burst ${rate.burst})`;
}

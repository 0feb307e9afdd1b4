import type { Logger } from 'pino';
import type { Role } from '../schema/enums';
import type { PubSub } from '../runs';
import type { Services } from '../services';
import type { Loaders } from './loaders';

/** What every resolver gets: the caller's role, this request's loaders, the services. */
export interface Context {
  /** null: not authenticated (only possible when tokens are configured). */
  role: Role | null;
  tokenId: string | null;
  services: Services;
  loaders: Loaders;
  pubsub: PubSub;
  log: Logger;
  /** The caller's mutation rate limit (./mutation-quota.ts); absent or null: unlimited. */
  mutationQuota?: { take(cost: number): void } | null;
}

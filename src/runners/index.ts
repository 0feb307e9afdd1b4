/**
 * Starting the runners of a process (`nephron serve` and `nephron worker`): NEPHRON_RUNNERS slots on the
 * services' DataSource, blob store and PubSub, with the lease from NEPHRON_LEASE_SECONDS.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { PubSub } from '../runs';
import { RunnerHost, type RunnerHostOptions } from './host';

export interface RunnerDeps {
  config: Pick<Config, 'runners' | 'leaseSeconds'>;
  dataSource: DataSource;
  services: Pick<RunnerHostOptions, 'blobs' | 'blobAliases'>;
  pubsub: PubSub;
  log: Logger;
  /** Test knobs (job module, poll interval, …). */
  overrides?: Partial<RunnerHostOptions>;
}

/** Starts the runner host, or returns null with NEPHRON_RUNNERS=0. Rejects when a worker's backend cannot start. */
export async function startRunners(d: RunnerDeps): Promise<RunnerHost | null> {
  if (d.config.runners === 0) return null;
  const host = new RunnerHost({
    dataSource: d.dataSource,
    blobs: d.services.blobs,
    blobAliases: d.services.blobAliases,
    pubsub: d.pubsub,
    log: d.log.child({ component: 'runners' }),
    slots: d.config.runners,
    leaseMs: Math.round(d.config.leaseSeconds * 1000),
    ...d.overrides,
  });
  try {
    await host.start();
  } catch (e) {
    await host.stop();
    throw e;
  }
  return host;
}

export { RunnerHost };

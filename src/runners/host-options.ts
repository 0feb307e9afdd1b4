/** What a runner host is built from (./host.ts): the process's database, events and blobs, and its knobs. */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { BlobStore } from '../data/blob-store';
import type { PubSub } from '../runs';

/**
 * Runners a run may lose in a row without storing an epoch before it fails (src/runs/queue.ts `stalls`): a run that
 * kills its process or worker every time must not loop forever.
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface RunnerHostOptions {
  dataSource: DataSource;
  pubsub: PubSub;
  blobs: BlobStore;
  /** Named blobs (caches shared across runs and machines). */
  blobAliases: { read(name: string): Promise<{ key: string } | null>; put(name: string, bytes: Uint8Array): Promise<string> };
  log: Logger;
  /** Runner slots (NEPHRON_RUNNERS). On webgpu slot i trains on GPU adapter i, and slots beyond the adapters are not started. */
  slots: number;
  /** Lease length; the heartbeat renews it every leaseMs / 4. */
  leaseMs?: number;
  pollMs?: number;
  /** Runners lost in a row without an epoch after which a run fails (default DEFAULT_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** How long stop() waits for aborted jobs before terminating their workers. */
  stopGraceMs?: number;
  /** Job module for the workers (default src/runners/jobs); tests use fixtures. */
  jobModule?: string;
  /** Intra-op threads per worker (default: NEPHRON_THREADS, else cores − 1, split among the slots, at least 1). */
  threads?: number;
  /** Old-generation heap limit of each worker thread in MB (default: Node's); beyond it only that worker dies. */
  workerHeapMb?: number;
}

/**
 * Deletes the checkpoint blobs that epochs superseded (RunRecorder.epochEnd answers them), off the epoch's path: the
 * job's next epoch does not wait for the blob store. One delete at a time, in order; the host drains the queue when
 * it stops. Each key is checked against every run's references right before its delete, not only when its epoch
 * was written: in between, a twin run (same config and seed, so the very same bytes under the same content-addressed
 * key) may have stored it as its own checkpoint. A failed delete is logged and dropped: a blob left behind costs
 * disk space, not correctness.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { BlobStore } from '../data/blob-store';
import { runBlobKeys } from '../runs';

export class CheckpointDeleter {
  private queue: { runId: string; key: string }[] = [];
  private working: Promise<void> | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
  ) {}

  /** Queues the deletes and returns at once. */
  add(runId: string, keys: string[]): void {
    if (!keys.length || !this.blobs.delete) return;
    for (const key of keys) this.queue.push({ runId, key });
    // the queue is not empty, so work() awaits before its finally clears `working`
    if (!this.working) this.working = this.work();
  }

  /** Resolves once every delete queued so far (and any queued meanwhile) is done or has failed. */
  async drain(): Promise<void> {
    while (this.working) await this.working;
  }

  private async work(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { runId, key } = next;
        try {
          const rows: unknown[] = await this.ds.query(`SELECT 1 FROM run r WHERE $1 IN (${runBlobKeys('r')}) LIMIT 1`, [key]);
          if (!rows.length) await this.blobs.delete!(key);
        } catch (e) {
          this.log.warn({ runId, key, err: (e as Error).message }, 'superseded checkpoint not deleted');
        }
      }
    } finally {
      // same tick as the loop's last empty check: a key added after it starts a new loop
      this.working = null;
    }
  }
}

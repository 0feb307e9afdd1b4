/**
 * The superseded-checkpoint deleter of the runner host: deletes off the caller's path, in order, and drain() waits
 * for all of them; a key some run refers to again by the time of its delete (a twin run stored the same bytes) stays;
 * a failed delete is logged, not thrown, and does not stop the ones after it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/data/blob-store';
import { CheckpointDeleter } from '../../src/runners/checkpoint-deleter';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { useSeededDatabase } from '../helpers/fixtures';

/** Records warnings (the deleter's only way to report). */
const recordingLog = () => {
  const warnings: Record<string, unknown>[] = [];
  return { warnings, log: { warn: (o: Record<string, unknown>) => warnings.push(o) } as unknown as Logger };
};

describe.each(DB_KINDS)('checkpoint deleter on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    const db = useSeededDatabase(kind);

    const newRun = () =>
      db.services.runs.startFineTuning({
        cohortId: db.cohortId,
        contrast: 'DIXON' as never,
        preset: 'SMOKE' as never,
        seed: 0,
        nLabeled: 2,
        initialization: 'RANDOM' as never,
      });
    const putBlobs = (n: number) => Promise.all(Array.from({ length: n }, () => db.services.blobs.put(randomBytes(256))));
    /** The real blob store with `del` in front of its deletes. */
    const withDelete = (del: (key: string) => Promise<boolean>): BlobStore => {
      const store = db.services.blobs;
      return { put: (b) => store.put(b), get: (k) => store.get(k), has: (k) => store.has(k), delete: del };
    };

    it('deletes in the background; drain() waits; a key a run refers to again stays', async () => {
      const run = await newRun();
      const [a, b, c] = await putBlobs(3);
      // the real store, whose deletes wait for a gate: the caller must not wait for them
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const blobs = withDelete(async (key) => (await gate, db.services.blobs.delete!(key)));
      const { log, warnings } = recordingLog();
      const deleter = new CheckpointDeleter(db.ds, blobs, log);

      deleter.add(run.id, [a, b]);
      // a twin stores b as its checkpoint after the epoch that superseded it
      await db.ds.query(`UPDATE run SET "checkpointBlobKey" = $2 WHERE id = $1`, [run.id, b]);
      deleter.add(run.id, [c]);
      let drained = false;
      const draining = deleter.drain().then(() => (drained = true));
      await new Promise((r) => setTimeout(r, 50));
      expect([drained, await db.services.blobs.has(a), await db.services.blobs.has(c)]).toEqual([false, true, true]);

      open();
      await draining;
      expect([await db.services.blobs.has(a), await db.services.blobs.has(b), await db.services.blobs.has(c)]).toEqual([false, true, false]);
      expect(warnings).toEqual([]);
    });

    it('logs a failed delete and goes on with the next; drain() also waits for keys added while it waits', async () => {
      const run = await newRun();
      const [a, b] = await putBlobs(2);
      const blobs = withDelete(async (key) => {
        if (key === a) throw new Error('disk on fire');
        return db.services.blobs.delete!(key);
      });
      const { log, warnings } = recordingLog();
      const deleter = new CheckpointDeleter(db.ds, blobs, log);
      deleter.add(run.id, [a]);
      const draining = deleter.drain();
      deleter.add(run.id, [b]);
      await draining;
      expect([await db.services.blobs.has(a), await db.services.blobs.has(b)]).toEqual([true, false]);
      expect(warnings).toEqual([expect.objectContaining({ runId: run.id, key: a, err: 'disk on fire' })]);
    });
  });
});

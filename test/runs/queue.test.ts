/** The run queue's SQL on both engines: order, exclusive claims, dependencies, leases, reclaiming, orphans. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunStatus } from '../../src/schema/enums';
import { Run } from '../../src/schema/run.entity';
import { failOrphanedFineTuning, RunQueue } from '../../src/runs/queue';
import { RunRecorder } from '../../src/runs/recorder';
import { InProcessPubSub } from '../../src/runs/pubsub';
import { createServices, type Services } from '../../src/services';
import { DB_KINDS, engineAvailable, testDataSource } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import type { NephronDataSource } from '../../src/db/data-source';

describe.each(DB_KINDS)('run queue on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let ds: NephronDataSource;
    let close: () => Promise<void>;
    let services: Services;
    let queue: RunQueue;
    let cohortId: string;

    beforeAll(async () => {
      ({ ds, close } = await testDataSource(kind));
      const pubsub = new InProcessPubSub();
      services = createServices(ds, pubsub);
      queue = new RunQueue(ds, pubsub);
      cohortId = (await seedCohort(services)).id;
    });
    afterAll(() => close?.());
    // every test starts from an empty queue
    beforeEach(async () => {
      await ds.query(`UPDATE run SET status = 'CANCELLED' WHERE status IN ('QUEUED', 'RUNNING')`);
    });

    const pretrain = () => services.runs.startPretraining({ cohortId, contrast: 'DIXON' as never, preset: 'SMOKE' as never, seed: 0 });
    const finetune = (pretrainRunId?: string) =>
      services.runs.startFineTuning({
        cohortId,
        contrast: 'DIXON' as never,
        preset: 'SMOKE' as never,
        seed: 0,
        nLabeled: 2,
        initialization: (pretrainRunId ? 'CLC' : 'RANDOM') as never,
        pretrainRunId,
      });
    const status = async (id: string) => (await ds.getRepository(Run).findOneByOrFail({ id })).status;

    it('claims the oldest QUEUED run, leased to the claimer, each run once', async () => {
      const a = await pretrain();
      const b = await finetune();
      const [first, second] = await Promise.all([queue.claim('me:0', 60_000), queue.claim('me:1', 60_000)]);
      const none = await queue.claim('me:2', 60_000);
      expect(new Set([first!.id, second!.id])).toEqual(new Set([a.id, b.id]));
      expect(none).toBeNull();
      const claimedA = await ds.getRepository(Run).findOneByOrFail({ id: a.id });
      expect(claimedA).toMatchObject({ status: RunStatus.RUNNING, attempts: 1 });
      expect(claimedA.leaseOwner).toMatch(/^me:[01]$/);
      expect(claimedA.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
      expect(claimedA.startedAt).toBeInstanceOf(Date);
    });

    it('takes runs in queue order', async () => {
      const ids = [(await pretrain()).id, (await finetune()).id, (await pretrain()).id];
      const claimed = [];
      for (let i = 0; i < 3; i++) claimed.push((await queue.claim('me', 60_000))!.id);
      expect(claimed).toEqual(ids);
    });

    it('a CLC fine-tuning run waits for its pretraining run to succeed', async () => {
      const p = await pretrain();
      const f = await finetune(p.id);
      expect((await queue.claim('me', 60_000))!.id).toBe(p.id);
      expect(await queue.claim('me', 60_000)).toBeNull(); // p is RUNNING
      await ds.query(`UPDATE run SET status = 'SUCCEEDED' WHERE id = $1`, [p.id]);
      expect((await queue.claim('me', 60_000))!.id).toBe(f.id);
    });

    it('fails a CLC fine-tuning run whose pretraining failed, with the reason', async () => {
      const p = await pretrain();
      const f = await finetune(p.id);
      const other = await finetune();
      await ds.query(`UPDATE run SET status = 'FAILED', error = 'loss is NaN' WHERE id = $1`, [p.id]);
      const failed = await failOrphanedFineTuning(ds);
      expect(failed.map((r) => r.id)).toEqual([f.id]);
      const row = await ds.getRepository(Run).findOneByOrFail({ id: f.id });
      expect(row.status).toBe(RunStatus.FAILED);
      expect(row.error).toBe(`pretraining run ${p.id} failed: loss is NaN`);
      expect(row.finishedAt).toBeInstanceOf(Date);
      expect(await status(other.id)).toBe(RunStatus.QUEUED);
    });

    it('cancelling a pretraining run fails its queued CLC fine-tuning runs at once', async () => {
      const p = await pretrain();
      const f = await finetune(p.id);
      await services.runs.cancel(p.id);
      const row = await ds.getRepository(Run).findOneByOrFail({ id: f.id });
      expect(row.status).toBe(RunStatus.FAILED);
      expect(row.error).toBe(`pretraining run ${p.id} cancelled`);
    });

    it('renew: held while leased, cancelled after cancelRun, lost once another runner holds it', async () => {
      const r = await pretrain();
      await queue.claim('me', 60_000);
      expect(await queue.renew(r.id, 'me', 60_000)).toBe('held');
      expect(await queue.renew(r.id, 'someone-else', 60_000)).toBe('lost');
      await services.runs.cancel(r.id);
      expect(await queue.renew(r.id, 'me', 60_000)).toBe('cancelled');
      await queue.dropLease(r.id, 'me');
      expect(await queue.renew(r.id, 'me', 60_000)).toBe('lost');
      expect(await status(r.id)).toBe(RunStatus.CANCELLED);
    });

    it('an expired lease goes back to QUEUED with its checkpoint; after maxAttempts the run fails', async () => {
      const r = await pretrain();
      await queue.claim('dead', 60_000);
      await ds.query(`UPDATE run SET "checkpointBlobKey" = 'ck', epoch = 2, "leaseExpiresAt" = now() - interval '1 second' WHERE id = $1`, [r.id]);
      const { requeued, failed } = await queue.reclaimExpired(2);
      expect(requeued.map((x) => x.id)).toEqual([r.id]);
      expect(failed).toEqual([]);
      const back = await ds.getRepository(Run).findOneByOrFail({ id: r.id });
      expect(back).toMatchObject({ status: RunStatus.QUEUED, leaseOwner: null, checkpointBlobKey: 'ck', epoch: 2 });
      expect(await queue.renew(r.id, 'dead', 60_000)).toBe('lost'); // the dead runner cannot write any more

      await queue.claim('dead-again', 60_000);
      await ds.query(`UPDATE run SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = $1`, [r.id]);
      const second = await queue.reclaimExpired(2);
      expect(second.failed.map((x) => x.id)).toEqual([r.id]);
      const row = await ds.getRepository(Run).findOneByOrFail({ id: r.id });
      expect(row.status).toBe(RunStatus.FAILED);
      expect(row.error).toMatch(/stopped answering 2 times.*dead-again/);
    });

    it('a stored epoch between lost runners resets the count: only maxAttempts losses in a row without progress fail a run', async () => {
      const r = await pretrain();
      const expire = () => ds.query(`UPDATE run SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = $1`, [r.id]);
      const recorder = new RunRecorder(ds, new InProcessPubSub(), 'second', 60_000);
      await queue.claim('first', 60_000);
      await expire();
      expect((await queue.reclaimExpired(2)).requeued.map((x) => x.id)).toEqual([r.id]);
      expect(await ds.getRepository(Run).findOneByOrFail({ id: r.id })).toMatchObject({ stalls: 1, attempts: 1 });
      // the next runner stores an epoch before it dies too: progress, so this loss is the first in a row again
      await queue.claim('second', 60_000);
      await recorder.epochEnd(r.id, { epoch: 1, epochs: 3, phase: 'clc', metrics: { clc_loss: 1 }, checkpointKey: 'ck1', bestCheckpointKey: null });
      await expire();
      expect((await queue.reclaimExpired(2)).requeued.map((x) => x.id)).toEqual([r.id]);
      expect(await ds.getRepository(Run).findOneByOrFail({ id: r.id })).toMatchObject({ status: RunStatus.QUEUED, stalls: 1, attempts: 2 });
      // the third dies without storing anything: two in a row
      await queue.claim('third', 60_000);
      await expire();
      expect((await queue.reclaimExpired(2)).failed.map((x) => x.id)).toEqual([r.id]);
      const row = await ds.getRepository(Run).findOneByOrFail({ id: r.id });
      expect(row).toMatchObject({ status: RunStatus.FAILED, attempts: 3, leaseOwner: null });
      expect(row.error).toMatch(/stopped answering 2 times in a row without storing an epoch.*third/);
    });

    it('a worker death counts like a lost runner: queued again until maxAttempts in a row, however many claims before', async () => {
      const r = await pretrain();
      // claimed often before (servers restarted now and then), but progress since: a death now is the first in a row
      await ds.query(`UPDATE run SET attempts = 7 WHERE id = $1`, [r.id]);
      await queue.claim('a', 60_000);
      expect(await queue.requeueAfterDeath(r.id, 'a', 2)).toMatchObject({ status: RunStatus.QUEUED, stalls: 1, leaseOwner: null });
      await queue.claim('b', 60_000);
      expect(await queue.requeueAfterDeath(r.id, 'someone-else', 2)).toBeNull();
      // the second death in a row: still RUNNING and b's, for b to fail it
      expect(await queue.requeueAfterDeath(r.id, 'b', 2)).toMatchObject({ status: RunStatus.RUNNING, stalls: 2, leaseOwner: 'b', attempts: 9 });
    });

    it('release gives a run back without counting an attempt', async () => {
      const r = await pretrain();
      await queue.claim('me', 60_000);
      expect(await queue.release(r.id, 'other')).toBeNull();
      const back = await queue.release(r.id, 'me');
      expect(back).toMatchObject({ id: r.id, status: RunStatus.QUEUED, leaseOwner: null, attempts: 0 });
    });
  });
});

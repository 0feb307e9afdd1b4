/**
 * What the recorder keeps of a run's checkpoints: the last, the one before it (a corrupt last one falls back to it) and
 * the best; a checkpoint superseded twice goes, unless a twin holds it.
 */
import { describe, expect, it } from 'vitest';
import { RunQueue } from '../../src/runs/queue';
import { RunRecorder } from '../../src/runs/recorder';
import { InProcessPubSub } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { useSeededDatabase } from '../helpers/fixtures';

const key = (c: string) => c.repeat(64);

describe.each(DB_KINDS)('run recorder on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    const db = useSeededDatabase(kind);

    const claimedRun = async (owner: string) => {
      await db.ds.query(`UPDATE run SET status = 'CANCELLED' WHERE status IN ('QUEUED', 'RUNNING')`);
      const run = await db.services.runs.startFineTuning({
        cohortId: db.cohortId,
        contrast: 'DIXON' as never,
        preset: 'SMOKE' as never,
        seed: 0,
        nLabeled: 2,
        initialization: 'RANDOM' as never,
      });
      expect((await new RunQueue(db.ds, new InProcessPubSub()).claim(owner, 60_000))!.id).toBe(run.id);
      return { run, recorder: new RunRecorder(db.ds, new InProcessPubSub(), owner, 60_000) };
    };
    const epoch = (n: number, checkpointKey: string, bestCheckpointKey: string | null) => ({
      phase: 'finetune',
      epoch: n,
      epochs: 4,
      metrics: { train_loss: 1 / n },
      checkpointKey,
      bestCheckpointKey,
    });

    it('answers superseded checkpoints, keeping the last, the previous and the best', async () => {
      const { run, recorder } = await claimedRun('rec:0');
      expect((await recorder.epochEnd(run.id, epoch(1, key('a'), key('a')))).superseded).toEqual([]);
      // epoch 2 improves: a (last and best before) is the previous checkpoint now
      expect((await recorder.epochEnd(run.id, epoch(2, key('b'), key('b')))).superseded).toEqual([]);
      // epoch 3 does not improve: a is superseded twice and goes, b stays as the previous and the best
      expect((await recorder.epochEnd(run.id, epoch(3, key('c'), null))).superseded).toEqual([key('a')]);
      // epoch 4: c is the previous, b the best
      expect((await recorder.epochEnd(run.id, epoch(4, key('d'), null))).superseded).toEqual([]);
      // epoch 5: c goes, b stays
      const { superseded, run: row } = await recorder.epochEnd(run.id, epoch(5, key('e'), null));
      expect(superseded).toEqual([key('c')]);
      expect([row.checkpointBlobKey, row.previousCheckpointBlobKey, row.previousCheckpointEpoch, row.bestCheckpointBlobKey]).toEqual([
        key('e'),
        key('d'),
        4,
        key('b'),
      ]);
    });

    it('storing the same epoch again (a retry after a commit whose answer was lost) changes nothing', async () => {
      const { run, recorder } = await claimedRun('rec:2');
      await recorder.epochEnd(run.id, epoch(1, key('g'), key('g')));
      const first = await recorder.epochEnd(run.id, epoch(2, key('h'), null));
      const again = await recorder.epochEnd(run.id, epoch(2, key('h'), null));
      expect(again.superseded).toEqual([]);
      for (const r of [first.run, again.run]) {
        expect([r.epoch, r.checkpointBlobKey, r.previousCheckpointBlobKey, r.previousCheckpointEpoch, r.bestCheckpointBlobKey]).toEqual([
          2,
          key('h'),
          key('g'),
          1,
          key('g'),
        ]);
      }
      const points: { epoch: number }[] = await db.ds.query(`SELECT epoch FROM metric_point WHERE "runId" = $1 ORDER BY epoch`, [run.id]);
      expect(points.map((p) => p.epoch)).toEqual([1, 2]);
      const [summary] = await db.ds.query(`SELECT count FROM metric_summary WHERE "runId" = $1`, [run.id]);
      expect(summary.count).toBe(2);
    });

    it('keeps a checkpoint another run still refers to', async () => {
      const { run, recorder } = await claimedRun('rec:1');
      await recorder.epochEnd(run.id, epoch(1, key('e'), key('e')));
      await recorder.epochEnd(run.id, epoch(2, key('f'), key('f')));
      const twin = await db.services.runs.startFineTuning({
        cohortId: db.cohortId,
        contrast: 'DIXON' as never,
        preset: 'SMOKE' as never,
        seed: 0,
        nLabeled: 2,
        initialization: 'RANDOM' as never,
      });
      await db.ds.query(`UPDATE run SET "checkpointBlobKey" = $1 WHERE id = $2`, [key('e'), twin.id]);
      // e is superseded twice now, but the twin still refers to it
      expect((await recorder.epochEnd(run.id, epoch(3, key('0'), key('0')))).superseded).toEqual([]);
    });
  });
});

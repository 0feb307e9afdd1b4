/**
 * The one-statement epoch write and its group commit (src/runs/epoch-writer.ts): epochs of several runs in one
 * statement are each fenced on their own lease (a run whose lease was taken writes nothing, its neighbours do), a
 * re-sent epoch in a batch changes nothing, two epochs of one run never share a statement, and an epoch that fails
 * for itself fails alone.
 */
import { describe, expect, it } from 'vitest';
import { EpochWriter, writeEpochs, type EpochWrite } from '../../src/runs/epoch-writer';
import { RunQueue } from '../../src/runs/queue';
import { RunNotHeldError, RunRecorder } from '../../src/runs/recorder';
import { InProcessPubSub } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { useSeededDatabase } from '../helpers/fixtures';

const key = (c: string) => c.repeat(64);

describe.each(DB_KINDS)('epoch writer on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    const db = useSeededDatabase(kind);

    /** `n` RUNNING runs, each claimed by its own owner as a runner slot leaves it. */
    const claimedRuns = async (prefix: string, n: number) => {
      await db.ds.query(`UPDATE run SET status = 'CANCELLED' WHERE status IN ('QUEUED', 'RUNNING')`);
      const runs: { id: string; owner: string }[] = [];
      for (let i = 0; i < n; i++) {
        const run = await db.services.runs.startFineTuning({
          cohortId: db.cohortId,
          contrast: 'DIXON' as never,
          preset: 'SMOKE' as never,
          seed: i,
          nLabeled: 2,
          initialization: 'RANDOM' as never,
        });
        const owner = `${prefix}:${i}`;
        expect((await new RunQueue(db.ds, new InProcessPubSub()).claim(owner, 60_000))!.id).toBe(run.id);
        runs.push({ id: run.id, owner });
      }
      return runs;
    };
    const write = (
      run: { id: string; owner: string },
      epoch: number,
      ck: string,
      metrics: Record<string, number> = { loss: 1 / epoch, lr: 0.1 },
    ): EpochWrite => ({
      runId: run.id,
      owner: run.owner,
      leaseMs: 60_000,
      at: new Date(),
      report: { phase: 'finetune', epoch, epochs: 4, metrics, checkpointKey: ck, bestCheckpointKey: null },
    });
    const pointsOf = async (runId: string) =>
      (
        (await db.ds.query(`SELECT name, epoch, value FROM metric_point WHERE "runId" = $1 ORDER BY epoch, name`, [runId])) as {
          name: string;
          epoch: number;
          value: number;
        }[]
      ).map((p) => `${p.name}@${p.epoch}=${p.value}`);
    const countsOf = async (runId: string) =>
      ((await db.ds.query(`SELECT name, count FROM metric_summary WHERE "runId" = $1 ORDER BY name`, [runId])) as { name: string; count: number }[]).map(
        (s) => `${s.name}:${s.count}`,
      );

    it('writes the epochs of several runs in one statement, each fenced on its own lease', async () => {
      const [a, b, c] = await claimedRuns('batch', 3);
      await db.ds.query(`UPDATE run SET "leaseOwner" = 'someone-else' WHERE id = $1`, [c.id]); // c's lease was taken over
      const answers = await writeEpochs(db.ds, [write(a, 1, key('a')), write(b, 1, key('b'), { loss: 2 }), write(c, 1, key('c'))]);
      expect(answers.map((x) => x && [x.row.id, x.row.epoch, x.row.checkpointBlobKey, x.superseded])).toEqual([
        [a.id, 1, key('a'), []],
        [b.id, 1, key('b'), []],
        null,
      ]);
      expect(await pointsOf(a.id)).toEqual(['loss@1=1', 'lr@1=0.1']);
      expect(await pointsOf(b.id)).toEqual(['loss@1=2']);
      // the run not held: nothing written, not even a point
      expect(await pointsOf(c.id)).toEqual([]);
      expect(await countsOf(c.id)).toEqual([]);
      const [row] = await db.ds.query(`SELECT epoch, "checkpointBlobKey" FROM run WHERE id = $1`, [c.id]);
      expect(row).toEqual({ epoch: 0, checkpointBlobKey: null });
      // through the recorder, the same run answers RunNotHeldError
      const recorder = new RunRecorder(db.ds, new InProcessPubSub(), c.owner, 60_000);
      await expect(recorder.epochEnd(c.id, write(c, 1, key('c')).report)).rejects.toBeInstanceOf(RunNotHeldError);

      // a's epoch 1 again (a retry after a lost commit answer) beside b's epoch 2: a changes nothing, b shifts
      const [again, next] = await writeEpochs(db.ds, [write(a, 1, key('a'), { loss: 0.5, lr: 0.1 }), write(b, 2, key('d'), { loss: 1 })]);
      expect([again!.row.checkpointBlobKey, again!.row.previousCheckpointBlobKey, again!.superseded]).toEqual([key('a'), null, []]);
      expect([next!.row.checkpointBlobKey, next!.row.previousCheckpointBlobKey, next!.row.previousCheckpointEpoch]).toEqual([key('d'), key('b'), 1]);
      expect(await pointsOf(a.id)).toEqual(['loss@1=0.5', 'lr@1=0.1']); // replaced, not doubled
      expect(await countsOf(a.id)).toEqual(['loss:1', 'lr:1']);
      expect(await countsOf(b.id)).toEqual(['loss:2']);
    });

    it('answers each checkpoint superseded and unreferenced once, when twin runs drop it in one statement', async () => {
      const [a, b] = await claimedRuns('keys', 2);
      await writeEpochs(db.ds, [write(a, 1, key('1')), write(b, 1, key('1'))]); // twins: the very same checkpoint bytes
      await writeEpochs(db.ds, [write(a, 2, key('2')), write(b, 2, key('3'))]);
      // both drop 1 (superseded twice) in the same statement: it is unreferenced, and reported by one of them only
      const [x, y] = await writeEpochs(db.ds, [write(a, 3, key('4')), write(b, 3, key('5'))]);
      expect([...x!.superseded, ...y!.superseded]).toEqual([key('1')]);
      expect((a.id < b.id ? x : y)!.superseded).toEqual([key('1')]);
      const [u, v] = await writeEpochs(db.ds, [write(a, 4, key('6')), write(b, 4, key('7'))]);
      expect([u!.superseded, v!.superseded]).toEqual([[key('2')], [key('3')]]);
      // a key one run drops (a: 4) and another takes up in the same statement (b: as its best) stays; b drops 5
      const bBest = write(b, 5, key('9'));
      bBest.report.bestCheckpointKey = key('4');
      const [p, q] = await writeEpochs(db.ds, [write(a, 5, key('8')), bBest]);
      expect([p!.superseded, q!.superseded]).toEqual([[], [key('5')]]);
    });

    it('groups what arrives while a statement is in flight, never two epochs of one run together', async () => {
      const [a, b, c] = await claimedRuns('group', 3);
      const writer = new EpochWriter(db.ds);
      // c's write goes at once; a and b queue behind it and go together, a's second epoch in the statement after
      const before = db.ds.queryCounter.count;
      const done = await Promise.all([
        writer.write(write(c, 1, key('c'))),
        writer.write(write(a, 1, key('a'))),
        writer.write(write(b, 1, key('b'))),
        writer.write(write(a, 2, key('e'))),
      ]);
      expect(done.map((d) => d?.row.epoch)).toEqual([1, 1, 1, 2]);
      expect(db.ds.queryCounter.count - before).toBe(3); // c; a1 + b1; a2 (one each would be 4)
      const [row] = await db.ds.query(`SELECT epoch, "checkpointBlobKey", "previousCheckpointBlobKey" FROM run WHERE id = $1`, [a.id]);
      expect(row).toEqual({ epoch: 2, checkpointBlobKey: key('e'), previousCheckpointBlobKey: key('a') });
      expect(await pointsOf(a.id)).toEqual(['loss@1=1', 'lr@1=0.1', 'loss@2=0.5', 'lr@2=0.1']);
      expect(await countsOf(a.id)).toEqual(['loss:2', 'lr:2']);
    });

    it('an epoch that fails for itself fails alone; its neighbours in the statement are written', async () => {
      const [a, b, c] = await claimedRuns('alone', 3);
      const writer = new EpochWriter(db.ds);
      const before = db.ds.queryCounter.count;
      const done = await Promise.allSettled([
        writer.write(write(c, 1, key('c'))),
        writer.write(write(a, 1, key('a'))),
        writer.write(write(b, 2 ** 31, key('b'))), // out of the epoch column's range: its own fault
      ]);
      expect(done.map((d) => d.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect(db.ds.queryCounter.count - before).toBe(4); // c; a + b together, which fails; then a and b alone
      expect(String((done[2] as PromiseRejectedResult).reason)).toMatch(/out of range/);
      expect(await pointsOf(a.id)).toEqual(['loss@1=1', 'lr@1=0.1']);
      expect(await pointsOf(b.id)).toEqual([]);
      expect(await pointsOf(c.id)).toEqual(['loss@1=1', 'lr@1=0.1']);
    });
  });
});

/**
 * recordMetrics (src/runs/metric-writes.ts), the write every runner epoch makes (one statement for points and summaries): one point per
 * metric per epoch, a re-sent epoch replaces its values without counting twice, summaries follow the points; and the
 * read side that relies on those summaries (a series whose count fits maxPoints is read whole, without windows); a
 * rebuild of the summaries from the points (a rewind) agrees with them.
 */
import { describe, expect, it } from 'vitest';
import { rebuildSummaries, recordMetrics } from '../../src/runs/metric-writes';
import { downsample } from '../../src/services/metrics.service';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { useSeededDatabase } from '../helpers/fixtures';

describe.each(DB_KINDS)('metric recording on %s', (kind) => {
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
    const summaries = async (runId: string) =>
      (await db.ds.query(`SELECT name, "lastEpoch", last, min, max, count FROM metric_summary WHERE "runId" = $1 ORDER BY name`, [runId])) as {
        name: string;
        lastEpoch: number;
        last: number;
        min: number;
        max: number;
        count: number;
      }[];

    it('stores one point per metric per epoch and keeps summaries in step', async () => {
      const run = await newRun();
      for (let e = 1; e <= 4; e++) await recordMetrics(db.ds, run.id, e, { loss: 10 - e, lr: e === 2 ? 5 : 1, skipped: Number.NaN });
      const points: { name: string; epoch: number; value: number }[] = await db.ds.query(
        `SELECT name, epoch, value FROM metric_point WHERE "runId" = $1 ORDER BY name, epoch`,
        [run.id],
      );
      expect(points.map((p) => `${p.name}@${p.epoch}=${p.value}`)).toEqual([
        'loss@1=9',
        'loss@2=8',
        'loss@3=7',
        'loss@4=6',
        'lr@1=1',
        'lr@2=5',
        'lr@3=1',
        'lr@4=1',
      ]);
      expect(await summaries(run.id)).toEqual([
        { name: 'loss', lastEpoch: 4, last: 6, min: 6, max: 9, count: 4 },
        { name: 'lr', lastEpoch: 4, last: 1, min: 1, max: 5, count: 4 },
      ]);
    });

    it('re-sending an epoch replaces its values without counting it twice; an older epoch does not move `last`', async () => {
      const run = await newRun();
      await recordMetrics(db.ds, run.id, 1, { loss: 3 });
      await recordMetrics(db.ds, run.id, 2, { loss: 2 });
      await recordMetrics(db.ds, run.id, 2, { loss: 1.5 }); // re-sent (a retried write)
      await recordMetrics(db.ds, run.id, 1, { loss: 4 }); // an older epoch again
      const points: { epoch: number; value: number }[] = await db.ds.query(`SELECT epoch, value FROM metric_point WHERE "runId" = $1 ORDER BY epoch`, [run.id]);
      expect(points).toEqual([
        { epoch: 1, value: 4 },
        { epoch: 2, value: 1.5 },
      ]);
      expect(await summaries(run.id)).toEqual([{ name: 'loss', lastEpoch: 2, last: 1.5, min: 1.5, max: 4, count: 2 }]);
    });

    it('rebuilding the summaries from the points (a rewind) gives the ones the epochs kept', async () => {
      const run = await newRun();
      const value = (e: number, i: number) => Math.round(Math.cos(e * 2.3 + i) * 10) / 10; // ties and ups and downs
      for (const e of [1, 2, 3, 5, 4, 6, 7, 3, 8]) await recordMetrics(db.ds, run.id, e, e === 7 ? { a: value(e, 0) } : { a: value(e, 0), b: value(e, 1) });
      const kept = await summaries(run.id);
      expect(kept.map((s) => [s.name, s.count])).toEqual([
        ['a', 8],
        ['b', 7],
      ]);
      await db.ds.transaction((m) => rebuildSummaries(m, run.id));
      expect(await summaries(run.id)).toEqual(kept);
    });

    it('reads short series whole and downsamples long ones by the reference rule, mixed in one request', async () => {
      const run = await newRun();
      const wave = (e: number) => Math.round(Math.sin(e * 1.7) * 10) / 10; // ties, so the first-extreme rule matters
      for (let e = 1; e <= 30; e++) await recordMetrics(db.ds, run.id, e, e <= 10 ? { short: wave(e), long: wave(e + 3) } : { long: wave(e + 3) });
      for (const maxPoints of [10, 12, 29, 30]) {
        const rows = await db.services.metrics.points([run.id], null, maxPoints);
        const epochs = (name: string) => rows.filter((r) => r.name === name).map((r) => Number(r.epoch));
        expect(epochs('short'), `maxPoints ${maxPoints}`).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
        const long = Array.from({ length: 30 }, (_, i) => ({ epoch: i + 1, value: wave(i + 4) }));
        expect(epochs('long'), `maxPoints ${maxPoints}`).toEqual(downsample(long, maxPoints).map((p) => p.epoch));
      }
      const onlyLong = await db.services.metrics.points([run.id], ['long'], 12);
      expect(new Set(onlyLong.map((r) => r.name))).toEqual(new Set(['long']));
      expect(onlyLong.length).toBeLessThanOrEqual(12);
    });

    it('joins the caller transaction: a rollback leaves neither points nor summaries', async () => {
      const run = await newRun();
      await expect(
        db.ds.transaction(async (m) => {
          await recordMetrics(m, run.id, 1, { loss: 1 }, new Date());
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await db.ds.query(`SELECT 1 FROM metric_point WHERE "runId" = $1`, [run.id])).toEqual([]);
      expect(await summaries(run.id)).toEqual([]);
    });
  });
});

/**
 * A worker thread that dies mid-run (process.exit, an uncaught exception, out of memory beyond its heap limit: the
 * fixture jobs in ./fixtures/crashing-jobs.ts), on both engines, with two runner slots: the run is queued again and resumes
 * from its last checkpoint (a second attempt), the other slot's run trains on untouched, every epoch ends with
 * exactly one point per metric; a run that kills its worker on every attempt fails after maxAttempts, saying so.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerHost } from '../../src/runners/host';
import { Run } from '../../src/schema/run.entity';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import { CRASH_EPOCH } from './fixtures/crashing-jobs';
import { expectEveryMetricAtEveryEpoch } from '../helpers/run-points';

describe.each(DB_KINDS)('worker thread crashes on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let host: RunnerHost;
    let cohortId: string;
    /** What the host did with each run, in order: 'started@<resumeFrom>' and the settled outcomes. */
    const history = new Map<string, string[]>();
    const requeuedAt = new Map<string, number>();
    const deaths = new Map<string, string>();
    const note = (id: string, what: string) => history.set(id, [...(history.get(id) ?? []), what]);
    beforeAll(async () => {
      t = await startTestServer(
        kind,
        { NEPHRON_RUNNERS: '2', NEPHRON_LEASE_SECONDS: '5', NEPHRON_WASM_THREADS: '1' },
        {
          runners: { pollMs: 200, jobModule: path.join(__dirname, 'fixtures', 'crashing-jobs.ts'), workerHeapMb: 192 },
        },
      );
      host = t.server.runners!;
      host.on('died', (id: string, error: string) => deaths.set(id, error));
      host.on('started', (id: string, s: { resumeFrom: number | null }) => note(id, `started@${s.resumeFrom ?? 0}`));
      host.on('settled', (id: string, how: string) => {
        note(id, how);
        if (how === 'requeued') requeuedAt.set(id, Date.now());
      });
      cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "crash", subjects: 5, seed: 4, size: 32, slices: 4 }) { id } }`))
        .createSyntheticCohort.id;
    }, 60_000);
    afterAll(() => t?.stop());

    const finetune = async (seed: number, epochs: number) =>
      (
        await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id epochs } }`, {
          i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed, initialization: 'RANDOM', nLabeled: 1, overrides: { finetune: { epochs } } },
        })
      ).startFineTuning as { id: string; epochs: number };
    const row = (id: string) => t.server.dataSource.getRepository(Run).findOneByOrFail({ id });
    const finished = (id: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!(history.get(id) ?? []).some((h) => ['succeeded', 'failed', 'cancelled'].includes(h))) return;
          host.off('settled', check);
          resolve();
        };
        host.on('settled', check);
        check();
      });
    /** Every epoch 1..last has exactly one point of each metric, and the summaries count exactly those points. */
    it('exit, uncaught exception, out of memory: re-queued, resumed from the last checkpoint; the other slot trains on', async () => {
      const steady = await finetune(5, 6); // slot 0
      const crashing = [await finetune(801, 3), await finetune(802, 3), await finetune(803, 3)];
      await Promise.all([steady, ...crashing].map((r) => finished(r.id)));

      for (const r of crashing) {
        // died while reporting CRASH_EPOCH: resumed after the epoch before it, on a fresh worker
        expect(history.get(r.id)).toEqual(['started@0', 'requeued', `started@${CRASH_EPOCH - 1}`, 'succeeded']);
        expect(await row(r.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, epoch: 3, error: null, leaseOwner: null });
        await expectEveryMetricAtEveryEpoch(t.server.dataSource, r.id, 3);
      }
      expect(crashing.map((r) => deaths.get(r.id))).toEqual([
        'runner worker died: exit code 3',
        'runner worker died: worker bug: undefined is not a function',
        expect.stringMatching(/^runner worker died: .*(out of memory|memory limit)/),
      ]);
      // never interrupted: one attempt, every epoch once
      expect(history.get(steady.id)).toEqual(['started@0', 'succeeded']);
      expect(await row(steady.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, epoch: 6 });
      await expectEveryMetricAtEveryEpoch(t.server.dataSource, steady.id, 6);
      // and it was training while the first crash happened beside it
      const [first, last]: { at: Date }[] = await t.server.dataSource.query(
        `SELECT min(at) AS at FROM metric_point WHERE "runId" = $1 UNION ALL SELECT max(at) FROM metric_point WHERE "runId" = $1`,
        [steady.id],
      );
      expect(first.at.getTime()).toBeLessThan(requeuedAt.get(crashing[0].id)!);
      expect(last.at.getTime()).toBeGreaterThan(requeuedAt.get(crashing[0].id)!);
    }, 50_000);

    it('a run that kills its worker on every attempt fails after maxAttempts with a clear message', async () => {
      const r = await finetune(804, 3);
      await finished(r.id);
      expect(history.get(r.id)).toEqual(['started@0', 'requeued', 'started@1', 'requeued', 'started@1', 'failed']);
      const failed = await row(r.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 3, epoch: 1, leaseOwner: null });
      expect(failed.error).toBe('runner worker died: exit code 3 (attempt 3 of 3: no retries left)');
      await expectEveryMetricAtEveryEpoch(t.server.dataSource, r.id, 1);
      // the slots still work
      const after = await finetune(6, 2);
      await finished(after.id);
      expect((await row(after.id)).status).toBe('SUCCEEDED');
    }, 40_000);
  });
});

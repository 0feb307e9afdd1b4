/**
 * The runner host with the real jobs on SMOKE, on both engines: cancelling QUEUED and RUNNING runs, a job that
 * diverges, a CLC fine-tuning run whose pretraining failed, a worker thread that dies, and a graceful stop that
 * gives the running run back to the queue.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerHost } from '../../src/runners/host';
import { Run } from '../../src/schema/run.entity';
import { topics } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { status epoch epochs metrics { name } } }`;

describe.each(DB_KINDS)('runner host on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let host: RunnerHost;
    let cohortId: string;
    beforeAll(async () => {
      t = await startTestServer(
        kind,
        { NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '5' },
        { runners: { pollMs: 500, jobModule: path.join(__dirname, 'fixtures', 'dying-jobs.ts') } },
      );
      host = t.server.runners!;
      // a run whose worker died is queued again ('requeued'): wait for how it ends
      host.prependListener('settled', (runId: string, how: string) => how !== 'requeued' && outcomes.set(runId, how));
      cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "host", subjects: 5, seed: 4, size: 32, slices: 4 }) { id } }`))
        .createSyntheticCohort.id;
    }, 120_000);
    afterAll(() => t?.stop());

    const base = () => ({ cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 1 });
    const pretrain = async (input: Record<string, unknown> = {}) =>
      (await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id epochs } }`, { i: { ...base(), ...input } })).startPretraining as {
        id: string;
        epochs: number;
      };
    const finetune = async (input: Record<string, unknown> = {}) =>
      (
        await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id epochs } }`, {
          i: { ...base(), initialization: 'RANDOM', nLabeled: 1, ...input },
        })
      ).startFineTuning as { id: string; epochs: number };
    const row = (id: string) => t.server.dataSource.getRepository(Run).findOneByOrFail({ id });
    /** Resolves when the host is done with the run (it emits 'settled'; recorded from the start, so none is missed). */
    const outcomes = new Map<string, string>();
    const settled = (id: string) =>
      new Promise<string>((resolve) => {
        const check = () => {
          if (!outcomes.has(id)) return;
          host.off('settled', check);
          resolve(outcomes.get(id)!);
        };
        host.on('settled', check);
        check();
      });
    const points = async (id: string) =>
      (await t.server.dataSource.query(`SELECT name, epoch FROM metric_point WHERE "runId" = $1 ORDER BY name, epoch`, [id])) as {
        name: string;
        epoch: number;
      }[];

    it('cancels a RUNNING run within one batch (partial metrics kept) and never starts a cancelled QUEUED one', async () => {
      const running = await pretrain({ overrides: { clc: { epochs: 8 } } });
      const queued = await finetune();
      const ws = await t.ws();
      const sub = ws.subscribe(PROGRESS, { id: running.id });
      await t.pubsub.waitForSubscribers(topics.run(running.id));
      const done = settled(running.id);
      const first = await sub.waitForNext((e) => e.runProgress.metrics.length > 0);
      // the QUEUED one first: cancelling the running one frees the slot, and a fast engine (native) claims the next
      // run before a second mutation could land; cancelled while it waits, it must never start once the slot frees
      await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: queued.id });
      await t.ok(`mutation($id: ID!) { a: cancelRun(id: $id) { status } }`, { id: running.id });
      expect(await done).toBe('cancelled');

      const r = await row(running.id);
      expect(r).toMatchObject({ status: 'CANCELLED', leaseOwner: null });
      // at most the epoch in flight when the cancel arrived was recorded after it
      expect(r.epoch).toBeGreaterThanOrEqual(first.runProgress.epoch);
      expect(r.epoch).toBeLessThanOrEqual(first.runProgress.epoch + 1);
      expect(r.epoch).toBeLessThan(running.epochs);
      const kept = await points(running.id);
      expect(new Set(kept.map((p) => p.epoch))).toEqual(new Set(Array.from({ length: r.epoch }, (_, i) => i + 1)));

      const q = await row(queued.id);
      expect(q).toMatchObject({ status: 'CANCELLED', startedAt: null, epoch: 0 });
      expect(await points(queued.id)).toEqual([]);
    }, 120_000);

    it('a diverging job fails with a readable error; its queued CLC fine-tuning run fails naming it', async () => {
      const bad = await pretrain({ overrides: { global: { lr: 1e30 }, clc: { lr: 1e30 } } });
      const dependant = await finetune({ initialization: 'CLC', pretrainRunId: bad.id });
      const unrelated = await finetune({ seed: 2 });
      const done = settled(bad.id);
      const after = settled(unrelated.id);
      expect(await done).toBe('failed');
      const r = await row(bad.id);
      expect(r.status).toBe('FAILED');
      expect(r.error).toMatch(/NaN|Infinity|diverg/);
      expect(r.error).not.toMatch(/\n\s+at /); // no stack trace
      const d = await row(dependant.id);
      expect(d).toMatchObject({ status: 'FAILED', startedAt: null });
      expect(d.error).toBe(`pretraining run ${bad.id} failed: ${r.error}`);
      // the runner goes on with the next run
      expect(await after).toBe('succeeded');
    }, 120_000);

    it('a runner whose lease was taken over stops the job and leaves the run to its new holder', async () => {
      const run = await pretrain({ seed: 9, overrides: { clc: { epochs: 8 } } });
      const ws = await t.ws();
      const sub = ws.subscribe(PROGRESS, { id: run.id });
      await t.pubsub.waitForSubscribers(topics.run(run.id));
      const done = settled(run.id);
      await sub.waitForNext((e) => e.runProgress.metrics.length > 0);
      // as if this process had stalled past its lease and another runner had claimed the run
      await t.server.dataSource.query(`UPDATE run SET "leaseOwner" = 'elsewhere:1' WHERE id = $1`, [run.id]);
      const before = await row(run.id);
      expect(await done).toBe('lost');
      const after = await row(run.id);
      expect(after).toMatchObject({
        status: 'RUNNING',
        leaseOwner: 'elsewhere:1',
        epoch: before.epoch,
        checkpointBlobKey: before.checkpointBlobKey,
        error: null,
      });
      await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: run.id }); // tidy: nobody runs it
    }, 120_000);

    it('a worker that dies on every attempt fails its run after three; the slot gets a fresh worker for the next one', async () => {
      const exits = await finetune({ seed: 666 });
      const throws = await finetune({ seed: 667 });
      const next = await finetune({ seed: 3 });
      const [a, b, c] = [settled(exits.id), settled(throws.id), settled(next.id)];
      expect(await a).toBe('failed');
      expect(await row(exits.id)).toMatchObject({ attempts: 3, error: 'runner worker died: exit code 3 (attempt 3 of 3: no retries left)' });
      expect(await b).toBe('failed');
      expect((await row(throws.id)).error).toBe('runner worker died: RangeError: Array buffer allocation failed (attempt 3 of 3: no retries left)');
      expect(await c).toBe('succeeded');
      expect((await row(next.id)).status).toBe('SUCCEEDED');
    }, 120_000);
  });
});

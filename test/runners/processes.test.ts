/**
 * Runners in other processes (`nephron worker`) on one PostgreSQL, watched through the API of this process over
 * LISTEN/NOTIFY: a graceful SIGTERM gives the run back, a kill -9 mid-run is resumed from its checkpoint by another
 * process, and two workers execute each of 10 queued runs exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Run } from '../../src/schema/run.entity';
import { topics } from '../../src/runs/pubsub';
import { engineAvailable, freshPostgresDatabase } from '../helpers/db';
import { startNephron, type NephronProcess } from '../helpers/processes';
import { startTestServer, type TestServer } from '../helpers/server';
import type { TestSubscription } from '../helpers/ws';

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { status epoch epochs metrics { name } at } }`;

type WorkerProcess = NephronProcess;

/** `nephron worker` from the TypeScript sources, logging JSON lines we can wait on. */
function startWorker(databaseUrl: string): WorkerProcess {
  return startNephron('worker', { DATABASE_URL: databaseUrl });
}

describe.skipIf(!engineAvailable('postgres'))('runner processes on one PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let t: TestServer;
  let cohortId: string;
  const workers: WorkerProcess[] = [];
  const worker = () => {
    const w = startWorker(db.url);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    t = await startTestServer('postgres', {}, { databaseUrl: db.url }); // the API, no runners here
    cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "procs", subjects: 5, seed: 8, size: 32, slices: 4 }) { id } }`))
      .createSyntheticCohort.id;
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await t?.stop();
    await db?.drop();
  });

  const row = (id: string) => t.server.dataSource.getRepository(Run).findOneByOrFail({ id });
  const startPretraining = async (clcEpochs: number) =>
    (
      await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id epochs } }`, {
        i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 5, overrides: { clc: { epochs: clcEpochs } } },
      })
    ).startPretraining as { id: string; epochs: number };
  const subscribe = async (runId: string): Promise<TestSubscription> => {
    const sub = (await t.ws()).subscribe(PROGRESS, { id: runId });
    await (t.pubsub as { waitForSubscribers(topic: string): Promise<void> }).waitForSubscribers(topics.run(runId));
    return sub;
  };
  const epochEvent = (sub: TestSubscription, min: number) =>
    sub.waitForNext((e) => e.runProgress.status === 'RUNNING' && e.runProgress.metrics.length > 0 && e.runProgress.epoch >= min);

  it('SIGTERM: the worker gives its running run back to the queue (checkpoint kept) and exits within 10 s', async () => {
    const run = await startPretraining(6);
    const sub = await subscribe(run.id);
    const w = worker();
    await epochEvent(sub, 1);
    const sent = Date.now();
    w.child.kill('SIGTERM');
    const { code } = await w.exited;
    expect(code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(10_000);
    await sub.waitForNext((e) => e.runProgress.status === 'QUEUED');
    const r = await row(run.id);
    expect(r).toMatchObject({ status: 'QUEUED', leaseOwner: null, leaseExpiresAt: null, attempts: 0 });
    expect(r.epoch).toBeGreaterThanOrEqual(1);
    expect(r.checkpointBlobKey).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('kill -9 mid-run: another process resumes from the checkpoint; epochs contiguous, no point redone or missing', async () => {
    await t.server.dataSource.query(`UPDATE run SET status = 'CANCELLED' WHERE status = 'QUEUED'`); // the run above
    const run = await startPretraining(6);
    const sub = await subscribe(run.id);
    const first = worker();
    const seen = await epochEvent(sub, 2);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const before = await row(run.id);
    expect(before.status).toBe('RUNNING'); // nobody knows yet: the lease runs out

    const second = worker();
    const end = await sub.waitForNext((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runProgress.status));
    expect(end.runProgress.status).toBe('SUCCEEDED');
    expect(second.logs.find((l) => l.msg === 'run started' && l.runId === run.id)?.resumeFrom).toBe(before.epoch);

    const r = await row(run.id);
    expect(r).toMatchObject({ status: 'SUCCEEDED', epoch: run.epochs, attempts: 2, leaseOwner: null });
    const points: { name: string; epoch: number; at: Date }[] = await t.server.dataSource.query(
      `SELECT name, epoch, at FROM metric_point WHERE "runId" = $1 ORDER BY name, epoch`,
      [run.id],
    );
    const summaries: { name: string; count: number }[] = await t.server.dataSource.query(`SELECT name, count FROM metric_summary WHERE "runId" = $1`, [run.id]);
    for (const name of ['global_loss', 'clc_loss', 'val_clc_loss', 'lr']) {
      const epochs = points.filter((p) => p.name === name).map((p) => p.epoch);
      expect(epochs.length).toBeGreaterThan(0);
      // contiguous from the metric's first epoch to the last of the run
      expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => epochs[0] + i));
    }
    expect(Math.max(...points.map((p) => p.epoch))).toBe(run.epochs);
    // each point written once: the summary counts fresh inserts only, and nothing before the kill was recomputed
    for (const s of summaries) expect(s.count).toBe(points.filter((p) => p.name === s.name).length);
    for (const p of points.filter((p) => p.epoch <= seen.runProgress.epoch)) expect(p.at.getTime()).toBeLessThan(killedAt);
    // events: strictly increasing epochs across both processes
    const epochs = sub.events
      .map((e) => e.runProgress)
      .filter((e) => e.metrics.length)
      .map((e) => e.epoch);
    expect(epochs).toEqual([...new Set(epochs)].sort((a, b) => a - b));
  }, 180_000);

  it('two worker processes and 10 queued runs: each run executes exactly once', async () => {
    const other = worker();
    await other.waitForLog((l) => l.msg === 'nephron worker running');
    // subscribed before the runs exist: a SMOKE run may finish before a later subscription is in place
    const all = (await t.ws()).subscribe(`subscription { runEvents { runId status } }`);
    await (t.pubsub as { waitForSubscribers(topic: string): Promise<void> }).waitForSubscribers(topics.allRuns);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(
        (
          await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, {
            i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 100 + i, initialization: 'RANDOM', nLabeled: 1 },
          })
        ).startFineTuning.id,
      );
    }
    const finished = new Set<string>();
    while (finished.size < ids.length) {
      const e = await all.waitForNext((x) => ids.includes(x.runEvents.runId) && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.runEvents.status));
      finished.add(e.runEvents.runId);
    }
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(live).toHaveLength(2);
    const starts = live.flatMap((w, i) =>
      w.logs.filter((l) => l.msg === 'run started' && ids.includes(l.runId)).map((l) => ({ runId: l.runId as string, worker: i })),
    );
    expect(starts.map((s) => s.runId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await row(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    console.log(`[runners] 10 runs over 2 processes: ${live.map((_, i) => starts.filter((s) => s.worker === i).length).join(' + ')}`);
  }, 240_000);
});

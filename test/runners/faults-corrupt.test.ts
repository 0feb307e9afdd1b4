/**
 * A corrupt checkpoint blob (bytes flipped where it is stored), on the file store (embedded PGlite on disk) and on
 * the PostgreSQL bytea store: a runner trains a run to epoch E and is stopped (the run goes back to the queue), the
 * checkpoint is damaged, a second runner resumes. Its hash gives it away; the run restarts from the checkpoint
 * before (epoch E − 1), or from scratch when that one is damaged too, says so, and ends with exactly one metric point
 * per epoch and metric, the epochs trained again written anew.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptBlobError, FileBlobStore } from '../../src/data/blob-store';
import { resumePoint } from '../../src/runners/checkpoints';
import { RunnerHost } from '../../src/runners/host';
import { recordMetrics, RunQueue, RunRecorder } from '../../src/runs';
import { Run } from '../../src/schema/run.entity';
import type { RunProgress } from '../../src/schema/types';
import { createLogger } from '../../src/logger';
import { topics } from '../../src/runs/pubsub';
import { engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import { expectEveryMetricAtEveryEpoch } from '../helpers/run-points';

const STORES = [
  { store: 'file', kind: 'pglite' as const },
  { store: 'bytea', kind: 'postgres' as const },
];

describe.each(STORES)('corrupt checkpoint on the $store store', ({ store, kind }) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let dataDir: string;
    let cohortId: string;
    beforeAll(async () => {
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nephron-corrupt-'));
      // file: embedded PGlite on disk, whose blobs are files; bytea: a fresh PostgreSQL database, blobs in its table
      const env: Record<string, string> = store === 'file' ? { DATABASE_URL: '', NEPHRON_DATA_DIR: dataDir } : {};
      t = await startTestServer(kind, env);
      expect(t.server.services.blobs instanceof FileBlobStore).toBe(store === 'file');
      cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "corrupt", subjects: 5, seed: 4, size: 32, slices: 4 }) { id } }`))
        .createSyntheticCohort.id;
    }, 40_000);
    afterAll(async () => {
      await t?.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    /** A runner host of its own (the server has none), so the test decides when runs train. */
    const startHost = async () => {
      const s = t.server;
      const host = new RunnerHost({
        dataSource: s.dataSource,
        pubsub: s.pubsub,
        blobs: s.services.blobs,
        blobAliases: s.services.blobAliases,
        log: createLogger('warn'),
        slots: 1,
        leaseMs: 5_000,
        pollMs: 200,
        threads: 1,
      });
      await host.start();
      return host;
    };
    const row = (id: string) => t.server.dataSource.getRepository(Run).findOneByOrFail({ id });

    /** Flips bytes in the middle of a stored blob, as a bad disk or a bad copy would. */
    const corrupt = async (key: string) => {
      const blobs = t.server.services.blobs;
      if (blobs instanceof FileBlobStore) {
        const file = blobs.pathOf(key);
        const bytes = await fs.readFile(file);
        for (let i = 0; i < 8; i++) bytes[(bytes.length >> 1) + i] ^= 0xff;
        await fs.writeFile(file, bytes);
      } else {
        await t.server.dataSource.query(`UPDATE blob SET data = set_byte(data, length(data) / 2, get_byte(data, length(data) / 2) # 255) WHERE key = $1`, [
          key,
        ]);
      }
      await expect(blobs.get(key)).rejects.toBeInstanceOf(CorruptBlobError);
    };

    /** Trains a fresh run to at least epoch 3, then stops the runner: the run is QUEUED with two checkpoints. */
    const trainedThenStopped = async (seed: number) => {
      const run = (
        await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id epochs } }`, {
          i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed, initialization: 'RANDOM', nLabeled: 1, overrides: { finetune: { epochs: 8 } } },
        })
      ).startFineTuning as { id: string; epochs: number };
      const events = t.server.pubsub.subscribe<RunProgress>(topics.run(run.id));
      const host = await startHost();
      for await (const e of events) if (e.epoch >= 3) break;
      await events.return?.();
      await host.stop();
      const r = await row(run.id);
      expect(r).toMatchObject({ status: 'QUEUED', previousCheckpointEpoch: r.epoch - 1 });
      expect(r.epoch).toBeLessThan(run.epochs);
      return r;
    };

    /** A second runner resumes the run to its end; what the host said about it. */
    const resumed = async (id: string) => {
      const host = await startHost();
      const said = { started: [] as (number | null)[], recovered: [] as string[], settled: [] as string[] };
      host.on('started', (runId: string, s: { resumeFrom: number | null }) => runId === id && said.started.push(s.resumeFrom));
      host.on('recovered', (runId: string, message: string) => runId === id && said.recovered.push(message));
      await new Promise<void>((resolve) =>
        host.on('settled', (runId: string, how: string) => {
          if (runId !== id) return;
          said.settled.push(how);
          resolve();
        }),
      );
      await host.stop();
      return said;
    };

    /** Every epoch 1..last has exactly one point of each metric, and the summaries count exactly those points. */
    const pointTimes = async (id: string) =>
      (await t.server.dataSource.query(`SELECT epoch, at FROM metric_point WHERE "runId" = $1`, [id])) as { epoch: number; at: Date }[];

    it('a corrupt named cache blob (constraint maps) is a cache miss, removed, then stored again', async () => {
      const aliases = t.server.services.blobAliases;
      const bytes = new TextEncoder().encode('constraint maps of one subject '.repeat(64));
      const key = await aliases.put('test-cache/corrupt', bytes);
      expect(await aliases.read('test-cache/corrupt')).toEqual({ key, bytes: expect.anything() });
      await corrupt(key);
      expect(await aliases.read('test-cache/corrupt')).toBeNull();
      expect(await t.server.services.blobs.has(key)).toBe(false);
      // the rebuilt bytes land under the same content key, intact
      expect(await aliases.put('test-cache/corrupt', bytes)).toBe(key);
      const again = await aliases.read('test-cache/corrupt');
      expect(again?.key).toBe(key);
      expect(new Uint8Array(again!.bytes)).toEqual(bytes);
    });

    it('the last checkpoint is corrupt: the run resumes from the one before and trains that epoch again', async () => {
      const r = await trainedThenStopped(21);
      const e = r.epoch;
      await corrupt(r.checkpointBlobKey!);
      const damagedAt = new Date();
      const said = await resumed(r.id);
      expect(said.started).toEqual([e - 1]);
      expect(said.settled).toEqual(['succeeded']);
      expect(said.recovered).toHaveLength(1);
      expect(said.recovered[0]).toContain(`the last checkpoint (epoch ${e}, blob ${r.checkpointBlobKey!.slice(0, 12)}…) is corrupt`);
      expect(said.recovered[0]).toContain(`resuming from epoch ${e - 1}`);

      expect(await row(r.id)).toMatchObject({ status: 'SUCCEEDED', epoch: 8, attempts: 1 });
      await expectEveryMetricAtEveryEpoch(t.server.dataSource, r.id, 8);
      // epochs up to E − 1 kept from the first runner, epoch E onwards written again after the damage
      for (const p of await pointTimes(r.id)) expect(p.at.getTime() < damagedAt.getTime()).toBe(p.epoch < e);
      // the damaged copy is gone: none of the run's blobs is corrupt now
      const after = await row(r.id);
      for (const key of [after.checkpointBlobKey, after.previousCheckpointBlobKey, after.weightsBlobKey]) await t.server.services.blobs.get(key!);
    }, 30_000);

    it('the previous checkpoint is corrupt too: the run restarts from scratch instead of failing', async () => {
      const r = await trainedThenStopped(22);
      await corrupt(r.checkpointBlobKey!);
      await corrupt(r.previousCheckpointBlobKey!);
      const damagedAt = new Date();
      const said = await resumed(r.id);
      expect(said.started).toEqual([null]);
      expect(said.settled).toEqual(['succeeded']);
      expect(said.recovered[0]).toMatch(
        /the last checkpoint .* is corrupt .*; the previous checkpoint .* is corrupt .*: no usable checkpoint is left: restarting from scratch/,
      );

      expect(await row(r.id)).toMatchObject({ status: 'SUCCEEDED', epoch: 8 });
      await expectEveryMetricAtEveryEpoch(t.server.dataSource, r.id, 8);
      for (const p of await pointTimes(r.id)) expect(p.at.getTime()).toBeGreaterThan(damagedAt.getTime());
    }, 30_000);

    it('rewinding drops the points after the resume epoch and recomputes the summaries from the rest', async () => {
      const { id } = (
        await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, {
          i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 23, initialization: 'RANDOM', nLabeled: 1 },
        })
      ).startFineTuning;
      const ds = t.server.dataSource;
      const run = (await new RunQueue(ds, t.server.pubsub).claim('test:0', 60_000))!;
      expect(run.id).toBe(id);
      const blobs = t.server.services.blobs;
      const previous = await blobs.put(new Uint8Array([1, 2, 3, 4]));
      const last = await blobs.put(new Uint8Array([5, 6, 7, 8, 9, 10, 11, 12]));
      for (const [epoch, loss] of [
        [1, 0.9],
        [2, 0.5],
        [3, 0.1],
      ])
        await recordMetrics(ds, id, epoch, { train_loss: loss });
      await ds.query(`UPDATE run SET epoch = 3, "checkpointBlobKey" = $2, "previousCheckpointBlobKey" = $3, "previousCheckpointEpoch" = 2 WHERE id = $1`, [
        id,
        last,
        previous,
      ]);
      await corrupt(last);

      const point = await resumePoint(new RunRecorder(ds, t.pubsub, 'test:0', 60_000), blobs, await row(id));
      expect(point).toMatchObject({ key: previous, epoch: 2 });
      expect([...point.bytes!]).toEqual([1, 2, 3, 4]);
      expect(await row(id)).toMatchObject({ epoch: 2, checkpointBlobKey: previous, previousCheckpointBlobKey: null, previousCheckpointEpoch: null });
      expect(await blobs.has(last)).toBe(false); // removed, so the same bytes computed again are stored again
      expect(await ds.query(`SELECT epoch, value FROM metric_point WHERE "runId" = $1 ORDER BY epoch`, [id])).toEqual([
        { epoch: 1, value: 0.9 },
        { epoch: 2, value: 0.5 },
      ]);
      expect(await ds.query(`SELECT "lastEpoch", last, min, max, count FROM metric_summary WHERE "runId" = $1`, [id])).toEqual([
        { lastEpoch: 2, last: 0.5, min: 0.5, max: 0.9, count: 2 },
      ]);
      // a runner whose lease is gone rewinds nothing (a rewind happens only when a checkpoint is unusable)
      await corrupt(previous);
      await expect(resumePoint(new RunRecorder(ds, t.pubsub, 'someone-else:0', 60_000), blobs, await row(id))).rejects.toThrow(/no longer held/);
      await ds.query(`UPDATE run SET status = 'CANCELLED', "leaseOwner" = NULL WHERE id = $1`, [id]);
    });
  });
});

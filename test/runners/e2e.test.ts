/**
 * End to end through GraphQL with the real jobs on SMOKE: a synthetic cohort, a CLC pretraining run and a CLC
 * fine-tuning run from it, trained by the server's runner in a worker thread. A graphql-ws client subscribed to
 * runProgress sees every epoch in order and then SUCCEEDED; the evaluation is filled; meanwhile the event loop stays
 * responsive and queries answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMask } from '../../src/data/encoding';
import { readNiftiMask } from '../../src/data/nifti';
import { topics } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import { autoCpuDevice } from '../ml/native-support';

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { runId status phase epoch epochs metrics { name value } at } }`;

describe.each(DB_KINDS)('runners end to end on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let cohortId: string;
    let fineRunId: string | undefined;
    // PGlite as `nephron serve` runs it by default: on disk, blobs in files (in-memory PGlite keeps blobs in the
    // database, whose wasm runs on the main thread: fine for tests, not what the event-loop check is about)
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-e2e-'));
    const env: Record<string, string> = kind === 'pglite' ? { DATABASE_URL: '', NEPHRON_DATA_DIR: dataDir } : {};
    beforeAll(async () => {
      t = await startTestServer(kind, { NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '5', ...env }, { runners: { pollMs: 500 } });
      cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "e2e", subjects: 6, seed: 3, size: 32, slices: 6 }) { id } }`))
        .createSyntheticCohort.id;
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('trains a pretraining + CLC fine-tuning pair; subscribers see every epoch in order, then SUCCEEDED', async () => {
      const ws = await t.ws();
      const latencies: number[] = [];
      const start = async (mutation: string, input: Record<string, unknown>) => {
        // created QUEUED; subscribe before the runner can report (it claims within a tick)
        const run = (
          await t.ok(
            `mutation($i: ${mutation === 'startPretraining' ? 'PretrainingInput' : 'FineTuningInput'}!) { ${mutation}(input: $i) { id epochs status } }`,
            { i: input },
          )
        )[mutation];
        const sub = ws.subscribe(PROGRESS, { id: run.id });
        // receipt times, for the epoch-end → subscriber latency
        ws.client.subscribe(
          { query: PROGRESS, variables: { id: run.id } },
          {
            next: (v: any) => v.data?.runProgress.metrics.length && latencies.push(Date.now() - new Date(v.data.runProgress.at).getTime()),
            error: () => {},
            complete: () => {},
          },
        );
        await t.pubsub.waitForSubscribers(topics.run(run.id), 2);
        return { run, sub };
      };
      const base = { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 1 };
      const pre = await start('startPretraining', base);
      const fine = await start('startFineTuning', { ...base, initialization: 'CLC', pretrainRunId: pre.run.id, nLabeled: 2 });
      expect(pre.run.status).toBe('QUEUED');

      // while the runs train (from the first finished epoch on), the event loop stays responsive and a query answers
      await pre.sub.waitForNext((e) => e.runProgress.status === 'RUNNING' && e.runProgress.epoch >= 1);
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      const during = await t.ok(`query($id: ID!) { run(id: $id) { status epoch } }`, { id: pre.run.id });
      expect(during.run.status).toBe('RUNNING');

      for (const { run, sub } of [pre, fine]) {
        const end = await sub.waitForNext((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runProgress.status));
        expect(end.runProgress).toMatchObject({ runId: run.id, status: 'SUCCEEDED' });
        const epochs = sub.events.map((e) => e.runProgress).filter((e) => e.status === 'RUNNING' && e.metrics.length);
        expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: run.epochs }, (_, i) => i + 1));
        expect(sub.events.at(-1)!.runProgress.status).toBe('SUCCEEDED');
        for (const e of epochs) expect(e.epochs).toBe(run.epochs);
      }
      const pretrainMetrics = new Set(pre.sub.events.flatMap((e) => e.runProgress.metrics.map((m: { name: string }) => m.name)));
      expect([...pretrainMetrics].sort()).toEqual(expect.arrayContaining(['clc_loss', 'global_loss', 'lr', 'val_clc_loss']));
      const fineMetrics = new Set(fine.sub.events.flatMap((e) => e.runProgress.metrics.map((m: { name: string }) => m.name)));
      expect([...fineMetrics]).toEqual(expect.arrayContaining(['train_loss', 'val_loss', 'val_dice_right', 'val_dice_left', 'lr']));
      histogram.disable();

      const data = await t.ok(
        `query($id: ID!) { run(id: $id) { status epoch epochs device startedAt finishedAt error
           metrics { name points { epoch } }
           evaluation { meanDice { left right } subjects { subject { code split } dice { left right } volumeMl { left right } } } } }`,
        { id: fine.run.id },
      );
      const run = data.run;
      fineRunId = fine.run.id;
      expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, epoch: run.epochs });
      // The automatic order: native (with ATen's and oneDNN's versions) where the addon is built, else wasm.
      expect(run.device).toMatch(new RegExp(`^${autoCpuDevice.source}$`));
      expect(new Date(run.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(run.startedAt).getTime());
      for (const series of run.metrics)
        expect(series.points.map((p: { epoch: number }) => p.epoch)).toEqual(Array.from({ length: run.epochs }, (_, i) => i + 1));
      expect(run.evaluation.subjects.length).toBeGreaterThan(0);
      for (const s of run.evaluation.subjects) {
        expect(s.subject.split).toBe('TEST');
        for (const v of [s.dice.left, s.dice.right]) expect(v).toBeGreaterThanOrEqual(0);
      }
      const mean = (k: 'left' | 'right') => run.evaluation.subjects.reduce((a: number, s: any) => a + s.dice[k], 0) / run.evaluation.subjects.length;
      expect(run.evaluation.meanDice.left).toBeCloseTo(mean('left'), 9);
      const [{ keys }] = await t.server.dataSource.query(
        `SELECT count(*)::int AS keys FROM subject_score WHERE "runId" = $1 AND "predictionBlobKey" IS NOT NULL`,
        [fine.run.id],
      );
      expect(keys).toBe(run.evaluation.subjects.length);

      const p99 = histogram.percentile(99) / 1e6;
      latencies.sort((a, b) => a - b);
      console.log(
        `[runners ${kind}] event loop p99 ${p99.toFixed(1)} ms, max ${(histogram.max / 1e6).toFixed(1)} ms; ` +
          `epoch-end → subscriber latency median ${latencies[latencies.length >> 1]} ms, max ${latencies.at(-1)} ms (n=${latencies.length})`,
      );
      expect(p99).toBeLessThanOrEqual(50);
    }, 240_000);

    it("serves a run's predictions: PNG overlay and NIfTI export, as stored", async () => {
      expect(fineRunId).toBeDefined();
      const { run } = await t.ok(`query($id: ID!) { run(id: $id) { evaluation { subjects { subject { id series { id contrast width height slices } } } } } }`, {
        id: fineRunId,
      });
      const subject = run.evaluation.subjects[0].subject;
      const dixon = subject.series.find((s: any) => s.contrast === 'DIXON');
      const png = await t
        .http()
        .get(`/images/series/${dixon.id}/slice/${dixon.slices >> 1}.png?overlay=run:${fineRunId}`)
        .buffer(true);
      expect(png.status).toBe(200);
      const image = PNG.sync.read(png.body);
      expect([image.width, image.height]).toEqual([dixon.width, dixon.height]);

      const file = await t
        .http()
        .get(`/files/runs/${fineRunId}/subjects/${subject.id}/prediction.nii.gz`)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        });
      expect(file.status).toBe(200);
      const nifti = await readNiftiMask(new Uint8Array(file.body), 'prediction.nii.gz');
      expect([nifti.width, nifti.height, nifti.slices]).toEqual([dixon.width, dixon.height, dixon.slices]);
      const [{ predictionBlobKey }] = await t.server.dataSource.query(`SELECT "predictionBlobKey" FROM subject_score WHERE "runId" = $1 AND "subjectId" = $2`, [
        fineRunId,
        subject.id,
      ]);
      expect(Array.from(nifti.mask)).toEqual(Array.from(decodeMask(await t.server.services.blobs.get(predictionBlobKey)).mask));
      // the PNG overlay shows that very prediction: tinted pixels exactly where the slice has a kidney label
      const plane = dixon.width * dixon.height;
      const z = dixon.slices >> 1;
      const labelled = Array.from(nifti.mask.subarray(z * plane, (z + 1) * plane)).filter((v) => v > 0).length;
      let tinted = 0;
      for (let i = 0; i < plane; i++) if (image.data[4 * i] !== image.data[4 * i + 1] || image.data[4 * i] !== image.data[4 * i + 2]) tinted++;
      expect(tinted).toBe(labelled);

      const t1 = subject.series.find((s: any) => s.contrast === 'T1_MAP');
      expect((await t.http().get(`/images/series/${t1.id}/slice/0.png?overlay=run:${fineRunId}`)).status).toBe(400);
      const train = await t.ok(`query($id: ID!) { cohort(id: $id) { subjects(split: TRAIN, first: 1) { edges { node { id series { id contrast } } } } } }`, {
        id: cohortId,
      });
      const trainDixon = train.cohort.subjects.edges[0].node.series.find((s: any) => s.contrast === 'DIXON');
      expect((await t.http().get(`/images/series/${trainDixon.id}/slice/0.png?overlay=run:${fineRunId}`)).status).toBe(404);
      expect((await t.http().get(`/files/runs/${fineRunId}/subjects/${train.cohort.subjects.edges[0].node.id}/prediction.nii.gz`)).status).toBe(404);
    });
  });
});

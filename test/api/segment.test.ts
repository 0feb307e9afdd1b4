/**
 * Segmenting scans with a trained run (issue 17): a SMOKE fine-tuning run segments one of its TEST series, exported
 * as NIfTI, through POST /api/runs/:id/segment, and the mask (shape, affine, voxels) and volumes are those its
 * evaluation stored; every unusable input is refused with nothing stored; roles, the rate limit and run states are
 * enforced; segmentSeries stores a prediction on the series, also on a subject imported without a mask;
 * `nephron segment` and `nephron report --runs` work against it. One SMOKE run per engine is the cost of this file.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMask } from '../../src/data/encoding';
import { readNiftiImage, readNiftiMask, writeNiftiImage, writeNiftiMask } from '../../src/data/nifti';
import { Role } from '../../src/schema/enums';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';
import { trainSmokeRun } from '../helpers/trained-run';
import { runCli } from '../cli/run';

const binary = (res: any, cb: (e: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe.each(DB_KINDS)('segmenting a scan with a trained run on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let operator: string;
    let viewer: string;
    let runId: string;
    let testSeries: { id: string; subjectId: string; code: string; width: number; height: number; slices: number; channels: string[] };
    const importRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-segment-import-'));
    let stored: { volumeMl: { right: number; left: number } };
    let scan: Buffer;

    beforeAll(async () => {
      t = await startTestServer(
        kind,
        { NEPHRON_RUNNERS: '1', NEPHRON_SEGMENT_MAX_MB: '1', NEPHRON_IMPORT_ROOT: importRoot, NEPHRON_MUTATION_RATE: '40/h' },
        { runners: { pollMs: 200 }, server: { clock: () => 0 } },
      );
      operator = (await t.server.services.tokens.create(Role.OPERATOR, 'operator')).token;
      viewer = (await t.server.services.tokens.create(Role.VIEWER, 'viewer')).token;
      ({ runId } = await trainSmokeRun(t, operator));
      const { run } = await t.ok(
        `query($id: ID!) { run(id: $id) { evaluation { subjects { subject { id code series { id subjectId: id contrast width height slices channels } } volumeMl { right left } } } } }`,
        { id: runId },
        operator,
      );
      const first = run.evaluation.subjects[0];
      const dixon = first.subject.series.find((s: any) => s.contrast === 'DIXON');
      testSeries = { ...dixon, subjectId: first.subject.id, code: first.subject.code };
      stored = first;
      scan = (await t.http().get(`/files/series/${dixon.id}.nii.gz`).set('authorization', `Bearer ${operator}`).buffer(true).parse(binary)).body;
    }, 240_000);
    afterAll(async () => {
      await t?.stop();
      fs.rmSync(importRoot, { recursive: true, force: true });
    });

    const post = (body: Buffer | Uint8Array, token = operator, id = runId) =>
      t
        .http()
        .post(`/api/runs/${id}/segment?name=scan.nii.gz`)
        .set('authorization', `Bearer ${token}`)
        .set('content-type', 'application/octet-stream')
        .send(Buffer.from(body))
        .buffer(true)
        .parse(binary);
    const counts = async () =>
      (await t.server.dataSource.query(`SELECT (SELECT count(*)::int FROM segmentation) AS segmentations, (SELECT count(*)::int FROM blob) AS blobs`))[0];

    it("answers the mask of an exported TEST series: the evaluation's shape, affine, labels and volumes", async () => {
      const before = await counts();
      const res = await post(scan);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/gzip');
      const mask = await readNiftiMask(new Uint8Array(res.body), 'mask.nii.gz');
      const image = await readNiftiImage(new Uint8Array(scan), 'scan.nii.gz');
      expect([mask.width, mask.height, mask.slices]).toEqual([testSeries.width, testSeries.height, testSeries.slices]);
      expect(mask.affine).toEqual(image.affine);
      expect(mask.spacingMm).toEqual(image.spacingMm);
      const [{ predictionBlobKey }] = await t.server.dataSource.query(`SELECT "predictionBlobKey" FROM subject_score WHERE "runId" = $1 AND "subjectId" = $2`, [
        runId,
        testSeries.subjectId,
      ]);
      const evaluated = decodeMask(await t.server.services.blobs.get(predictionBlobKey)).mask;
      expect(Buffer.from(mask.mask).equals(Buffer.from(evaluated))).toBe(true);
      const right = Number(res.headers['x-nephron-volume-right-ml']);
      const left = Number(res.headers['x-nephron-volume-left-ml']);
      expect(right).toBeCloseTo(stored.volumeMl.right, 4);
      expect(left).toBeCloseTo(stored.volumeMl.left, 4);
      expect(await counts()).toEqual(before); // the binary answer stores nothing
    });

    it('answers JSON with Accept: application/json, and the stored mask at maskUrl', async () => {
      const res = await post(scan).set('accept', 'application/json');
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body.toString('utf8'));
      expect(body.shape).toEqual([testSeries.width, testSeries.height, testSeries.slices]);
      expect(body.volumesMl.right).toBeCloseTo(stored.volumeMl.right, 4);
      expect(body.volumesMl.left).toBeCloseTo(stored.volumeMl.left, 4);
      const file = await t.http().get(body.maskUrl).set('authorization', `Bearer ${viewer}`).buffer(true).parse(binary);
      expect(file.status).toBe(200);
      const mask = await readNiftiMask(new Uint8Array(file.body), 'mask.nii.gz');
      const direct = await readNiftiMask(new Uint8Array((await post(scan)).body), 'direct.nii.gz');
      expect(Buffer.from(mask.mask).equals(Buffer.from(direct.mask))).toBe(true);
      expect(mask.affine).toEqual(direct.affine);
    });

    it('refuses every unusable input with BAD_USER_INPUT and the reason, storing nothing', async () => {
      const image = await readNiftiImage(new Uint8Array(scan), 'scan.nii.gz');
      const geometry = { spacingMm: image.spacingMm, protocol: { affine: image.affine } };
      const plane = image.width * image.height * image.slices;
      const extraChannel = writeNiftiImage({ ...image, ...geometry, channels: image.channels + 1, data: new Float32Array(plane * (image.channels + 1)) });
      const threeD = writeNiftiMask(new Uint8Array(plane), { ...image, ...geometry });
      const raw = new Uint8Array(require('node:zlib').gunzipSync(scan));
      const cases: [string, Uint8Array, RegExp][] = [
        ['wrong channel count', extraChannel, new RegExp(`${image.channels + 1} channels; this run segments DIXON, which has ${image.channels} channels`)],
        ['3D where 4D is needed', threeD, /a 3D image .*needs a 4D image with 4 channels \(in-phase, opposed-phase, water, fat\) as the 4th dimension/],
        ['not NIfTI', new TextEncoder().encode('this is not an image\n'.repeat(40)), /not a NIfTI-1 file/],
        ['shorter than a header', new TextEncoder().encode('tiny'), /shorter than a NIfTI-1 header/],
        ['truncated .nii', raw.subarray(0, raw.length >> 1), /truncated/],
        ['truncated .nii.gz', scan.subarray(0, scan.length >> 1), /corrupt gzip|truncated/],
        ['empty', new Uint8Array(0), /empty/],
        // 20 MiB of zeros in a ~20 KiB gzip: over 8 × NEPHRON_SEGMENT_MAX_MB once inflated
        ['gzip bomb', gzipSync(Buffer.alloc(20 * 2 ** 20)), /decompresses to more than 8 MiB/],
      ];
      const before = await counts();
      for (const [what, body, reason] of cases) {
        const res = await post(body).set('accept', 'application/json');
        const error = JSON.parse(res.body.toString('utf8')).error;
        expect({ what, status: res.status, code: error.code }).toEqual({ what, status: 400, code: 'BAD_USER_INPUT' });
        expect(error.message).toMatch(reason);
      }
      // over NEPHRON_SEGMENT_MAX_MB (1 MiB here): refused from Content-Length, and from the stream when it is chunked
      const big = gzipSync(Buffer.alloc(1.5 * 2 ** 20, 1), { level: 0 });
      const declared = await post(big);
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body.toString('utf8')).error).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/over the limit of 1 MiB \(NEPHRON_SEGMENT_MAX_MB\)/),
      });
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          `${t.url.replace('/graphql', '')}/api/runs/${runId}/segment`,
          { method: 'POST', headers: { authorization: `Bearer ${operator}` } },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, body: text }));
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 24; i++) req.write(big.subarray(0, 2 ** 16)); // 1.5 MiB without a Content-Length
        req.end();
      });
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe('BAD_USER_INPUT');
      expect(await counts()).toEqual(before);
    });

    it('nephron segment prints the volumes and writes the mask', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-segment-'));
      try {
        fs.writeFileSync(path.join(dir, 'scan.nii.gz'), scan);
        const out = path.join(dir, 'out', 'mask.nii.gz');
        const r = await runCli(t.url, ['segment', '--run', runId, '--in', path.join(dir, 'scan.nii.gz'), '--out', out, '--token', operator]);
        expect(r.code).toBe(0);
        expect(r.out).toContain(stored.volumeMl.right.toFixed(2));
        expect(r.out).toContain(stored.volumeMl.left.toFixed(2));
        const mask = await readNiftiMask(new Uint8Array(fs.readFileSync(out)), 'mask.nii.gz');
        expect([mask.width, mask.height, mask.slices]).toEqual([testSeries.width, testSeries.height, testSeries.slices]);
        fs.writeFileSync(path.join(dir, 'bad.nii'), 'not an image'.repeat(40));
        const bad = await runCli(t.url, ['segment', '--run', runId, '--in', path.join(dir, 'bad.nii'), '--token', operator]);
        expect(bad.code).toBe(1);
        expect(bad.err).toMatch(/^error BAD_USER_INPUT: bad.nii: not a NIfTI-1 file/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('needs an OPERATOR token, a SUCCEEDED FINETUNE run and an existing one', async () => {
      expect((await post(scan, viewer)).status).toBe(403);
      expect((await t.http().post(`/api/runs/${runId}/segment`).send(scan)).status).toBe(401);
      // another site's page cannot make the browser of an OPERATOR segment (issue 18's Origin check covers the route)
      const foreign = await post(scan).set('origin', 'http://evil.example');
      expect([foreign.status, JSON.parse(foreign.body.toString()).errors[0].extensions.code]).toEqual([403, 'FORBIDDEN_ORIGIN']);
      const unknown = await post(scan, operator, '00000000-0000-4000-8000-000000000000');
      expect([unknown.status, JSON.parse(unknown.body.toString()).error.code]).toEqual([404, 'NOT_FOUND']);
      const { run } = await t.ok(`query($id: ID!) { run(id: $id) { cohort { id } } }`, { id: runId }, operator);
      const input = {
        cohortId: run.cohort.id,
        contrast: 'DIXON',
        preset: 'SMOKE',
        seed: 9,
        initialization: 'RANDOM',
        nLabeled: 2,
        overrides: { finetune: { lr: 0.002 } },
      };
      const other = (await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, { i: input }, operator)).startFineTuning.id;
      await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: other }, operator);
      const res = await post(scan, operator, other);
      expect([res.status, JSON.parse(res.body.toString()).error.code]).toEqual([409, 'CONFLICT']);

      // while there are two runs: nephron report --runs compares them in the terminal
      const report = await runCli(t.url, ['report', '--runs', `${runId},${other}`, '--token', viewer]);
      expect(report.code, report.err).toBe(0);
      expect(report.out).toMatch(new RegExp(`${runId.slice(0, 8)}\\s+FINETUNE\\s+DIXON\\s+RANDOM\\s+2\\s+1\\s+SMOKE\\s+SUCCEEDED`));
      expect(report.out).toMatch(new RegExp(`${other.slice(0, 8)}\\s+FINETUNE.*CANCELLED`));
      expect(report.out).toContain('val_loss (scale');
      expect(report.out).toMatch(/config: 1 key differ\n[\s\S]*finetune\.lr\s+0\.001\s+0\.002/);
      const json = JSON.parse((await runCli(t.url, ['report', '--runs', `${runId},${other}`, '--format', 'json', '--token', viewer])).out);
      expect(json.configDifferences).toEqual([{ key: 'finetune.lr', values: { [runId]: 0.001, [other]: 0.002 } }]);
    });

    it('counts against the mutation rate limit (429 with Retry-After)', async () => {
      const limited = (await t.server.services.tokens.create(Role.OPERATOR, 'limited')).token;
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (let i = 0; i < 40; i++) expect((await post(Buffer.alloc(0), limited, unknown)).status).toBe(404);
      const refused = await post(scan, limited);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(JSON.parse(refused.body.toString()).error.code).toBe('RATE_LIMITED');
    });

    it('segmentSeries stores the prediction and its volumes on the series, once per run', async () => {
      const mutation = `mutation($r: ID!, $s: ID!) { segmentSeries(runId: $r, seriesId: $s) { id shape volumesMl { right left } maskUrl run { id } } }`;
      const first = (await t.ok(mutation, { r: runId, s: testSeries.id }, operator)).segmentSeries;
      expect(first.shape).toEqual([testSeries.width, testSeries.height, testSeries.slices]);
      expect(first.volumesMl.right).toBeCloseTo(stored.volumeMl.right, 6);
      expect(first.volumesMl.left).toBeCloseTo(stored.volumeMl.left, 6);
      const again = (await t.ok(mutation, { r: runId, s: testSeries.id }, operator)).segmentSeries;
      const { cohort } = await t.ok(
        `query($id: ID!) { cohort(id: $id) { subjects(split: TEST) { edges { node { series { id predictions { id run { id } volumesMl { right } } } } } } } }`,
        { id: (await t.ok(`query($id: ID!) { run(id: $id) { cohort { id } } }`, { id: runId }, operator)).run.cohort.id },
        operator,
      );
      const series = cohort.subjects.edges.flatMap((e: any) => e.node.series).find((s: any) => s.id === testSeries.id);
      expect(series.predictions.map((p: any) => p.id)).toEqual([again.id]);
      expect(series.predictions[0].run.id).toBe(runId);
      const file = await t.http().get(again.maskUrl).set('authorization', `Bearer ${viewer}`).buffer(true).parse(binary);
      const [{ predictionBlobKey }] = await t.server.dataSource.query(`SELECT "predictionBlobKey" FROM subject_score WHERE "runId" = $1 AND "subjectId" = $2`, [
        runId,
        testSeries.subjectId,
      ]);
      expect(
        Buffer.from((await readNiftiMask(new Uint8Array(file.body), 'm.nii.gz')).mask).equals(
          Buffer.from(decodeMask(await t.server.services.blobs.get(predictionBlobKey)).mask),
        ),
      ).toBe(true);

      // the use case: subjects imported without masks (an nnU-Net dataset's imagesTs) get a prediction and its volumes;
      // the run's own cohort exported and imported back without labelsTs gives the evaluated subject's voxels again
      const cohortId = (await t.ok(`query($id: ID!) { run(id: $id) { cohort { id } } }`, { id: runId }, operator)).run.cohort.id;
      expect(
        (
          await runCli(t.url, [
            'cohort',
            'export',
            cohortId,
            '--format',
            'nnunet',
            '--contrast',
            'DIXON',
            '--out',
            path.join(importRoot, 'ds'),
            '--token',
            operator,
          ])
        ).code,
      ).toBe(0);
      fs.rmSync(path.join(importRoot, 'ds', 'labelsTs'), { recursive: true });
      const imported = (
        await t.ok(
          `mutation($i: ImportCohortInput!) { importCohort(input: $i) { subjects(split: TEST) { edges { node { code series { id hasMask kidneyVolumesMl { right } } } } } } }`,
          { i: { name: 'unlabelled', path: 'ds' } },
          operator,
        )
      ).importCohort;
      const twin = imported.subjects.edges.map((e: any) => e.node).find((n: any) => n.code === testSeries.code);
      expect([twin.series[0].hasMask, twin.series[0].kidneyVolumesMl]).toEqual([false, null]);
      const predicted = (await t.ok(mutation, { r: runId, s: twin.series[0].id }, operator)).segmentSeries;
      // the same labels; the spacing came back through NIfTI's float32 pixdim, hence agreement to float32 precision
      for (const k of ['right', 'left'] as const)
        expect(Math.abs(predicted.volumesMl[k] - stored.volumeMl[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, stored.volumeMl[k]));

      const viewerTry = await t.gql(mutation, { r: runId, s: testSeries.id }, viewer);
      expect(viewerTry.errors?.[0].extensions.code).toBe('FORBIDDEN');
      const wrong = await t.gql(mutation, { r: runId, s: '00000000-0000-4000-8000-000000000000' }, operator);
      expect(wrong.errors?.[0].extensions.code).toBe('NOT_FOUND');
    });
  });
});

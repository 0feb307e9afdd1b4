import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNiftiImage, readNiftiMask } from '../../src/data/nifti';
import { CLUSTER_PALETTE, LABEL_COLORS } from '../../src/data/render';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';

const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe.each(DB_KINDS)('series files and slice images on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let dixon: { id: string; slices: number; width: number; height: number };
    let viewer: string;
    let admin: string;
    let cohortId: string;
    let subjectId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      const c = (
        await t.ok(`mutation { createSyntheticCohort(input: { name: "img", subjects: 3, seed: 5, size: 64, slices: 8 }) {
        id subjects(first: 1) { edges { node { id series { id contrast width height slices } } } } } }`)
      ).createSyntheticCohort;
      cohortId = c.id;
      subjectId = c.subjects.edges[0].node.id;
      dixon = c.subjects.edges[0].node.series.find((s: any) => s.contrast === 'DIXON');
      admin = (await t.ok(`mutation { createApiToken(role: ADMIN) { token } }`)).createApiToken.token;
      viewer = (await t.ok(`mutation { createApiToken(role: VIEWER) { token } }`, {}, admin)).createApiToken.token;
    });
    afterAll(() => t?.stop());
    const get = (url: string, token: string | null = viewer) => {
      const req = t.http().get(url).buffer(true).parse(binary);
      return token ? req.set('authorization', `Bearer ${token}`) : req;
    };

    it('serves a series and its mask as NIfTI to a VIEWER, 401 without a token, 404 JSON for unknown ids', async () => {
      const img = await get(`/files/series/${dixon.id}.nii.gz`);
      expect(img.status).toBe(200);
      const image = await readNiftiImage(new Uint8Array(img.body), 'x.nii.gz');
      expect([image.width, image.height, image.slices, image.channels]).toEqual([64, 64, 8, 4]);
      const m = await get(`/files/series/${dixon.id}/mask.nii.gz`);
      const mask = await readNiftiMask(new Uint8Array(m.body), 'm.nii.gz');
      expect(mask.mask.some((v) => v === 1) && mask.mask.some((v) => v === 2)).toBe(true);
      expect((await get(`/files/series/${dixon.id}.nii.gz`, null)).status).toBe(401);
      const missing = await t.http().get('/files/series/00000000-0000-0000-0000-000000000000.nii.gz').set('authorization', `Bearer ${viewer}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      expect((await t.http().get('/files/series/nope/mask.nii.gz').set('authorization', `Bearer ${viewer}`)).status).toBe(404);
    });

    it('renders a slice with the mask overlay in the label colours', async () => {
      const k = Math.floor(dixon.slices / 2);
      const res = await get(`/images/series/${dixon.id}/slice/${k}.png?channel=2&overlay=mask`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      const png = PNG.sync.read(res.body);
      expect([png.width, png.height]).toEqual([64, 64]);
      const mask = (await readNiftiMask(new Uint8Array((await get(`/files/series/${dixon.id}/mask.nii.gz`)).body), 'm')).mask;
      const plane = 64 * 64;
      let right = 0;
      let left = 0;
      for (let i = 0; i < plane; i++) {
        const [r, g, b] = [png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2]];
        const label = mask[k * plane + i];
        if (label === 1 && r > b && r - g > 40 * 0.45) right++; // red-orange tint
        if (label === 2 && b > r) left++; // blue tint
        if (label === 0) expect(r === g && g === b).toBe(true); // greyscale outside the kidneys
      }
      const labelled = (l: number) => mask.subarray(k * plane, (k + 1) * plane).filter((v) => v === l).length;
      expect(right).toBe(labelled(1));
      expect(left).toBe(labelled(2));
      expect(LABEL_COLORS[1][0]).toBeGreaterThan(LABEL_COLORS[1][2]);
    });

    it('renders the PAPER constraint maps as a categorical overlay, computed once and cached by data hash and params', async () => {
      const res = await get(`/images/series/${dixon.id}/slice/3.png?overlay=constraints`);
      expect(res.status).toBe(200);
      const png = PNG.sync.read(res.body);
      let tinted = 0;
      for (let i = 0; i < 64 * 64; i++) if (png.data[4 * i] !== png.data[4 * i + 2] || png.data[4 * i] !== png.data[4 * i + 1]) tinted++;
      expect(tinted).toBeGreaterThan(64 * 32); // every pixel is clustered (grey-coloured clusters excepted)
      const aliases = await t.server.dataSource.query(`SELECT name FROM blob_alias WHERE name LIKE 'constraint-maps:%'`);
      expect(aliases).toHaveLength(1);
      const maps = await t.server.services.constraintMaps.get(await t.server.services.seriesData.require(dixon.id));
      expect(new Set(maps.maps).size).toBe(20);
      expect(CLUSTER_PALETTE).toHaveLength(20);
      await get(`/images/series/${dixon.id}/slice/4.png?overlay=constraints`);
      expect(await t.server.dataSource.query(`SELECT name FROM blob_alias`)).toHaveLength(1);
    });

    it('answers 400 JSON for a bad slice, channel or overlay, 404 for an unknown run or series', async () => {
      const cases: [string, RegExp][] = [
        [`/images/series/${dixon.id}/slice/${dixon.slices}.png`, /slice 8 outside 0\.\.7/],
        [`/images/series/${dixon.id}/slice/x.png`, /slice must be a non-negative integer/],
        [`/images/series/${dixon.id}/slice/0.png?channel=4`, /channel 4 outside 0\.\.3/],
        [`/images/series/${dixon.id}/slice/0.png?channel=-1`, /channel must be a non-negative integer/],
        [`/images/series/${dixon.id}/slice/0.png?overlay=heat`, /unknown overlay/],
      ];
      for (const [url, message] of cases) {
        const res = await t.http().get(url).set('authorization', `Bearer ${viewer}`);
        expect(res.status, url).toBe(400);
        expect(res.body.error.code).toBe('BAD_USER_INPUT');
        expect(res.body.error.message).toMatch(message);
      }
      expect((await t.http().get(`/images/series/00000000-0000-0000-0000-000000000000/slice/0.png`).set('authorization', `Bearer ${viewer}`)).status).toBe(404);
      const unknownRun = await t.http().get(`/images/series/${dixon.id}/slice/0.png?overlay=run:123`).set('authorization', `Bearer ${viewer}`);
      expect([unknownRun.status, unknownRun.body.error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('answers 404 JSON for a prediction NIfTI of an unknown run or subject, or of a run that has none; 401 without a token', async () => {
      // queued, never run (no runners here): it exists but has no prediction
      const runId = (
        await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'DIXON', preset: 'SMOKE' } }, admin)
      ).startPretraining.id as string;
      const unknown = '00000000-0000-4000-8000-000000000000';
      const cases: [string, RegExp][] = [
        [`/files/runs/${unknown}/subjects/${subjectId}/prediction.nii.gz`, /no run with id/],
        [`/files/runs/nope/subjects/${subjectId}/prediction.nii.gz`, /no run with id/],
        [`/files/runs/${runId}/subjects/${unknown}/prediction.nii.gz`, /DIXON series of subject/],
        [`/files/runs/${runId}/subjects/nope/prediction.nii.gz`, /DIXON series of subject/],
        [`/files/runs/${runId}/subjects/${subjectId}/prediction.nii.gz`, /has no prediction for this subject/],
      ];
      for (const [url, message] of cases) {
        const res = await t.http().get(url).set('authorization', `Bearer ${viewer}`);
        expect([res.status, res.body.error?.code], url).toEqual([404, 'NOT_FOUND']);
        expect(res.body.error.message).toMatch(message);
      }
      expect((await get(`/files/runs/${runId}/subjects/${subjectId}/prediction.nii.gz`, null)).status).toBe(401);
    });
  });
});

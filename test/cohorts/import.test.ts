import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNiftiImage, readNiftiMask, writeNiftiMask } from '../../src/data/nifti';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';

const IMPORT = `mutation($input: ImportCohortInput!) { importCohort(input: $input) { id name source fingerprint subjectCount
  contrasts { kind channels seriesCount } subjects(first: 50) { edges { node { code group split } } } } }`;

describe.each(DB_KINDS)('NIfTI import and export on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-import-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-outside-'));
    let t: TestServer;
    let synthetic: { id: string; fingerprint: string };
    beforeAll(async () => {
      t = await startTestServer(kind, { NEPHRON_IMPORT_ROOT: root });
      synthetic = (await t.ok(`mutation { createSyntheticCohort(input: { name: "src", subjects: 4, seed: 11, size: 32, slices: 6 }) { id fingerprint } }`))
        .createSyntheticCohort;
      await t.server.services.seriesData.exportCohortToDirectory(synthetic.id, path.join(root, 'template'));
    });
    afterAll(async () => {
      await t?.stop();
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    });
    const counts = async () => {
      const [c] = await t.server.dataSource.query('SELECT (SELECT count(*) FROM cohort) AS c, (SELECT count(*) FROM blob) AS b');
      return c;
    };
    /** A copy of the exported template, changed by `mutate`. */
    const broken = (name: string, mutate: (dir: string) => void) => {
      const dir = path.join(root, name);
      fs.cpSync(path.join(root, 'template'), dir, { recursive: true });
      mutate(dir);
      return name;
    };
    const codes = () =>
      fs
        .readFileSync(path.join(root, 'template', 'subjects.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]);

    it('exports the import layout and imports it back with the same fingerprint and splits', async () => {
      const dir = path.join(root, 'template');
      expect(fs.readdirSync(dir).sort()).toEqual(['BOLD.json', 'DIXON.json', 'DWI.json', 'T1_MAP.json', 'T2_MAP.json', 'subjects.csv', ...codes()].sort());
      const c = (await t.ok(IMPORT, { input: { name: 'back', path: 'template' } })).importCohort;
      expect(c.source).toBe('nifti:template');
      expect(c.subjectCount).toBe(4);
      expect(c.fingerprint).toBe(synthetic.fingerprint);
      const src = (
        await t.ok(`query($id: ID!) { cohort(id: $id) { contrasts { kind channels } subjects(first: 50) { edges { node { code group split } } } } }`, {
          id: synthetic.id,
        })
      ).cohort;
      expect(c.subjects).toEqual(src.subjects);
      expect(c.contrasts.map((x: any) => ({ kind: x.kind, channels: x.channels }))).toEqual(src.contrasts);
    });

    it('writes NIfTI-1 that a standard reader accepts: dims, pixdim, datatype, qform/sform, scl_slope, voxels', async () => {
      const nr = await import('nifti-reader-js');
      const file = fs.readFileSync(path.join(root, 'template', codes()[0], 'DWI.nii.gz'));
      const buf = nr.decompress(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)) as ArrayBuffer;
      const h = nr.readHeader(buf)!;
      expect(h.dims.slice(0, 5)).toEqual([4, 32, 32, 6, 4]);
      expect(h.datatypeCode).toBe(16);
      expect(h.scl_slope).toBe(1);
      expect(h.qform_code).toBe(1);
      expect(h.sform_code).toBe(1);
      expect(h.pixDims[3]).toBe(5);
      expect(h.pixDims[1]).toBeGreaterThan(1);
      const img = await readNiftiImage(new Uint8Array(file), 'DWI.nii.gz');
      expect(img.orientation).toBe('coronal');
      const series = (
        await t.server.dataSource.query(
          `SELECT x.id FROM series x JOIN subject s ON s.id = x."subjectId" WHERE s.code = $1 AND x.contrast = 'DWI' AND x."cohortId" = $2`,
          [codes()[0], synthetic.id],
        )
      )[0];
      const stored = await t.server.services.seriesData.loadVolume(await t.server.services.seriesData.require(series.id));
      expect(img.spacingMm).toEqual(stored.spacingMm.map((v) => Math.fround(v)));
      expect(img.data).toEqual(stored.data);
      const mask = await readNiftiMask(new Uint8Array(fs.readFileSync(path.join(root, 'template', codes()[0], 'DWI_mask.nii.gz'))), 'm');
      expect(mask.mask).toEqual(stored.mask);
    });

    it('gives subjects without a split a seeded stratified one', async () => {
      const name = broken('nosplit', (d) =>
        fs.writeFileSync(
          path.join(d, 'subjects.csv'),
          'code,group\n' +
            codes()
              .map((c, i) => `${c},${i ? 'other' : 'HEALTHY'}`)
              .join('\n'),
        ),
      );
      const c = (await t.ok(IMPORT, { input: { name: 'nosplit', path: name } })).importCohort;
      expect(c.subjects.edges.map((e: any) => e.node.split).sort()).toEqual(['TEST', 'TRAIN', 'TRAIN', 'VALIDATION']);
      expect(c.subjects.edges.map((e: any) => e.node.group)).toContain('OTHER');
    });

    it('refuses broken input with BAD_USER_INPUT naming the file and the reason, storing nothing', async () => {
      const [a, b] = codes();
      const mask = (d: string, fn: (m: Uint8Array) => void, dims?: [number, number, number]) => {
        const m = readMaskSync(path.join(d, a, 'T2_MAP_mask.nii.gz'));
        const [w, h, s] = dims ?? [m.width, m.height, m.slices];
        const labels = dims ? new Uint8Array(w * h * s) : m.mask;
        fn(labels);
        fs.writeFileSync(path.join(d, a, 'T2_MAP_mask.nii.gz'), writeNiftiMask(labels, { width: w, height: h, slices: s, spacingMm: [2.5, 2.5, 5] }));
      };
      fs.symlinkSync(outside, path.join(root, 'escape'));
      const cases: [string, string, RegExp][] = [
        ['../x', '../x', /must not contain ".."/],
        ['absolute outside', outside, /outside the import root/],
        ['symlink', 'escape', /outside the import root \(symbolic link\)/],
        ['missing dir', 'nope', /no such directory/],
        ['no csv', broken('nocsv', (d) => fs.rmSync(path.join(d, 'subjects.csv'))), /subjects\.csv: missing/],
        ['bad header', broken('header', (d) => fs.writeFileSync(path.join(d, 'subjects.csv'), 'id,group\nX,HEALTHY\n')), /subjects\.csv: bad header/],
        ['unknown group', broken('group', (d) => fs.appendFileSync(path.join(d, 'subjects.csv'), '')), /unknown group/],
        [
          'duplicate code',
          broken('dup', (d) => fs.appendFileSync(path.join(d, 'subjects.csv'), `${a},HEALTHY,TRAIN\n`)),
          new RegExp(`duplicate subject code ${a}`),
        ],
        ['empty cohort', broken('empty', (d) => fs.writeFileSync(path.join(d, 'subjects.csv'), 'code,group,split\n')), /cohort would be empty/],
        ['missing subject dir', broken('nodir', (d) => fs.rmSync(path.join(d, b), { recursive: true })), new RegExp(`${b}: subject directory missing`)],
        [
          'missing contrast',
          broken('nocontrast', (d) => fs.rmSync(path.join(d, b, 'BOLD.nii.gz'))),
          new RegExp(`${b}/BOLD\\.nii\\.gz: missing: contrast BOLD`),
        ],
        ['missing mask', broken('nomask', (d) => fs.rmSync(path.join(d, b, 'DWI_mask.nii.gz'))), /DWI_mask\.nii\.gz: missing/],
        [
          'unknown contrast',
          broken('unknown', (d) => fs.copyFileSync(path.join(d, a, 'DWI.nii.gz'), path.join(d, a, 'FLAIR.nii.gz'))),
          /FLAIR\.nii\.gz: unknown contrast/,
        ],
        ['corrupt gzip', broken('corrupt', (d) => truncate(path.join(d, b, 'T1_MAP.nii.gz'))), new RegExp(`${b}/T1_MAP\\.nii\\.gz: corrupt`)],
        [
          'not NIfTI',
          broken('notnifti', (d) => fs.writeFileSync(path.join(d, b, 'DIXON.nii.gz'), gzipSync(Buffer.alloc(400, 7)))),
          /DIXON\.nii\.gz: not a NIfTI-1 file/,
        ],
        ['mask shape', broken('shape', (d) => mask(d, () => {}, [16, 16, 6])), /T2_MAP_mask\.nii\.gz: mask shape 16×16×6 differs/],
        ['label 3', broken('label', (d) => mask(d, (m) => (m[5] = 3))), /T2_MAP_mask\.nii\.gz: label 3 at voxel 5 is outside/],
        [
          'channel names',
          broken('channels', (d) => fs.writeFileSync(path.join(d, 'DWI.json'), '["b=0","b=800"]')),
          /DWI\.json: 2 channel names for an image with 4 channels/,
        ],
        ['bad json', broken('json', (d) => fs.writeFileSync(path.join(d, 'BOLD.json'), '{channels')), /BOLD\.json: not valid JSON/],
        ['bad split', broken('split', (d) => fs.appendFileSync(path.join(d, 'subjects.csv'), 'ZZ,HEALTHY,HOLDOUT\n')), /unknown split "HOLDOUT"/],
      ];
      // "unknown group" needs a row with a bad group: rewrite it after the copy
      fs.writeFileSync(
        path.join(root, 'group', 'subjects.csv'),
        fs.readFileSync(path.join(root, 'group', 'subjects.csv'), 'utf8').replace(/,(HEALTHY|PROSTATE_CANCER|NEUROENDOCRINE_TUMOR),/, ',PATIENT,'),
      );
      const before = await counts();
      for (const [label, p, message] of cases) {
        const r = await t.gql(IMPORT, { input: { name: `broken-${label}`, path: p } });
        expect(r.errors?.[0].extensions.code, label).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0].extensions.field, label).toBe('input.path');
        expect(r.errors?.[0].message, label).toMatch(message);
      }
      expect(await counts()).toEqual(before);
    });

    it('answers a clear error when no import root is configured', async () => {
      const other = await startTestServer(kind);
      try {
        const r = await other.gql(IMPORT, { input: { name: 'x', path: 'template' } });
        expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.path' });
        expect(r.errors?.[0].message).toMatch(/NEPHRON_IMPORT_ROOT/);
      } finally {
        await other.stop();
      }
    });
  });
});

function truncate(file: string): void {
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
}

function readMaskSync(file: string): { width: number; height: number; slices: number; mask: Uint8Array } {
  const raw = gunzipSync(fs.readFileSync(file));
  const dims = [0, 1, 2, 3].map((i) => raw.readInt16LE(40 + 2 * i));
  return { width: dims[1], height: dims[2], slices: dims[3], mask: new Uint8Array(raw.subarray(352)) };
}

/**
 * importCohort reads only under NEPHRON_IMPORT_ROOT (src/services/import-paths.ts): `..`, absolute paths elsewhere,
 * symbolic links leading out (the requested directory, a subject directory, an image, a mask, subjects.csv, a JSON
 * sidecar, a chain of links) and encoded or odd spellings are BAD_USER_INPUT naming the path, and nothing is stored.
 * The files the links point to are valid, so only the confinement can refuse them. Links that stay inside the root
 * import fine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';

const IMPORT = `mutation($input: ImportCohortInput!) { importCohort(input: $input) { id subjectCount fingerprint } }`;

describe.each(DB_KINDS)('import paths stay under the import root on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-escape-'));
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside'); // a sibling whose name starts like the root's: "root" vs "root-x" below
    const lookalike = path.join(base, 'root-evil');
    let t: TestServer;
    let fingerprint: string;
    let codes: string[];
    beforeAll(async () => {
      fs.mkdirSync(root);
      t = await startTestServer(kind, { NEPHRON_IMPORT_ROOT: root, NEPHRON_MUTATION_RATE: 'off' });
      const c = (await t.ok(`mutation { createSyntheticCohort(input: { name: "src", subjects: 3, seed: 5, size: 32, slices: 4 }) { id fingerprint } }`))
        .createSyntheticCohort;
      fingerprint = c.fingerprint;
      await t.server.services.seriesData.exportCohortToDirectory(c.id, path.join(root, 'template'));
      // the same valid cohort outside the root: a link to it would import, were it not for the confinement
      fs.cpSync(path.join(root, 'template'), outside, { recursive: true });
      fs.cpSync(path.join(root, 'template'), lookalike, { recursive: true });
      codes = fs
        .readFileSync(path.join(root, 'template', 'subjects.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]);
    });
    afterAll(async () => {
      await t?.stop();
      fs.rmSync(base, { recursive: true, force: true });
    });

    const counts = async () => (await t.server.dataSource.query('SELECT (SELECT count(*) FROM cohort) AS c, (SELECT count(*) FROM blob) AS b'))[0];
    /** A copy of the template under the root, changed by `mutate`. */
    const variant = (name: string, mutate: (dir: string) => void) => {
      const dir = path.join(root, name);
      fs.cpSync(path.join(root, 'template'), dir, { recursive: true });
      mutate(dir);
      return name;
    };
    const relink = (link: string, target: string) => {
      fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(target, link);
    };

    it('refuses every way out with BAD_USER_INPUT naming the path, storing nothing', async () => {
      const [a, b] = codes;
      fs.symlinkSync(outside, path.join(root, 'dir-link'));
      fs.symlinkSync(path.join(root, 'hop2'), path.join(root, 'hop1')); // a chain: hop1 → hop2 → outside
      fs.symlinkSync(outside, path.join(root, 'hop2'));
      fs.symlinkSync('../outside', path.join(root, 'relative-link')); // relative target
      const cases: [label: string, requested: string, names: RegExp][] = [
        ['dot-dot', '../outside', /^\.\.\/outside: path must not contain "\.\."/],
        ['dot-dot inside', 'template/../../outside', /must not contain "\.\."/],
        ['backslash dot-dot', '..\\outside', /must not contain "\.\."/],
        ['absolute elsewhere', outside, new RegExp(`^${escape(outside)}: absolute path outside the import root`)],
        ['absolute system dir', '/etc', /^\/etc: absolute path outside/],
        ['absolute lookalike prefix', lookalike, /absolute path outside the import root/],
        ['directory symlink', 'dir-link', /^dir-link: path leads outside the import root \(symbolic link\)/],
        ['relative symlink', 'relative-link', /^relative-link: path leads outside/],
        ['symlink chain', 'hop1', /^hop1: path leads outside/],
        ['through a symlink', 'dir-link/', /^dir-link\/: path leads outside/],
        [
          'subject dir symlink',
          variant('subject-link', (d) => relink(path.join(d, a), path.join(outside, a))),
          new RegExp(`^subject-link/${a}: leads outside the import root`),
        ],
        [
          'image symlink',
          variant('image-link', (d) => relink(path.join(d, b, 'DIXON.nii.gz'), path.join(outside, b, 'DIXON.nii.gz'))),
          new RegExp(`^image-link/${b}/DIXON\\.nii\\.gz: leads outside`),
        ],
        [
          'mask symlink',
          variant('mask-link', (d) => relink(path.join(d, b, 'DWI_mask.nii.gz'), path.join(outside, b, 'DWI_mask.nii.gz'))),
          new RegExp(`^mask-link/${b}/DWI_mask\\.nii\\.gz: leads outside`),
        ],
        [
          'csv symlink',
          variant('csv-link', (d) => relink(path.join(d, 'subjects.csv'), path.join(outside, 'subjects.csv'))),
          /^csv-link\/subjects\.csv: leads outside/,
        ],
        [
          'sidecar symlink',
          variant('json-link', (d) => relink(path.join(d, 'BOLD.json'), path.join(outside, 'BOLD.json'))),
          /^json-link\/BOLD\.json: leads outside/,
        ],
        [
          'subject sidecar symlink',
          variant('own-json-link', (d) => fs.symlinkSync(path.join(outside, 'T1_MAP.json'), path.join(d, a, 'T1_MAP.json'))),
          new RegExp(`^own-json-link/${a}/T1_MAP\\.json: leads outside`),
        ],
        ['percent-encoded dot-dot', '%2e%2e/outside', /^%2e%2e\/outside: no such directory/],
        ['percent-encoded slash', '..%2foutside', /^\.\.%2foutside: no such directory/],
        ['one-dot leaders', '\u2024\u2024/outside', /no such directory/],
        ['NUL byte', 'template\u0000/../../outside', /path contains control characters/],
        ['control character', 'tem\u0008plate', /path contains control characters/],
      ];
      const before = await counts();
      for (const [label, requested, names] of cases) {
        const r = await t.gql(IMPORT, { input: { name: `escape-${label}`, path: requested } });
        expect(r.errors?.[0].extensions, label).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.path' });
        expect(r.errors?.[0].message, label).toMatch(names);
        // the error names what was asked for, never where a link leads
        if (!requested.includes(outside)) expect(r.errors?.[0].message, label).not.toContain(outside);
      }
      expect(await counts()).toEqual(before);
    });

    it('follows symbolic links that stay inside the root', async () => {
      fs.symlinkSync(path.join(root, 'template'), path.join(root, 'alias'));
      const name = variant('inner-links', (d) => {
        relink(path.join(d, codes[0]), path.join(root, 'template', codes[0]));
        relink(path.join(d, codes[1], 'DIXON.nii.gz'), path.join(root, 'template', codes[1], 'DIXON.nii.gz'));
      });
      for (const p of ['alias', name, path.join(root, 'template')]) {
        const c = (await t.ok(IMPORT, { input: { name: `inside-${p.replaceAll('/', '_')}`, path: p } })).importCohort;
        expect(c.subjectCount).toBe(3);
        expect(c.fingerprint).toBe(fingerprint);
      }
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

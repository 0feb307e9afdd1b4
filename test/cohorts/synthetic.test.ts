import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { startTestServer, type TestServer } from '../helpers/server';

const CREATE = `mutation($input: SyntheticCohortInput!) { createSyntheticCohort(input: $input) {
  id name source fingerprint subjectCount contrasts { kind channels protocol seriesCount }
  test: subjects(split: TEST) { totalCount edges { node { code group split series { contrast width height slices spacingMm hasMask kidneyVolumesMl { right left } } } } }
  all: subjects(first: 100) { edges { node { group split } } } } }`;

describe.each(DB_KINDS)('synthetic cohorts on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(kind);
    });
    afterAll(() => t?.stop());
    const blobCount = async () => Number((await t.server.dataSource.query('SELECT count(*) AS n FROM blob'))[0].n);

    it('generates subjects in workers and stores the cohort with contrasts, splits, masks and a fingerprint', async () => {
      const c = (await t.ok(CREATE, { input: { name: 'small', subjects: 6, seed: 7, size: 32 } })).createSyntheticCohort;
      expect(c.source).toBe('synthetic:phantom=2,seed=7,size=32');
      expect(c.contrasts[0].protocol.phantomGeneration).toBe(2);
      expect(c.contrasts[0].protocol.acquired).toBeUndefined();
      expect(c.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(c.subjectCount).toBe(6);
      expect(c.contrasts.map((x: any) => [x.kind, x.channels.length, x.seriesCount])).toEqual([
        ['DIXON', 4, 6],
        ['T1_MAP', 8, 6],
        ['T2_MAP', 6, 6],
        ['BOLD', 8, 6],
        ['DWI', 4, 6],
      ]);
      expect(c.contrasts[3].protocol.teMs).toHaveLength(8);
      const splits = c.all.edges.map((e: any) => e.node.split);
      expect(splits.filter((s: string) => s === 'TEST').length).toBe(c.test.totalCount);
      expect(new Set(splits)).toEqual(new Set(['TRAIN', 'VALIDATION', 'TEST']));
      expect(c.all.edges.filter((e: any) => e.node.group === 'HEALTHY').length).toBe(2); // round(6·20/79)
      const s = c.test.edges[0].node.series.find((x: any) => x.contrast === 'DIXON');
      expect(s).toMatchObject({ contrast: 'DIXON', width: 32, height: 32, hasMask: true });
      expect(s.spacingMm).toHaveLength(3);
      expect(s.kidneyVolumesMl.right).toBeGreaterThan(0);
      expect(await blobCount()).toBeGreaterThanOrEqual(6 * 5 * 2 - 5); // data + masks (identical masks may share)
    });

    it('is deterministic: the same seed gives the same fingerprint, another seed another one', async () => {
      const a = (await t.ok(CREATE, { input: { name: 'again', subjects: 6, seed: 7, size: 32 } })).createSyntheticCohort;
      const b = (await t.ok(CREATE, { input: { name: 'other', subjects: 3, seed: 8, size: 32, slices: 6 } })).createSyntheticCohort;
      const first = (await t.ok(`{ cohorts { name fingerprint } }`)).cohorts.find((x: any) => x.name === 'small');
      expect(a.fingerprint).toBe(first.fingerprint);
      expect(b.fingerprint).not.toBe(first.fingerprint);
      expect(b.source).toBe('synthetic:phantom=2,seed=8,size=32,slices=6');
      expect(b.test.edges[0].node.series[0].slices).toBe(6);
    });

    it('rejects bad input naming the field, and a taken name with CONFLICT', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ name: 'x', subjects: 2 }, 'BAD_USER_INPUT', 'input.subjects'],
        [{ name: 'x', subjects: 100000 }, 'BAD_USER_INPUT', 'input.subjects'],
        [{ name: 'x', size: 100 }, 'BAD_USER_INPUT', 'input.size'],
        [{ name: 'x', size: 512 }, 'BAD_USER_INPUT', 'input.size'],
        [{ name: 'x', seed: -1 }, 'BAD_USER_INPUT', 'input.seed'],
        [{ name: 'x', slices: 1 }, 'BAD_USER_INPUT', 'input.slices'],
        [{ name: '  ' }, 'BAD_USER_INPUT', 'input.name'],
        [{ name: 'small', subjects: 3, size: 32 }, 'CONFLICT', ''],
      ];
      for (const [input, code, field] of cases) {
        const r = await t.gql(CREATE, { input });
        expect(r.errors?.[0].extensions.code, JSON.stringify(input)).toBe(code);
        if (field) expect(r.errors?.[0].extensions.field).toBe(field);
        expect(JSON.stringify(r.errors)).not.toMatch(/stacktrace|at .*\.ts:/);
      }
    });

    it('stores nothing when generation fails part-way (rows in one transaction, new blobs removed)', async () => {
      const cohorts = (await t.ok(`{ cohorts { id } }`)).cohorts.length;
      const blobs = await blobCount();
      const failing = t.server.services.cohorts.createSynthetic({ name: 'half', subjects: 5, seed: 99, size: 32 }, ({ done }) => {
        if (done === 3) throw new Error('simulated crash after 3 subjects');
      });
      await expect(failing).rejects.toThrow(/simulated crash/);
      expect((await t.ok(`{ cohorts { id } }`)).cohorts.length).toBe(cohorts);
      expect(await blobCount()).toBe(blobs);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Run } from '../../src/schema/run.entity';
import { RunStatus } from '../../src/schema/enums';
import { recordMetrics } from '../../src/runs';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

const RUN_FIELDS =
  'id kind status contrast initialization nLabeled seed preset config epoch epochs queuedAt cohort { id name } pretrainRun { id } sweep { id }';

describe.each(DB_KINDS)('GraphQL API on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let cohortId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      cohortId = (await seedCohort(t.server.services)).id;
    });
    afterAll(() => t?.stop());

    const countRuns = () => t.server.dataSource.getRepository(Run).count();

    it('lists cohorts with contrasts, counts and paginated subjects', async () => {
      const data = await t.ok(`{ cohorts { id name source fingerprint createdAt subjectCount
        contrasts { kind channels protocol seriesCount }
        subjects(split: TRAIN, first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code group split series { contrast channels width height slices spacingMm hasMask kidneyVolumesMl { right left } } } } } } }`);
      const c = data.cohorts[0];
      expect(c.name).toBe('test-cohort');
      expect(c.subjectCount).toBe(11);
      expect(c.contrasts.map((x: any) => [x.kind, x.seriesCount])).toEqual([
        ['DIXON', 11],
        ['T1_MAP', 11],
      ]);
      expect(c.subjects.totalCount).toBe(8);
      expect(c.subjects.edges.map((e: any) => e.node.code)).toEqual(['S001', 'S002', 'S003']);
      expect(c.subjects.pageInfo.hasNextPage).toBe(true);
      const s = c.subjects.edges[0].node.series[0];
      expect(s).toMatchObject({
        contrast: 'DIXON',
        width: 64,
        slices: 12,
        spacingMm: [2.5, 2.5, 5],
        hasMask: true,
        kidneyVolumesMl: { right: 150, left: 140 },
      });
      const next = await t.ok(
        `query($id: ID!, $after: String) { cohort(id: $id) { subjects(split: TRAIN, first: 10, after: $after) { edges { node { code } } pageInfo { hasNextPage } } } }`,
        {
          id: cohortId,
          after: c.subjects.pageInfo.endCursor,
        },
      );
      expect(next.cohort.subjects.edges.map((e: any) => e.node.code)).toEqual(['S004', 'S005', 'S006', 'S007', 'S008']);
      expect(next.cohort.subjects.pageInfo.hasNextPage).toBe(false);
    });

    it('starts pretraining and CLC fine-tuning as QUEUED runs with the resolved config', async () => {
      const pre = (
        await t.ok(`mutation($input: PretrainingInput!) { startPretraining(input: $input) { ${RUN_FIELDS} } }`, {
          input: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 3, overrides: { clc: { epochs: 5 } } },
        })
      ).startPretraining;
      expect(pre).toMatchObject({ kind: 'PRETRAIN', status: 'QUEUED', contrast: 'DIXON', seed: 3, preset: 'SMOKE', epoch: 0, initialization: null });
      expect(pre.config.clc.epochs).toBe(5);
      expect(pre.epochs).toBe(pre.config.global.epochs + 5 + (pre.config.probe.steps > 0 ? 1 : 0)); // the probe is the last epoch
      expect(pre.cohort.name).toBe('test-cohort');

      const ft = (
        await t.ok(`mutation($input: FineTuningInput!) { startFineTuning(input: $input) { ${RUN_FIELDS} } }`, {
          input: { cohortId, contrast: 'DIXON', preset: 'SMOKE', initialization: 'CLC', pretrainRunId: pre.id, nLabeled: 4 },
        })
      ).startFineTuning;
      expect(ft).toMatchObject({ kind: 'FINETUNE', status: 'QUEUED', initialization: 'CLC', nLabeled: 4, pretrainRun: { id: pre.id } });
      expect(Object.keys(ft.config).sort()).toEqual(['finetune', 'image', 'model']);

      const again = await t.ok(`query($id: ID!) { run(id: $id) { id status metrics { name last } evaluation { meanDice { right } } } }`, { id: ft.id });
      expect(again.run).toEqual({ id: ft.id, status: 'QUEUED', metrics: [], evaluation: null });
    });

    it('answers bad input with the right code and field, and writes nothing', async () => {
      const before = await countRuns();
      const pre = `mutation($input: PretrainingInput!) { startPretraining(input: $input) { id } }`;
      const ft = `mutation($input: FineTuningInput!) { startFineTuning(input: $input) { id } }`;
      const cases: [string, Record<string, unknown>, string, string | undefined][] = [
        [pre, { input: { cohortId, contrast: 'DIXON', overrides: { clc: { epochz: 5 } } } }, 'BAD_USER_INPUT', 'input.overrides.clc.epochz'],
        [pre, { input: { cohortId, contrast: 'DIXON', overrides: { clc: { epochs: 'many' } } } }, 'BAD_USER_INPUT', 'input.overrides.clc.epochs'],
        [pre, { input: { cohortId, contrast: 'BOLD' } }, 'BAD_USER_INPUT', 'input.contrast'],
        [pre, { input: { cohortId, contrast: 'PURPLE' } }, 'BAD_USER_INPUT', 'input.contrast'],
        [pre, { input: { cohortId: '00000000-0000-4000-8000-000000000000', contrast: 'DIXON' } }, 'NOT_FOUND', undefined],
        [pre, { input: { cohortId: 'nope', contrast: 'DIXON' } }, 'NOT_FOUND', undefined],
        [ft, { input: { cohortId, contrast: 'DIXON', initialization: 'CLC', nLabeled: 2 } }, 'BAD_USER_INPUT', 'input.pretrainRunId'],
        [ft, { input: { cohortId, contrast: 'DIXON', initialization: 'RANDOM', nLabeled: 9 } }, 'BAD_USER_INPUT', 'input.nLabeled'],
        [ft, { input: { cohortId, contrast: 'DIXON', initialization: 'RANDOM', nLabeled: 0 } }, 'BAD_USER_INPUT', 'input.nLabeled'],
        [
          ft,
          { input: { cohortId, contrast: 'DIXON', initialization: 'CLC', nLabeled: 2, pretrainRunId: '00000000-0000-4000-8000-000000000000' } },
          'NOT_FOUND',
          undefined,
        ],
      ];
      for (const [query, variables, code, field] of cases) {
        const r = await t.gql(query, variables);
        expect(r.errors?.[0]?.extensions.code, JSON.stringify(variables)).toBe(code);
        if (field) expect(r.errors?.[0]?.extensions.field, JSON.stringify(variables)).toBe(field);
        expect(JSON.stringify(r.body)).not.toMatch(/stacktrace|\.ts:\d+/);
      }
      // a wrong enum written in the query text
      const literal = await t.gql(`{ runs(filter: { status: DONE }) { totalCount } }`);
      expect(literal.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.status' });
      expect(await countRuns()).toBe(before);
    });

    it('paginates runs newest first and rejects negative or too large pages', async () => {
      const ids: string[] = [];
      for (let seed = 10; seed < 15; seed++) {
        ids.push(
          (await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'T1_MAP', preset: 'SMOKE', seed } }))
            .startPretraining.id,
        );
      }
      const q = `query($first: Int, $after: String) { runs(filter: { contrast: T1_MAP }, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id seed } } } }`;
      const p1 = (await t.ok(q, { first: 2 })).runs;
      expect(p1.totalCount).toBe(5);
      expect(p1.edges.map((e: any) => e.node.seed)).toEqual([14, 13]);
      const p2 = (await t.ok(q, { first: 10, after: p1.pageInfo.endCursor })).runs;
      expect(p2.edges.map((e: any) => e.node.seed)).toEqual([12, 11, 10]);
      expect(p2.pageInfo.hasNextPage).toBe(false);
      for (const first of [-1, 501]) {
        const r = await t.gql(q, { first });
        expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      }
      const bad = await t.gql(q, { first: 1, after: 'garbage' });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect((await t.ok(`{ runs(filter: { cohortId: "not-an-id" }) { totalCount } }`)).runs.totalCount).toBe(0);
    });

    it('cancels a QUEUED run and answers CONFLICT on a finished one', async () => {
      const id = (await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'DIXON', preset: 'SMOKE' } }))
        .startPretraining.id;
      const cancelled = (await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { status finishedAt } }`, { id })).cancelRun;
      expect(cancelled.status).toBe('CANCELLED');
      expect(cancelled.finishedAt).toBeTruthy();
      const again = await t.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id });
      expect(again.errors?.[0].extensions.code).toBe('CONFLICT');
      const unknown = await t.gql(`mutation { cancelRun(id: "00000000-0000-4000-8000-000000000000") { status } }`);
      expect(unknown.errors?.[0].extensions.code).toBe('NOT_FOUND');
    });

    it('creates a sweep in one transaction and validates it first', async () => {
      const q = `mutation($i: SweepInput!) { startSweep(input: $i) { id name status done total runs { kind contrast initialization nLabeled seed pretrainRun { id kind } } } }`;
      const sweep = (
        await t.ok(q, {
          i: {
            name: 'table-2',
            cohortId,
            contrasts: ['DIXON', 'T1_MAP'],
            nLabeled: [2, 4],
            initializations: ['RANDOM', 'CLC'],
            seeds: [0, 1],
            preset: 'SMOKE',
          },
        })
      ).startSweep;
      // 2 contrasts × 2 seeds PRETRAIN + 2 contrasts × 2 N × 2 init × 2 seeds FINETUNE
      expect(sweep.total).toBe(4 + 16);
      expect(sweep).toMatchObject({ name: 'table-2', status: 'QUEUED', done: 0 });
      const clc = sweep.runs.filter((r: any) => r.initialization === 'CLC');
      expect(clc).toHaveLength(8);
      for (const r of clc) expect(r.pretrainRun.kind).toBe('PRETRAIN');
      const filtered = await t.ok(`query($s: ID!) { runs(filter: { sweepId: $s }, first: 100) { totalCount } sweep(id: $s) { total } sweeps { id } }`, {
        s: sweep.id,
      });
      expect(filtered.runs.totalCount).toBe(20);

      const before = await countRuns();
      const bad: [Record<string, unknown>, string][] = [
        [{ nLabeled: [] }, 'input.nLabeled'],
        [{ seeds: [1, 1] }, 'input.seeds'],
        [{ nLabeled: [2, 9] }, 'input.nLabeled'],
        [{ contrasts: ['DWI'] }, 'input.contrasts'],
        [{ finetuneOverrides: { finetune: { nope: 1 } } }, 'input.finetuneOverrides.finetune.nope'],
      ];
      for (const [patch, field] of bad) {
        const r = await t.gql(q, {
          i: { name: 'bad', cohortId, contrasts: ['DIXON'], nLabeled: [2], initializations: ['CLC'], seeds: [0], preset: 'SMOKE', ...patch },
        });
        expect(r.errors?.[0].extensions, JSON.stringify(patch)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
      expect(await countRuns()).toBe(before);
      expect((await t.ok(`{ sweeps { name } }`)).sweeps.map((s: any) => s.name)).toEqual(['table-2']);
    });

    it('serves metrics: summaries without points, downsampled points keeping min and max', async () => {
      const id = (
        await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 99 } })
      ).startPretraining.id;
      const record = (runId: string, epoch: number, values: Record<string, number>) => recordMetrics(t.server.dataSource, runId, epoch, values);
      for (let epoch = 1; epoch <= 50; epoch++) {
        await record(id, epoch, { train_loss: epoch === 17 ? 0.01 : 1 / epoch + 0.1, lr: epoch === 33 ? 9 : 1e-3 });
      }
      await record(id, 50, { train_loss: 1 / 50 + 0.1, lr: 1e-3 }); // re-sent: idempotent
      const data = await t.ok(
        `query($id: ID!) { run(id: $id) {
        all: metrics { name last min max }
        some: metrics(names: ["train_loss"], maxPoints: 10) { name last min max points { epoch value at } }
        tiny: metrics(names: ["train_loss"], maxPoints: 3) { last min max points { epoch } } } }`,
        { id },
      );
      expect(data.run.all.map((s: any) => s.name)).toEqual(['lr', 'train_loss']);
      expect(data.run.all[0]).toMatchObject({ last: 1e-3, min: 1e-3, max: 9 });
      const loss = data.run.some[0];
      expect(loss.points.length).toBeLessThanOrEqual(10);
      expect(loss.points.map((p: any) => p.epoch)).toContain(17); // the minimum survives
      expect(loss.points[0].epoch).toBe(1);
      expect(loss.points.at(-1).epoch).toBe(50);
      expect(loss.min).toBe(0.01);
      expect(loss.last).toBeCloseTo(0.12);
      expect(loss.max).toBeCloseTo(1.1);
      // below 4 points only the extremes are kept, so last comes from the summary, not from the points
      expect(data.run.tiny[0].points.map((p: any) => p.epoch)).toEqual([1, 17]);
      expect(data.run.tiny[0]).toMatchObject({ min: 0.01 });
      expect(data.run.tiny[0].max).toBeCloseTo(1.1);
      expect(data.run.tiny[0].last).toBeCloseTo(0.12);
      const bad = await t.gql(`query($id: ID!) { run(id: $id) { metrics(maxPoints: 1) { name } } }`, { id });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'maxPoints' });
    });

    it('loads relations with a constant number of statements (DataLoader)', async () => {
      const q = `{ runs(first: 100) { edges { node { cohort { name } sweep { name } metrics { last } } } } }`;
      const counter = t.server.dataSource.queryCounter;
      const measure = async () => {
        const before = counter.count;
        const data = await t.ok(q);
        return { statements: counter.count - before, runs: data.runs.edges.length };
      };
      const small = await measure();
      const sweep = (
        await t.ok(`mutation($i: SweepInput!) { startSweep(input: $i) { id } }`, {
          i: {
            name: 'more',
            cohortId,
            contrasts: ['DIXON', 'T1_MAP'],
            nLabeled: [2, 4, 6, 8],
            initializations: ['RANDOM'],
            seeds: [5, 6, 7, 8],
            preset: 'SMOKE',
          },
        })
      ).startSweep;
      expect(sweep.id).toBeTruthy();
      const large = await measure();
      expect(large.runs).toBeGreaterThan(small.runs + 20);
      expect(large.statements).toBe(small.statements);
      expect(large.statements).toBeLessThanOrEqual(6);
    });

    it('answers GET /healthz', async () => {
      const res = await t.http().get('/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', migrations: 'current' });
    });

    it('reports a status the sweep derives from its runs', async () => {
      const { sweepStatus } = await import('../../src/services/sweep.service');
      expect(sweepStatus({ QUEUED: 3 })).toBe(RunStatus.QUEUED);
      expect(sweepStatus({ QUEUED: 1, SUCCEEDED: 1 })).toBe(RunStatus.RUNNING);
      expect(sweepStatus({ SUCCEEDED: 2 })).toBe(RunStatus.SUCCEEDED);
      expect(sweepStatus({ SUCCEEDED: 1, FAILED: 1 })).toBe(RunStatus.FAILED);
    });
  });
});

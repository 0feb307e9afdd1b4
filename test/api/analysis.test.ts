import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStatus, Split } from '../../src/schema/enums';
import { EvaluationRecord, SubjectScoreRecord } from '../../src/schema/evaluation.entity';
import { Run } from '../../src/schema/run.entity';
import { Subject } from '../../src/schema/subject.entity';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * labelEfficiency and blandAltman through GraphQL over evaluations stored as the runners store them. The arithmetic
 * is tested against hand-worked values in test/analysis; here: the right runs and subjects reach it, and bad input
 * gets the right codes.
 */
describe.each(DB_KINDS)('study statistics on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let sweepId: string;
    let clcRunId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      const cohort = await seedCohort(t.server.services, 'stats', 4);
      const data = await t.ok(`mutation($input: SweepInput!) { startSweep(input: $input) { id runs { id kind initialization nLabeled } } }`, {
        input: { name: 's', cohortId: cohort.id, contrasts: ['DIXON'], nLabeled: [2, 4], initializations: ['RANDOM', 'CLC'], seeds: [1], preset: 'SMOKE' },
      });
      sweepId = data.startSweep.id;
      const ds = t.server.dataSource;
      const tests = await ds.getRepository(Subject).find({ where: { cohortId: cohort.id, split: Split.TEST }, order: { code: 'ASC' } });
      expect(tests).toHaveLength(2);
      // Test subject i gets Dice base + 0.1·i (RANDOM base 0.6 at N = 2 and 0.7 at N = 4, CLC base 0.8) and predicted
      // volume truth + 10·(i + 1).
      for (const run of data.startSweep.runs.filter((r: any) => r.kind === 'FINETUNE')) {
        const base = run.initialization === 'CLC' ? 0.8 : run.nLabeled === 4 ? 0.7 : 0.6;
        await ds.getRepository(Run).update(run.id, { status: RunStatus.SUCCEEDED });
        await ds.getRepository(EvaluationRecord).insert({ runId: run.id, meanDiceRight: base + 0.05, meanDiceLeft: base + 0.05 });
        await ds.getRepository(SubjectScoreRecord).insert(
          tests.map((s, i) => ({
            runId: run.id,
            subjectId: s.id,
            diceRight: base + 0.1 * i,
            diceLeft: base + 0.1 * i,
            volumeRightMl: 150 + 10 * (i + 1),
            volumeLeftMl: 140,
            trueVolumeRightMl: 150,
            trueVolumeLeftMl: 140,
            predictionBlobKey: null,
          })),
        );
        if (run.initialization === 'CLC' && run.nLabeled === 2) clcRunId = run.id;
      }
    });
    afterAll(() => t?.stop());

    it('answers Table 2 and the reductions for the sweep', async () => {
      const { labelEfficiency } = await t.ok(
        `query($id: ID!) { labelEfficiency(sweepId: $id, referenceN: 4) {
          rows { contrast nLabeled random { right left } clc { right left } pValue { right left } significant
            ci95 { random { right left } clc { right left } } trainingSize { random { right left } clc { right left } } seeds { random clc } subjects { random clc } }
          reductions { contrast referenceN referenceDice matchingN reduction ci95 riRise riRiseCi95 refusal }
          baselines { contrast trainingSize ceilingDice locationPriorDice riSeedSd } } }`,
        { id: sweepId },
      );
      expect(labelEfficiency.rows.map((r: any) => r.nLabeled)).toEqual([2, 4]);
      expect(labelEfficiency.rows[0].random.right).toBeCloseTo(0.65, 10);
      expect(labelEfficiency.rows[0].clc.left).toBeCloseTo(0.85, 10);
      // CLC − RANDOM is 0.2 for both subjects: identical differences, so t = ∞ and p = 0 (degenerate test).
      expect(labelEfficiency.rows[0].pValue).toEqual({ right: 0, left: 0 });
      expect(labelEfficiency.rows[0].significant).toBe(true);
      // Subjects 0.6 and 0.7 for RANDOM: CI of the mean over 2 subjects spans [0.6, 0.7]; 1 seed, 2 subjects.
      expect(labelEfficiency.rows[0].ci95.random.right[0]).toBeCloseTo(0.6, 10);
      expect(labelEfficiency.rows[0].ci95.random.right[1]).toBeCloseTo(0.7, 10);
      expect(labelEfficiency.rows[0].seeds).toEqual({ random: 1, clc: 1 });
      expect(labelEfficiency.rows[0].subjects).toEqual({ random: 2, clc: 2 });
      expect(labelEfficiency.rows[0].trainingSize).toEqual({ random: null, clc: null }); // not recorded by this fixture
      // RANDOM rises from 0.65 (N = 2) to 0.75 (N = 4) on both subjects, so the rise's CI is [0.1, 0.1]; CLC (0.85)
      // reaches 0.75 already at N = 2: 1 − 2/4 = 50%, in every resample.
      expect(labelEfficiency.reductions).toEqual([
        {
          contrast: 'DIXON',
          referenceN: 4,
          referenceDice: expect.closeTo(0.75, 10),
          matchingN: 2,
          reduction: 0.5,
          ci95: [0.5, 0.5],
          riRise: expect.closeTo(0.1, 10),
          riRiseCi95: [expect.closeTo(0.1, 10), expect.closeTo(0.1, 10)],
          refusal: null,
        },
      ]);
      // One seed: no seed SD. The fixture's mask blobs are not stored, so the mask baselines stay empty (not an error).
      expect(labelEfficiency.baselines).toEqual([{ contrast: 'DIXON', trainingSize: 32, ceilingDice: null, locationPriorDice: null, riSeedSd: null }]);
    });

    it('answers Bland–Altman of the predicted volumes', async () => {
      const { blandAltman } = await t.ok(
        `query($id: ID!) { blandAltman(runId: $id, kidney: "right") { bias lower upper points { subject { code } mean difference } } }`,
        { id: clcRunId },
      );
      // differences (10, 20): bias 15, sd 7.0711, limits 15 ∓ 13.859
      expect(blandAltman.bias).toBeCloseTo(15, 10);
      expect(blandAltman.upper).toBeCloseTo(15 + 1.96 * Math.SQRT2 * 5, 8);
      expect(blandAltman.points.map((p: any) => p.difference)).toEqual([10, 20]);
      expect(blandAltman.points[0].mean).toBe(155);
    });

    it('rejects bad input with codes', async () => {
      const codes = async (q: string, v: Record<string, unknown>) => (await t.gql(q, v)).errors?.map((e) => [e.extensions.code, e.extensions.field]);
      const le = `query($id: ID!, $n: Int) { labelEfficiency(sweepId: $id, referenceN: $n) { rows { nLabeled } } }`;
      expect(await codes(le, { id: '00000000-0000-4000-8000-000000000000' })).toEqual([['NOT_FOUND', undefined]]);
      expect(await codes(le, { id: sweepId, n: 0 })).toEqual([['BAD_USER_INPUT', 'referenceN']]);
      const ba = `query($id: ID!, $k: String!) { blandAltman(runId: $id, kidney: $k) { bias } }`;
      expect(await codes(ba, { id: clcRunId, k: 'middle' })).toEqual([['BAD_USER_INPUT', 'kidney']]);
      expect(await codes(ba, { id: 'nope', k: 'left' })).toEqual([['NOT_FOUND', undefined]]);
    });
  });
});

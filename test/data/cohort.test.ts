import { describe, expect, it } from 'vitest';
import { planCohort, splitSizes } from '../../src/data/phantom';

const count = <T>(xs: T[], f: (x: T) => boolean) => xs.filter(f).length;

describe('planCohort', () => {
  it('79 subjects → 20 healthy / 59 patients, split 58/6/15 stratified by group', () => {
    const plan = planCohort({ seed: 2093 });
    expect(plan).toHaveLength(79);
    expect(count(plan, (s) => s.group === 'HEALTHY')).toBe(20);
    expect(count(plan, (s) => s.group === 'PROSTATE_CANCER') + count(plan, (s) => s.group === 'NEUROENDOCRINE_TUMOR')).toBe(59);
    expect(count(plan, (s) => s.group === 'PROSTATE_CANCER')).toBeGreaterThan(20);
    expect(count(plan, (s) => s.group === 'NEUROENDOCRINE_TUMOR')).toBeGreaterThan(20);
    expect(count(plan, (s) => s.split === 'TRAIN')).toBe(58);
    expect(count(plan, (s) => s.split === 'VALIDATION')).toBe(6);
    expect(count(plan, (s) => s.split === 'TEST')).toBe(15);
    // stratified: healthy share of the test set ≈ 20/79 of 15 (4), of validation ≈ 2
    expect(count(plan, (s) => s.split === 'TEST' && s.group === 'HEALTHY')).toBe(4);
    expect(count(plan, (s) => s.split === 'VALIDATION' && s.group === 'HEALTHY')).toBe(2);
    expect(new Set(plan.map((s) => s.code)).size).toBe(79);
    expect(new Set(plan.map((s) => s.seed)).size).toBe(79);
  });

  it('is deterministic for a seed and shuffles differently for another', () => {
    expect(planCohort({ seed: 1 })).toEqual(planCohort({ seed: 1 }));
    const a = planCohort({ seed: 1 }).map((s) => s.split).join();
    const b = planCohort({ seed: 2 }).map((s) => s.split).join();
    expect(a).not.toBe(b);
  });

  it('scales other sizes, with ≥ 1 validation and test subject from 3 subjects', () => {
    for (const n of [3, 5, 10, 20, 40, 158]) {
      const plan = planCohort({ subjects: n, seed: 9 });
      const sizes = splitSizes(n);
      expect(plan).toHaveLength(n);
      expect(count(plan, (s) => s.split === 'VALIDATION')).toBe(sizes.validation);
      expect(count(plan, (s) => s.split === 'TEST')).toBe(sizes.test);
      expect(sizes.validation).toBeGreaterThanOrEqual(1);
      expect(sizes.test).toBeGreaterThanOrEqual(1);
      expect(sizes.train + sizes.validation + sizes.test).toBe(n);
    }
    expect(splitSizes(158)).toEqual({ train: 116, validation: 12, test: 30 });
    expect(count(planCohort({ subjects: 158, seed: 1 }), (s) => s.group === 'HEALTHY')).toBe(40);
    expect(planCohort({ subjects: 1, seed: 1 })[0].split).toBe('TRAIN');
  });
});

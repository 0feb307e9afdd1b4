import { describe, expect, it } from 'vitest';
import { labelEfficiencyTable, type EvaluatedRun } from '../../src/analysis/label-efficiency';

const run = (nLabeled: number, initialization: 'RANDOM' | 'CLC', seed: number, dice: [number, number][]): EvaluatedRun => ({
  contrast: 'DIXON',
  nLabeled,
  initialization,
  seed,
  scores: dice.map(([right, left], i) => ({ subjectId: `s${i + 1}`, dice: { right, left } })),
});

// Three test subjects. N = 2: RANDOM over two seeds averages to (0.7, 0.6) for every subject;
// CLC is (0.8, 0.7), (0.9, 0.8), (1.0, 0.8) on both seeds. N = 20: one seed each.
const runs: EvaluatedRun[] = [
  run(2, 'RANDOM', 1, [
    [0.6, 0.5],
    [0.7, 0.6],
    [0.8, 0.7],
  ]),
  run(2, 'RANDOM', 2, [
    [0.8, 0.7],
    [0.7, 0.6],
    [0.6, 0.5],
  ]),
  run(2, 'CLC', 1, [
    [0.8, 0.7],
    [0.9, 0.8],
    [1.0, 0.8],
  ]),
  run(2, 'CLC', 2, [
    [0.8, 0.7],
    [0.9, 0.8],
    [1.0, 0.8],
  ]),
  run(20, 'RANDOM', 1, [
    [0.7, 0.7],
    [0.7, 0.7],
    [0.7, 0.7],
  ]),
  run(20, 'CLC', 1, [
    [0.8, 0.8],
    [0.81, 0.81],
    [0.82, 0.82],
  ]),
];

// t(2) has a closed-form cdf, F(t) = 1/2 + t / (2√(2 + t²)), so a two-sided p = 1 − |t| / √(2 + t²).
const pT2 = (t: number) => 1 - Math.abs(t) / Math.sqrt(2 + t * t);

describe('labelEfficiencyTable', () => {
  const { rows, reductions } = labelEfficiencyTable(runs, 20);

  it('averages seeds per subject, then subjects', () => {
    expect(rows.map((r) => r.nLabeled)).toEqual([2, 20]);
    expect(rows[0].random!.right).toBeCloseTo(0.7, 12);
    expect(rows[0].random!.left).toBeCloseTo(0.6, 12);
    expect(rows[0].clc!.right).toBeCloseTo(0.9, 12);
    expect(rows[0].clc!.left).toBeCloseTo(2.3 / 3, 12);
  });

  it('Bonferroni-corrects the paired t-tests over all four comparisons', () => {
    // N = 2, right: d = (0.1, 0.2, 0.3), t = 0.2 / (0.1/√3) = 2√3.   left: d = (0.1, 0.2, 0.2), t = 5.
    // N = 20, both kidneys: d = (0.1, 0.11, 0.12), t = 0.11 / (0.01/√3) = 11√3.
    expect(rows[0].pValue!.right).toBeCloseTo(4 * pT2(2 * Math.sqrt(3)), 6); // 0.2967
    expect(rows[0].pValue!.left).toBeCloseTo(4 * pT2(5), 6); // 0.1510
    expect(rows[1].pValue!.right).toBeCloseTo(4 * pT2(11 * Math.sqrt(3)), 5); // 0.0110
    expect(rows[0].significant).toBe(false);
    expect(rows[1].significant).toBe(true);
  });

  it('finds the annotation reduction on the isotonic curves of the mean of both kidneys, with a bootstrap CI', () => {
    // RANDOM (N 2: 0.65, N 20: 0.7) is monotone: target 0.7. CLC (N 2: 0.8333, N 20: 0.81) pools to 0.8217 at both,
    // already above 0.7 at N = 2: N_CLC = 2, 1 − 2/20 = 0.9. In every resample of the 3 subjects CLC at N = 2
    // (subject means ≥ 0.75) stays above RANDOM's 0.7 at N = 20, so the CI is [0.9, 0.9].
    // RANDOM rises by 0.05 on every subject (0.65 → 0.7), so the rise's CI is [0.05, 0.05]: the reduction stands.
    expect(reductions).toEqual([
      {
        contrast: 'DIXON',
        referenceN: 20,
        referenceDice: expect.closeTo(0.7, 12),
        matchingN: 2,
        reduction: 0.9,
        ci95: [0.9, 0.9],
        riRise: expect.closeTo(0.05, 12),
        riRiseCi95: [expect.closeTo(0.05, 12), expect.closeTo(0.05, 12)],
        refusal: null,
      },
    ]);
  });

  it("refuses the reduction where RANDOM's curve does not rise beyond its CI", () => {
    // RANDOM per subject (mean of both kidneys): N 2 → 0.60, 0.70, 0.50; N 20 → 0.65, 0.60, 0.55. The rises
    // +0.05, −0.10, +0.05 average −0.0: a resample of only the first and last subjects rises, one of the second falls,
    // so the CI straddles 0. CLC (0.9 everywhere) "reaches" RANDOM's N = 20 level at N = 2, yet no reduction is given.
    const flat = labelEfficiencyTable(
      [
        run(2, 'RANDOM', 1, [
          [0.6, 0.6],
          [0.7, 0.7],
          [0.5, 0.5],
        ]),
        run(20, 'RANDOM', 1, [
          [0.65, 0.65],
          [0.6, 0.6],
          [0.55, 0.55],
        ]),
        run(2, 'CLC', 1, [
          [0.9, 0.9],
          [0.9, 0.9],
          [0.9, 0.9],
        ]),
        run(20, 'CLC', 1, [
          [0.9, 0.9],
          [0.9, 0.9],
          [0.9, 0.9],
        ]),
      ],
      20,
    ).reductions[0];
    expect(flat.matchingN).toBe(2);
    expect(flat.reduction).toBeNull();
    expect(flat.ci95).toEqual([null, null]);
    expect(flat.riRise).toBeCloseTo(0, 12);
    expect(flat.riRiseCi95[0]!).toBeLessThan(0);
    expect(flat.riRiseCi95[1]!).toBeGreaterThan(0);
    expect(flat.refusal).toMatch(/does not rise from N = 2 to N = 20 beyond its 95% CI/);
  });

  it("gives every cell a bootstrap CI over subjects, its seeds and subjects, and RANDOM's seed SD", () => {
    // N = 2 RANDOM right: every subject averages 0.7 over its two seeds → [0.7, 0.7]
    expect(rows[0].ci95.random!.right[0]).toBeCloseTo(0.7, 12);
    expect(rows[0].ci95.random!.right[1]).toBeCloseTo(0.7, 12);
    // CLC right: subjects 0.8, 0.9, 1.0 → a CI inside [0.8, 1.0] around 0.9
    const [lo, hi] = rows[0].ci95.clc!.right;
    expect(lo).toBeGreaterThanOrEqual(0.8 - 1e-12);
    expect(lo).toBeLessThan(0.9);
    expect(hi).toBeGreaterThan(0.9);
    expect(hi).toBeLessThanOrEqual(1 + 1e-12);
    expect(rows[0].seeds).toEqual({ random: 2, clc: 2 });
    expect(rows[1].seeds).toEqual({ random: 1, clc: 1 });
    expect(rows[0].subjects).toEqual({ random: 3, clc: 3 });
    // no run recorded the training-resolution Dice: null, not a made-up number
    expect(rows[0].trainingSize).toEqual({ random: null, clc: null });
    const sized = labelEfficiencyTable(
      [{ ...run(2, 'CLC', 1, [[0.8, 0.7]]), scores: [{ subjectId: 's1', dice: { right: 0.8, left: 0.7 }, trainingSizeDice: { right: 0.9, left: 0.8 } }] }],
      20,
    );
    expect(sized.rows[0].trainingSize).toEqual({ random: null, clc: { right: 0.9, left: 0.8 } });
    // RANDOM's two seeds at N = 2 both average 0.65 over subjects and kidneys → SD 0
    expect(labelEfficiencyTable(runs, 20).spreads).toEqual([{ contrast: 'DIXON', riSeedSd: 0 }]);
    // seeds 1 and 2 at 0.6 and 0.8 (N 2), and 0.5 and 0.7 (N 4): variance 0.02 each → √0.02
    const spread = labelEfficiencyTable(
      [run(2, 'RANDOM', 1, [[0.6, 0.6]]), run(2, 'RANDOM', 2, [[0.8, 0.8]]), run(4, 'RANDOM', 1, [[0.5, 0.5]]), run(4, 'RANDOM', 2, [[0.7, 0.7]])],
      20,
    ).spreads[0].riSeedSd;
    expect(spread).toBeCloseTo(Math.sqrt(0.02), 12);
  });

  it('leaves p-values out where a side is missing or too few subjects pair', () => {
    const partial = labelEfficiencyTable([runs[0], run(8, 'CLC', 1, [[0.9, 0.9]]), run(8, 'RANDOM', 1, [[0.5, 0.5]])], 20);
    expect(partial.rows[0]).toMatchObject({ nLabeled: 2, clc: null, pValue: null, significant: false });
    expect(partial.rows[1]).toMatchObject({ nLabeled: 8, pValue: null });
    // RANDOM has no N = 20: no target, no reduction, no CI
    expect(partial.reductions[0]).toMatchObject({ referenceDice: null, matchingN: null, reduction: null, ci95: [null, null] });
    expect(partial.rows[0].ci95.clc).toBeNull();
  });
});

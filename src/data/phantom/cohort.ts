/**
 * The plan of a synthetic cohort: subject codes, groups, seeded stratified split and per-subject seeds.
 * The study (method.md "Data"): 79 subjects, 20 healthy / 59 patients (prostate cancer or neuroendocrine tumour),
 * split 58/6/15 by subject, stratified by group. Other sizes keep the same ratios.
 */
import { hashSeed, Rng } from '../random';
import type { SubjectGroupName } from '../volume';

export type SplitName = 'TRAIN' | 'VALIDATION' | 'TEST';

export interface PlannedSubject {
  code: string;
  group: SubjectGroupName;
  split: SplitName;
  /** Seed of `generateSubject` for this subject (derived from the cohort seed and the code). */
  seed: number;
}

export interface CohortPlanInput {
  subjects?: number;
  seed: number;
}

/** Split sizes: 58/6/15 for 79, proportional otherwise; ≥ 1 validation and ≥ 1 test when subjects ≥ 3. */
export function splitSizes(n: number): { train: number; validation: number; test: number } {
  let validation = Math.round((n * 6) / 79);
  let test = Math.round((n * 15) / 79);
  if (n >= 3) {
    validation = Math.max(1, validation);
    test = Math.max(1, test);
  } else {
    validation = 0;
    test = 0;
  }
  return { train: n - validation - test, validation, test };
}

/** Group counts: 20/59 for 79; otherwise round(n·20/79) healthy; patients alternate prostate cancer / NET. */
export function groupCounts(n: number): { healthy: number; patients: number } {
  const healthy = Math.round((n * 20) / 79);
  return { healthy, patients: n - healthy };
}

/**
 * Allocates the split per group (largest remainder over the groups, so the totals are exact and every group is
 * represented proportionally), then shuffles within each group with the seed.
 */
export function planCohort(input: CohortPlanInput): PlannedSubject[] {
  const n = input.subjects ?? 79;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`planCohort: subjects must be a positive integer, got ${n}`);
  const seed = input.seed >>> 0;
  const rng = Rng.from(seed, 'cohort-plan');
  const { healthy } = groupCounts(n);
  const groups: SubjectGroupName[] = [];
  let patient = 0;
  for (let i = 0; i < n; i++) {
    if (i < healthy) groups.push('HEALTHY');
    else groups.push(patient++ % 2 === 0 ? 'PROSTATE_CANCER' : 'NEUROENDOCRINE_TUMOR');
  }
  const sizes = splitSizes(n);
  // Stratify on healthy vs patient: allocate validation/test per stratum by largest remainder.
  const strata: Array<{ members: number[]; val: number; test: number }> = [];
  const byStratum = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const key = g === 'HEALTHY' ? 'H' : 'P';
    if (!byStratum.has(key)) byStratum.set(key, []);
    byStratum.get(key)!.push(i);
  });
  const allocate = (total: number, _key: 'val' | 'test') => {
    const entries = [...byStratum.values()].map((m) => ({ m, exact: (total * m.length) / n }));
    const floors = entries.map((e) => Math.floor(e.exact));
    let left = total - floors.reduce((a, b) => a + b, 0);
    const order = entries.map((e, i) => ({ i, r: e.exact - floors[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
    for (const o of order) if (left-- > 0) floors[o.i]++;
    return floors;
  };
  const val = allocate(sizes.validation, 'val');
  const tst = allocate(sizes.test, 'test');
  [...byStratum.values()].forEach((members, i) => strata.push({ members, val: val[i], test: tst[i] }));
  const split = new Array<SplitName>(n).fill('TRAIN');
  for (const s of strata) {
    const shuffled = rng.shuffle([...s.members]);
    shuffled.slice(0, s.val).forEach((i) => (split[i] = 'VALIDATION'));
    shuffled.slice(s.val, s.val + s.test).forEach((i) => (split[i] = 'TEST'));
  }
  const width = Math.max(3, String(n).length);
  return groups.map((group, i) => {
    const code = `SYN-${String(i + 1).padStart(width, '0')}`;
    return { code, group, split: split[i], seed: hashSeed(seed, 'subject', code) };
  });
}

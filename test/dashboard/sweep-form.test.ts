/** The Launch form's validation: nothing invalid reaches startSweep. */
import { describe, expect, it } from 'vitest';
import { MAX_RUNS, parseIntList, runCount, validateSweep, type SweepForm } from '../../client/src/lib/sweep-form';

const form = (over: Partial<SweepForm> = {}): SweepForm => ({
  name: 'table2',
  cohortId: 'c1',
  contrasts: ['DIXON', 'T1_MAP'],
  nLabeled: '1, 2,4 8',
  initializations: ['RANDOM', 'CLC'],
  seeds: '0 1',
  preset: 'SMOKE',
  pretrainOverrides: '',
  finetuneOverrides: '',
  ...over,
});
const limits = { contrasts: ['DIXON', 'T1_MAP'], trainSubjects: 58 };

describe('validateSweep', () => {
  it('turns a good form into the SweepInput of the API', () => {
    const { errors, input } = validateSweep(form({ name: '  table2  ', pretrainOverrides: '{"clc": {"epochs": 5}}' }), limits);
    expect(errors).toEqual({});
    expect(input).toEqual({
      name: 'table2',
      cohortId: 'c1',
      contrasts: ['DIXON', 'T1_MAP'],
      nLabeled: [1, 2, 4, 8],
      initializations: ['RANDOM', 'CLC'],
      seeds: [0, 1],
      preset: 'SMOKE',
      pretrainOverrides: { clc: { epochs: 5 } },
    });
    expect(runCount(input!)).toBe(2 * 4 * 2 * 2 + 2 * 2);
  });
  it('names every bad field in words', () => {
    const { errors, input } = validateSweep(
      form({
        name: ' ',
        cohortId: '',
        contrasts: [],
        nLabeled: '1, two',
        initializations: [],
        seeds: '',
        preset: 'FAST',
        finetuneOverrides: '[1]',
        pretrainOverrides: '{oops',
      }),
      limits,
    );
    expect(input).toBeNull();
    expect(errors).toEqual({
      name: 'give the sweep a name',
      cohortId: 'choose a cohort',
      contrasts: 'choose at least one contrast',
      nLabeled: '"two" is not a whole number',
      initializations: 'choose RANDOM, CLC or both',
      seeds: 'give at least one seed',
      preset: 'choose SMOKE, QUICK, STUDY or PAPER',
      finetuneOverrides: 'must be a JSON object, e.g. {"clc": {"epochs": 5}}',
      pretrainOverrides: expect.stringMatching(/^not valid JSON/),
    });
  });
  it('checks N against the training split and contrasts against the cohort', () => {
    expect(validateSweep(form({ nLabeled: '0, 8, 59' }), limits).errors.nLabeled).toBe('N must be between 1 and 58 (got 0, 59)');
    expect(validateSweep(form({ contrasts: ['DIXON', 'BOLD'] }), limits).errors.contrasts).toBe('the cohort has no BOLD series');
    expect(validateSweep(form({ seeds: '-1' }), limits).errors.seeds).toMatch(/between 0/);
  });
  it('refuses duplicates and oversized sweeps', () => {
    expect(parseIntList('4, 4', 'N')).toBe('each N only once, please');
    const huge = validateSweep(
      form({ nLabeled: Array.from({ length: 58 }, (_, i) => i + 1).join(','), seeds: Array.from({ length: 10 }, (_, i) => i).join(' ') }),
      limits,
    );
    expect(huge.input).toBeNull();
    expect(huge.errors.nLabeled).toMatch(new RegExp(`at most ${MAX_RUNS}`));
  });
  it('counts no pretraining runs without CLC', () => {
    expect(runCount({ contrasts: ['DIXON'], nLabeled: [1, 2], initializations: ['RANDOM'], seeds: [0] })).toBe(2);
  });
});

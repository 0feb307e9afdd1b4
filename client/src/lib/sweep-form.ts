// The Launch form's rules, checked in the browser before startSweep is sent so a typo costs no queued runs.
// The server checks again (BAD_USER_INPUT with the field); these mirror api.md / schema.graphql.
import type { SweepInput } from '../../../src/api/sweep-input';

export const CONTRASTS = ['DIXON', 'T1_MAP', 'T2_MAP', 'BOLD', 'DWI'] as const;
export const INITIALIZATIONS = ['RANDOM', 'CLC'] as const;
export const PRESETS = ['SMOKE', 'QUICK', 'STUDY', 'PAPER'] as const;

export interface SweepForm {
  name: string;
  cohortId: string;
  contrasts: string[];
  nLabeled: string; // "1, 2, 4, 8"
  initializations: string[];
  seeds: string; // "0, 1, 2"
  preset: string;
  pretrainOverrides: string; // JSON text or empty
  finetuneOverrides: string;
}

/** What the chosen cohort allows: its contrasts and the size of its training split. */
export interface CohortLimits {
  contrasts: string[];
  trainSubjects: number;
}

export type FieldErrors = Partial<Record<keyof SweepForm, string>>;

/** Parses "1, 2,4 8" into integers; returns an error sentence instead when a token is not a whole number. */
export function parseIntList(text: string, what: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (!parts.length) return `give at least one ${what}`;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^-?\d+$/.test(p)) return `"${p}" is not a whole number`;
    out.push(Number(p));
  }
  if (new Set(out).size !== out.length) return `each ${what} only once, please`;
  return out.sort((a, b) => a - b);
}

function parseOverrides(text: string): Record<string, unknown> | undefined | string {
  if (!text.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'must be a JSON object, e.g. {"clc": {"epochs": 5}}';
    return v as Record<string, unknown>;
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
}

/** Number of runs the sweep creates: every fine-tuning run, plus one PRETRAIN per (contrast, seed) when CLC is in. */
export function runCount(input: Pick<SweepInput, 'contrasts' | 'nLabeled' | 'initializations' | 'seeds'>): number {
  const ft = input.contrasts.length * input.nLabeled.length * input.initializations.length * input.seeds.length;
  const pre = input.initializations.includes('CLC') ? input.contrasts.length * input.seeds.length : 0;
  return ft + pre;
}

export const MAX_RUNS = 2000;

export function validateSweep(form: SweepForm, limits: CohortLimits | null): { errors: FieldErrors; input: SweepInput | null } {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'give the sweep a name';
  else if (name.length > 120) errors.name = 'at most 120 characters';
  if (!form.cohortId) errors.cohortId = 'choose a cohort';
  if (!form.contrasts.length) errors.contrasts = 'choose at least one contrast';
  else if (limits) {
    const missing = form.contrasts.filter((c) => !limits.contrasts.includes(c));
    if (missing.length) errors.contrasts = `the cohort has no ${missing.join(', ')} series`;
  }
  const ns = parseIntList(form.nLabeled, 'N');
  if (typeof ns === 'string') errors.nLabeled = ns;
  else {
    const max = limits?.trainSubjects ?? Infinity;
    const bad = ns.filter((n) => n < 1 || n > max);
    if (bad.length) errors.nLabeled = `N must be between 1 and ${Number.isFinite(max) ? max : 'the training split size'} (got ${bad.join(', ')})`;
  }
  if (!form.initializations.length) errors.initializations = 'choose RANDOM, CLC or both';
  const seeds = parseIntList(form.seeds, 'seed');
  if (typeof seeds === 'string') errors.seeds = seeds;
  else if (seeds.some((s) => s < 0 || s > 2 ** 31 - 1)) errors.seeds = 'seeds are between 0 and 2147483647';
  if (!(PRESETS as readonly string[]).includes(form.preset)) errors.preset = 'choose SMOKE, QUICK, STUDY or PAPER';
  const pre = parseOverrides(form.pretrainOverrides);
  if (typeof pre === 'string') errors.pretrainOverrides = pre;
  const ft = parseOverrides(form.finetuneOverrides);
  if (typeof ft === 'string') errors.finetuneOverrides = ft;
  if (Object.keys(errors).length) return { errors, input: null };
  const input: SweepInput = {
    name,
    cohortId: form.cohortId,
    contrasts: form.contrasts,
    nLabeled: ns as number[],
    initializations: form.initializations,
    seeds: seeds as number[],
    preset: form.preset,
    ...(pre ? { pretrainOverrides: pre as Record<string, unknown> } : {}),
    ...(ft ? { finetuneOverrides: ft as Record<string, unknown> } : {}),
  };
  const count = runCount(input);
  if (count > MAX_RUNS) return { errors: { nLabeled: `this sweep would queue ${count} runs; at most ${MAX_RUNS} at once` }, input: null };
  return { errors, input };
}

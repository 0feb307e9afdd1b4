/**
 * createSyntheticCohort: plan (codes, groups, stratified split, seeds) → subjects generated, encoded and hashed in
 * the worker pool → blobs stored from the main thread as each subject arrives → fingerprint → the NewCohort that
 * CohortService stores in one transaction. Nothing of the cohort is stored unless every subject succeeded; a restart
 * mid-way leaves only unreferenced blobs of this attempt, which are content-addressed and reused when the same cohort
 * is generated again.
 */
import { PHANTOM_GENERATION, planCohort } from '../data/phantom';
import { badInput } from '../errors';
import type { StoredContrast } from '../schema/cohort.entity';
import type { ContrastKind, Split, SubjectGroup } from '../schema/enums';
import { checkCohortName, fingerprintOf, mapLimit, type BlobBatch, type CohortDataDeps } from './cohort-data';
import type { NewCohort, NewSeries } from './new-cohort';

export interface SyntheticCohortRequest {
  name: string;
  subjects?: number | null;
  seed?: number | null;
  size?: number | null;
  slices?: number | null;
}

export const SYNTHETIC_LIMITS = { minSubjects: 3, maxSubjects: 400, sizes: [32, 64, 128, 256], minSlices: 4, maxSlices: 64 } as const;

export interface Progress {
  done: number;
  total: number;
}

function check(req: SyntheticCohortRequest): { subjects: number; seed: number; size: number; slices: number | undefined } {
  const subjects = req.subjects ?? 79;
  const { minSubjects, maxSubjects, sizes, minSlices, maxSlices } = SYNTHETIC_LIMITS;
  if (!Number.isInteger(subjects) || subjects < minSubjects || subjects > maxSubjects) {
    throw badInput(
      `subjects must be an integer ${minSubjects}–${maxSubjects} (a split needs ≥ 1 train, validation and test subject), got ${subjects}`,
      'input.subjects',
    );
  }
  const seed = req.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw badInput(`seed must be a non-negative integer, got ${seed}`, 'input.seed');
  const size = req.size ?? 128;
  if (!(sizes as readonly number[]).includes(size)) throw badInput(`size must be a power of two 32–256 (${sizes.join(', ')}), got ${size}`, 'input.size');
  const slices = req.slices ?? undefined;
  if (slices !== undefined && (!Number.isInteger(slices) || slices < minSlices || slices > maxSlices)) {
    throw badInput(`slices must be an integer ${minSlices}–${maxSlices}, got ${slices}`, 'input.slices');
  }
  return { subjects, seed, size, slices };
}

/** Builds the cohort, its blobs stored through `batch` (the caller discards them if building or storing fails). */
export async function buildSyntheticCohort(
  deps: CohortDataDeps,
  batch: BlobBatch,
  req: SyntheticCohortRequest,
  onProgress?: (p: Progress) => void,
): Promise<NewCohort> {
  const { subjects, seed, size, slices } = check(req);
  const name = await checkCohortName(deps.ds, req.name);
  const plan = planCohort({ subjects, seed });
  const contrasts = new Map<string, StoredContrast & { pixelMm: number[] }>();
  let done = 0;
  // at most pool.size subjects in flight, so image and import tasks still get a worker between subjects
  const stored = await mapLimit(plan, deps.pool.size, async (p) => {
    const s = await deps.pool.run('synthSubject', { seed: p.seed, code: p.code, group: p.group, size, slices });
    const series: NewSeries[] = [];
    for (const x of s.series) {
      series.push(await batch.series(x));
      const c = contrasts.get(x.contrast) ?? {
        kind: x.contrast as ContrastKind,
        channels: x.channelNames,
        protocol: cohortProtocol(x.protocol),
        pixelMm: [],
      };
      c.pixelMm.push(x.spacingMm[0]);
      contrasts.set(x.contrast, c);
    }
    onProgress?.({ done: ++done, total: plan.length });
    return {
      code: p.code,
      group: p.group as SubjectGroup,
      split: p.split as Split,
      series,
      hashes: s.series.map(({ contrast, dataHash, maskHash }) => ({ contrast, dataHash, maskHash })),
    };
  });
  return {
    name,
    // the generator version: a stored generation-1 cohort reads `synthetic:seed=…` and keeps its own data
    source: `synthetic:phantom=${PHANTOM_GENERATION},seed=${seed},size=${size}${slices ? `,slices=${slices}` : ''}`,
    fingerprint: fingerprintOf(stored.map((s) => ({ code: s.code, series: s.hashes }))),
    contrasts: [...contrasts.values()].map(({ pixelMm, ...c }) => ({
      ...c,
      protocol: { ...c.protocol, pixelMmRange: [Math.min(...pixelMm), Math.max(...pixelMm)] },
    })),
    subjects: stored.map(({ hashes: _h, ...s }) => s),
  };
}

/** The contrast's acquisition parameters shared by all subjects (per-subject slices, spacing and acquired timings left out). */
function cohortProtocol(p: Record<string, unknown>): Record<string, unknown> {
  const { slices: _s, spacingMm: _sp, acquired: _a, ...rest } = p;
  return rest;
}

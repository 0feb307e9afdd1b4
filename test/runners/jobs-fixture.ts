/**
 * Jobs without a host: a phantom cohort generated in memory and stored in a Map blob store keyed by sha256, and a
 * JobIO that records what a job reports. Used by test/runners/jobs*.test.ts and bench/jobs.ts.
 */
import { encodeMask, encodeVolume, sha256Hex } from '../../src/data/encoding';
import { generateSubject, planCohort } from '../../src/data/phantom';
import type { ContrastKindName } from '../../src/data/volume';
import type { EpochReport, JobIO, JobSpec, JobSubject } from '../../src/runs/job';
import type { RunConfig } from '../../src/ml/presets';

export interface MemoryCohort {
  blobs: Map<string, Uint8Array>;
  subjects: JobSubject[];
}

/** `n` phantom subjects (planCohort's 58/6/15-proportional split) of one contrast at `size`², stored as blobs. */
export function memoryCohort(opts: { subjects: number; size: number; slices?: number; contrast: ContrastKindName; seed?: number }): MemoryCohort {
  const blobs = new Map<string, Uint8Array>();
  const put = (bytes: Uint8Array) => {
    const key = sha256Hex(bytes);
    blobs.set(key, bytes);
    return key;
  };
  const subjects = planCohort({ subjects: opts.subjects, seed: opts.seed ?? 7 }).map((p): JobSubject => {
    const g = generateSubject({ seed: p.seed, code: p.code, group: p.group, size: opts.size, slices: opts.slices });
    const s = g.series.find((x) => x.contrast === opts.contrast);
    if (!s?.mask) throw new Error(`phantom ${p.code} has no ${opts.contrast} series with a mask`);
    const dims = { width: s.width, height: s.height, slices: s.slices };
    return {
      id: `subject-${p.code}`,
      code: p.code,
      split: p.split,
      seriesId: `series-${p.code}-${opts.contrast}`,
      ...dims,
      channels: s.channels,
      spacingMm: s.spacingMm,
      dataBlobKey: put(encodeVolume(s).bytes),
      maskBlobKey: put(encodeMask(s.mask, dims)),
    };
  });
  return { blobs, subjects };
}

export interface RecordingIO extends JobIO {
  reports: EpochReport[];
  phases: string[];
  logs: string[];
  controller: AbortController;
}

/** A JobIO over a blob Map; `onEpoch` may abort `controller` (cancellation) or throw (a crash). */
/** Named blobs of a memory store: IOs over the same blob map share them, as runs share the server's aliases. */
const NAMES = new WeakMap<Map<string, Uint8Array>, Map<string, string>>();

export function memoryIO(blobs: Map<string, Uint8Array>, onEpoch?: (r: EpochReport, io: RecordingIO) => void): RecordingIO {
  const names = NAMES.get(blobs) ?? new Map<string, string>();
  NAMES.set(blobs, names);
  const controller = new AbortController();
  const io: RecordingIO = {
    reports: [],
    phases: [],
    logs: [],
    controller,
    signal: controller.signal,
    async getBlob(key) {
      const b = blobs.get(key);
      if (!b) throw new Error(`blob ${key} not found`);
      return b;
    },
    async putBlob(bytes) {
      const key = sha256Hex(bytes);
      blobs.set(key, new Uint8Array(bytes));
      return key;
    },
    async findNamed(name) {
      return names.get(name) ?? null;
    },
    async putNamed(name, bytes) {
      const key = await io.putBlob(bytes);
      names.set(name, key);
      return key;
    },
    phase(name) {
      io.phases.push(name);
    },
    async epochEnd(report) {
      if (!blobs.has(report.checkpointKey)) throw new Error(`epoch ${report.epoch} reported before its checkpoint was stored`);
      io.reports.push(report);
      onEpoch?.(report, io);
    },
    log(message) {
      io.logs.push(message);
    },
  };
  return io;
}

/** A JobSpec over a cohort (runId, kind, config, seed and the rest as given). */
export function jobSpec(cohort: MemoryCohort, spec: Partial<JobSpec> & Pick<JobSpec, 'kind' | 'config'>): JobSpec {
  return {
    runId: 'run-1',
    contrast: 'DWI',
    seed: 11,
    initialization: null,
    nLabeled: null,
    pretrainedWeightsKey: null,
    resumeCheckpointKey: null,
    subjects: cohort.subjects,
    ...spec,
  } as JobSpec & { config: RunConfig };
}

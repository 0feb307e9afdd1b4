/**
 * The contract between the runner host (queue, leases, worker threads, database, events) and the jobs that do
 * the science inside a worker thread (src/runners/jobs: constraint maps, global warm-up, CLC, fine-tuning,
 * evaluation). A job sees no database and no GraphQL: it gets a JobSpec, reads and writes bytes through JobIO, and
 * reports every finished epoch; the host makes each report durable before the job goes on.
 */
import type { ContrastKindName } from '../data/volume';
import type { RunConfig } from '../ml/presets';
import type { RunConfigOf } from '../ml/resolve-config';

export type JobKind = 'PRETRAIN' | 'FINETUNE';
export type JobSplit = 'TRAIN' | 'VALIDATION' | 'TEST';

/** One subject of the run's cohort, with its series of the run's contrast. */
export interface JobSubject {
  id: string;
  code: string;
  split: JobSplit;
  seriesId: string;
  width: number;
  height: number;
  slices: number;
  channels: number;
  spacingMm: [number, number, number];
  /** sha256 keys in the blob store (src/data/encoding.ts formats). */
  dataBlobKey: string;
  maskBlobKey: string | null;
}

export interface JobSpec {
  runId: string;
  kind: JobKind;
  contrast: ContrastKindName;
  seed: number;
  /** The run's stored, fully resolved config (src/ml/presets.ts). */
  config: RunConfig;
  /** FINETUNE only. */
  initialization: 'RANDOM' | 'CLC' | null;
  nLabeled: number | null;
  /** FINETUNE from CLC: blob key of the pretraining run's final weights. */
  pretrainedWeightsKey: string | null;
  /** Every subject of the cohort that has a series of this contrast, in a stable order (by code). */
  subjects: JobSubject[];
  /** The last checkpoint of an earlier attempt of this run (a crash or a re-queue): resume after its epoch. */
  resumeCheckpointKey: string | null;
}

/** One finished epoch. `epoch` counts across phases (1-based), so a run's progress is one number. */
export interface EpochReport {
  phase: string;
  epoch: number;
  epochs: number;
  metrics: Record<string, number>;
  /** Full training state after this epoch (weights, optimiser, scheduler, RNG, phase), already in the blob store. */
  checkpointKey: string;
  /** Weights of the best validation loss so far, when it changed this epoch. */
  bestCheckpointKey: string | null;
}

export interface JobIO {
  getBlob(key: string): Promise<Uint8Array>;
  /** Stores bytes content-addressed; resolves to the sha256 key. */
  putBlob(bytes: Uint8Array): Promise<string>;
  /**
   * Blobs named by what they were computed from (caches shared by every run and machine, e.g. constraint maps of a
   * series for given parameters): the key stored under `name`, or null.
   */
  findNamed(name: string): Promise<string | null>;
  /** Stores bytes under `name` (content-addressed as putBlob); resolves to the key. */
  putNamed(name: string, bytes: Uint8Array): Promise<string>;
  /** Announces a phase (e.g. "constraints", "global", "clc", "finetune", "evaluate") and the run's total epochs. */
  phase(name: string, epochs: number): void;
  /** Resolves once the host has stored the checkpoint reference and the metric points of this epoch. */
  epochEnd(report: EpochReport): Promise<void>;
  /** Aborted when the run is cancelled or its lease is lost: stop within one batch and throw JobCancelledError. */
  signal: AbortSignal;
  log(message: string): void;
}

export interface SubjectEvaluation {
  subjectId: string;
  /** Dice at the series' own resolution (the prediction resampled back), the study's number. */
  dice: { right: number; left: number };
  /** Dice at the training resolution: the prediction against the mask resampled to image.size, as trained. */
  trainingSizeDice?: { right: number; left: number };
  volumeMl: { right: number; left: number };
  trueVolumeMl: { right: number; left: number };
  /** Predicted label map [slices][height][width] at the series' own size, stored with encodeMask. */
  predictionBlobKey: string;
}

export interface JobResult {
  /** PRETRAIN: the weights fine-tuning starts from. FINETUNE: the evaluated (best) weights. */
  finalWeightsKey: string;
  /** FINETUNE: one entry per TEST subject. */
  evaluation: SubjectEvaluation[] | null;
  /** The backend the job trained on, e.g. "wasm-simd-1t". */
  device: string;
}

export type Job = (spec: JobSpec, io: JobIO) => Promise<JobResult>;

/** The spec's config as its kind's: the host read it back through parseRunConfig (src/runners/spec.ts). */
export function jobConfig<K extends JobKind>(spec: JobSpec, kind: K): RunConfigOf<K> {
  if (spec.kind !== kind) throw new Error(`a ${kind} job was handed a ${spec.kind} run`);
  return spec.config as RunConfigOf<K>;
}

/** Thrown by a job that stopped because its signal was aborted. */
export class JobCancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}

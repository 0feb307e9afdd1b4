/**
 * What every training phase of a job shares: the job checkpoint (the Trainer's full state plus where the job is),
 * the per-epoch report to the host (checkpoint first, then the report, so a report never names a missing blob),
 * cancellation as JobCancelledError, and a readable failure when the loss stops being a number.
 *
 * Checkpoint bytes: an encodeBundle (src/ml/weights.ts) holding the Trainer state bytes as one array, with meta
 * { format, kind, seed, phase, epochInPhase, ...job fields } — so one blob restores a job in a fresh process.
 */
import { decodeBundle, encodeBundle } from '../../ml/weights';
import type { EpochMetrics, Trainer, TrainerControls, TrainResult } from '../../ml/train';
import { JobCancelledError, type JobIO, type JobKind } from '../../runs/job';

const FORMAT = 'nephron-job-checkpoint/1';

export interface JobCheckpointMeta {
  kind: JobKind;
  seed: number;
  phase: string;
  /** Epochs completed in `phase`. */
  epochInPhase: number;
  /** PRETRAIN: the constraint-map index blob (see ./constraints.ts). */
  constraintsKey?: string | null;
}

export interface JobCheckpoint {
  meta: JobCheckpointMeta;
  trainerState: Uint8Array;
}

export function encodeJobCheckpoint(meta: JobCheckpointMeta, trainerState: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(trainerState.length / 4) * 4);
  padded.set(trainerState);
  const values = new Float32Array(padded.buffer);
  return encodeBundle([{ name: 'trainer', shape: [values.length], values }], { ...meta, format: FORMAT, trainerBytes: trainerState.length });
}

/** Decode a job checkpoint and check that it belongs to a job of this kind and seed. */
export function decodeJobCheckpoint(bytes: Uint8Array, kind: JobKind, seed: number): JobCheckpoint {
  const { meta, arrays } = decodeBundle(bytes);
  if (meta.format !== FORMAT) throw new Error(`resume: the checkpoint is not a job checkpoint (format ${String(meta.format)})`);
  if (meta.kind !== kind || meta.seed !== seed) {
    throw new Error(`resume: the checkpoint is of a ${String(meta.kind)} job with seed ${String(meta.seed)}, this is ${kind} with seed ${seed}`);
  }
  const a = arrays.find((x) => x.name === 'trainer');
  if (!a) throw new Error('resume: the checkpoint holds no trainer state');
  const v = a.values;
  const trainerState = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice(0, meta.trainerBytes as number);
  return { meta: meta as unknown as JobCheckpointMeta, trainerState };
}

export interface PhaseOptions {
  io: JobIO;
  phase: string;
  /** Epochs of the earlier phases (reports count epochs across phases, 1-based). */
  offset: number;
  /** The job's total epochs over all phases. */
  total: number;
  meta: Omit<JobCheckpointMeta, 'phase' | 'epochInPhase'>;
  /** The epoch's metrics as the run reports them (e.g. clc_loss, val_clc_loss, lr). */
  metrics: (m: EpochMetrics) => Record<string, number>;
  /** Store the best weights and report their key when the monitored loss improved (phases with a validation loss). */
  reportBest: boolean;
}

/** The Trainer's onEpoch for a phase: checkpoint → blob store → io.epochEnd. */
export function epochReporter(o: PhaseOptions): (m: EpochMetrics, trainer: TrainerControls) => Promise<void> {
  return async (m, trainer) => {
    const metrics = o.metrics(m);
    for (const [name, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) throw new Error(`${name} became ${value} at epoch ${o.offset + m.epoch} (${o.phase})`);
    }
    const state = await trainer.exportState();
    const checkpointKey = await o.io.putBlob(encodeJobCheckpoint({ ...o.meta, phase: o.phase, epochInPhase: m.epoch }, state));
    const best = o.reportBest && m.improved ? trainer.bestWeights() : null;
    const bestCheckpointKey = best ? await o.io.putBlob(best) : null;
    await o.io.epochEnd({ phase: o.phase, epoch: o.offset + m.epoch, epochs: o.total, metrics, checkpointKey, bestCheckpointKey });
  };
}

/**
 * Run a Trainer to its last epoch. Cancellation → JobCancelledError; a non-finite training loss (the Trainer's
 * "training loss is NaN at epoch e, batch b") → "loss became NaN at epoch E (phase), batch b" with E counted across
 * phases, so the host's FAILED run says where it broke.
 */
export async function runPhase<B>(trainer: Trainer<B>, o: Pick<PhaseOptions, 'io' | 'phase' | 'offset'>): Promise<TrainResult> {
  throwIfCancelled(o.io);
  let result: TrainResult;
  try {
    result = await trainer.run();
  } catch (err) {
    const m = err instanceof Error ? /^training loss is (\S+) at epoch (\d+), batch (\d+)/.exec(err.message) : null;
    if (m) throw new Error(`loss became ${m[1]} at epoch ${o.offset + Number(m[2])} (${o.phase}), batch ${m[3]}`, { cause: err });
    throw err;
  }
  if (result.status === 'cancelled') throw new JobCancelledError(`cancelled during ${o.phase} after epoch ${o.offset + result.epochs}`);
  return result;
}

export function throwIfCancelled(io: Pick<JobIO, 'signal'>): void {
  if (io.signal.aborted) throw new JobCancelledError();
}

/** Let the worker's event loop run (cancellation messages, heartbeats) between long synchronous pieces. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

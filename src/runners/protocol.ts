/**
 * Messages between a runner slot (main thread, ./slot.ts) and its worker thread (./worker.ts). The worker owns a
 * tfjs backend and runs one job at a time; everything that touches the database or the blob store is a `call`
 * the main thread answers with a `reply`, so a job sees only JobIO (./job.ts).
 */
import type { EpochReport, JobResult, JobSpec } from '../runs/job';

export interface WorkerOptions {
  /** Module exporting `runJob` (default ./jobs); tests point at fixtures. */
  jobModule?: string;
  /** Intra-op threads for this worker's backend (default: NEPHRON_THREADS, else the core count). */
  threads?: number;
  /** webgpu: the GPU adapter of this worker (the slot's index: one slot per adapter). */
  adapter?: number;
  /** Old-generation heap limit in MB: a worker beyond it dies (ERR_WORKER_OUT_OF_MEMORY), the process lives on. */
  heapMb?: number;
}

export interface CallArgs {
  getBlob: string;
  putBlob: Uint8Array;
  findNamed: string;
  putNamed: { name: string; bytes: Uint8Array };
  epochEnd: EpochReport;
}
export type CallMethod = keyof CallArgs;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ToWorker =
  | { type: 'run'; spec: JobSpec }
  | { type: 'abort'; reason: string }
  | { type: 'reply'; id: number; value?: unknown; error?: SerializedError };

export type FromWorker =
  | { type: 'ready'; device: string; backend: string; adapters: number | null }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'call'; id: number; method: CallMethod; arg: CallArgs[CallMethod] }
  | { type: 'phase'; name: string; epochs: number }
  | { type: 'log'; message: string }
  | { type: 'done'; result: JobResult }
  | { type: 'failed'; error: SerializedError; cancelled: boolean };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** A copy that owns its whole ArrayBuffer, safe to transfer (a view may share a pooled or still-used buffer). */
export function ownedCopy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

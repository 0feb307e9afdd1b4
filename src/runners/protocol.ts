/**
 * Messages between a runner slot (main thread, ./slot.ts) and its worker thread (./worker.ts). The worker owns a
 * tfjs backend and runs one job at a time; everything that touches the database or the blob store is a `call`
 * the main thread answers with a `reply`, so a job sees only JobIO (src/runs/job.ts).
 */
import type { JobIO, JobResult, JobSpec } from '../runs/job';

/**
 * The JobIO calls the main thread answers, the one table of the seam: the worker's proxy (./worker.ts), the slot's
 * dispatch (./slot.ts) and the retry wrapper (./retry.ts: each is retried while the database is away) all follow it.
 * Bytes in an argument or an answer are moved, never shared: the sender transfers a copy that owns its memory.
 * The rest of JobIO (phase, log) are one-way messages; `signal` is the worker's own.
 */
export const JOB_CALLS = ['getBlob', 'putBlob', 'findNamed', 'putNamed', 'epochEnd'] as const satisfies readonly (keyof JobIO)[];
export type JobCall = (typeof JOB_CALLS)[number];

/** What the main thread does for a running job: JobIO less the worker's own abort signal. */
export type JobHandlers = Omit<JobIO, 'signal'>;
/** The arguments of each call, as posted. */
export type CallArgs = { [M in JobCall]: Parameters<JobIO[M]> };

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

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ToWorker =
  { type: 'run'; spec: JobSpec } | { type: 'abort'; reason: string } | { type: 'reply'; id: number; value?: unknown; error?: SerializedError };

export type FromWorker =
  | { type: 'ready'; device: string; backend: string; adapters: number | null }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'call'; id: number; method: JobCall; args: CallArgs[JobCall] }
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

/** A value to post with its bytes moved: Uint8Arrays (alone or in a list) become owned copies, listed for transfer. */
export function movable<T>(value: T): { value: T; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const move = (v: unknown) => {
    if (!(v instanceof Uint8Array)) return v;
    const copy = ownedCopy(v);
    transfer.push(copy.buffer as ArrayBuffer);
    return copy;
  };
  return { value: (Array.isArray(value) ? value.map(move) : move(value)) as T, transfer };
}

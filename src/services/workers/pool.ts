/**
 * A small pool of worker_threads for CPU-heavy data work (phantom generation, NIfTI decoding, constraint maps,
 * slice rendering), so the API's event loop never stalls. Size min(2, cores): the study machine has 2 cores and
 * runners need theirs too. Workers start lazily, are unref'd (an idle pool never keeps the process alive) and are
 * replaced when one dies. Tasks and their types are in ./tasks.ts.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../runners/worker-script';
import type { TaskInput, TaskName, TaskOutput } from './tasks';

/** An error thrown inside a task, with the fields the caller needs (e.g. NiftiError's file and reason). */
export class TaskError extends Error {
  constructor(
    name: string,
    message: string,
    readonly file?: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** Input buffers that may be moved to a worker: only arrays that own their whole ArrayBuffer (never a pooled slab). */
export function transferOf(...arrays: Uint8Array[]): ArrayBuffer[] {
  return arrays
    .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer)
    .map((a) => a.buffer as ArrayBuffer);
}

interface Job {
  task: TaskName;
  input: unknown;
  transfer: ArrayBuffer[];
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(readonly size: number = Math.max(1, Math.min(2, os.availableParallelism()))) {}

  /** Runs a task on a free worker; `transfer` lists input buffers to move instead of copy. */
  run<K extends TaskName>(task: K, input: TaskInput<K>, transfer: ArrayBuffer[] = []): Promise<TaskOutput<K>> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, input, transfer, resolve, reject });
      this.dispatch();
    });
  }

  /** Jobs waiting or running (for logs and tests). */
  get busy(): number {
    return this.queue.length + this.slots.filter((s) => s.job).length;
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ task: job.task, input: job.input }, job.transfer);
    }
  }

  private spawn(): Slot {
    const { file, execArgv } = workerScript(__filename, 'data.worker');
    const worker = new Worker(file, { execArgv });
    worker.unref();
    const slot: Slot = { worker, job: null };
    worker.on('message', (msg: { ok: true; output: unknown } | { ok: false; error: { name: string; message: string; file?: string; reason?: string } }) => {
      const job = slot.job;
      slot.job = null;
      if (job) {
        if (msg.ok) job.resolve(msg.output);
        else job.reject(new TaskError(msg.error.name, msg.error.message, msg.error.file, msg.error.reason));
      }
      this.dispatch();
    });
    const fail = (e: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.job?.reject(e);
      slot.job = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`data worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  /** Terminates the workers; queued and running jobs fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('worker pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

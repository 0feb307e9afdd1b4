/**
 * One runner slot: a long-lived worker thread with its own tfjs backend that runs one job at a time. The slot
 * answers the worker's JobIO calls through the handlers of the current run, and turns every way a job can end into
 * one outcome: done, failed (thrown; `cancelled` when it stopped on its signal) or died (the thread exited or ran
 * out of memory). A dead worker is replaced before the slot takes the next run.
 */
import { Worker } from 'node:worker_threads';
import type { JobResult, JobSpec } from '../runs/job';
import { JOB_CALLS, movable, serializeError, type FromWorker, type JobHandlers, type ToWorker, type WorkerOptions } from './protocol';
import { workerScript } from './worker-script';

export type JobOutcome = { kind: 'done'; result: JobResult } | { kind: 'failed'; error: string; cancelled: boolean } | { kind: 'died'; error: string };

/** "Name: message" unless the name says nothing ("Error"). */
function readable(e: { name: string; message: string }): string {
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
}

export class Slot {
  private worker: Worker | null = null;
  private ready: Promise<string> | null = null;
  private running: { handlers: JobHandlers; finish: (o: JobOutcome) => void } | null = null;
  device = '';
  /** The worker's backend ('wasm', 'webgpu', …) and, on webgpu, the machine's GPU adapters; set once started. */
  backend = '';
  adapters: number | null = null;

  constructor(
    readonly index: number,
    private readonly options: WorkerOptions = {},
  ) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Starts the worker (if not running) and resolves to its device once its backend is up. */
  start(): Promise<string> {
    this.ready ??= this.spawn();
    return this.ready;
  }

  private spawn(): Promise<string> {
    const { file, execArgv } = workerScript(__filename, 'worker');
    const resourceLimits = this.options.heapMb ? { maxOldGenerationSizeMb: this.options.heapMb } : undefined;
    const worker = new Worker(file, { execArgv, workerData: this.options, env: process.env, resourceLimits });
    this.worker = worker;
    return new Promise<string>((resolve, reject) => {
      let up = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          up = true;
          this.device = msg.device;
          this.backend = msg.backend;
          this.adapters = msg.adapters;
          resolve(msg.device);
        } else if (msg.type === 'fatal') {
          reject(new Error(`runner worker could not start: ${readable(msg.error)}`));
          void worker.terminate();
        } else {
          this.onMessage(worker, msg);
        }
      });
      // 'error': an uncaught exception or ERR_WORKER_OUT_OF_MEMORY; 'exit' follows it
      let lastError: Error | null = null;
      worker.on('error', (e) => (lastError = e));
      worker.on('exit', (code) => {
        if (this.worker === worker) {
          this.worker = null;
          this.ready = null;
        }
        const why = lastError ? readable(serializeError(lastError)) : `exit code ${code}`;
        if (!up) reject(new Error(`runner worker exited before its backend was ready (${why})`));
        this.running?.finish({ kind: 'died', error: `runner worker died: ${why}` });
      });
    });
  }

  private send(worker: Worker, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    try {
      worker.postMessage(msg, transfer);
    } catch {
      // the worker is gone; its exit handler reports the outcome
    }
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    const run = this.running;
    if (!run) return;
    switch (msg.type) {
      case 'call': {
        const fail = (e: unknown) => this.send(worker, { type: 'reply', id: msg.id, error: serializeError(e) });
        if (!JOB_CALLS.includes(msg.method)) return fail(new Error(`unknown job call ${String(msg.method)}`));
        const handler = run.handlers[msg.method] as (...args: unknown[]) => Promise<unknown>;
        handler(...msg.args).then((value) => {
          // bytes go back moved: the store's buffer may be pooled, so the worker gets a copy that owns its memory
          const answer = movable(value);
          this.send(worker, { type: 'reply', id: msg.id, value: answer.value }, answer.transfer);
        }, fail);
        return;
      }
      case 'phase':
        return run.handlers.phase(msg.name, msg.epochs);
      case 'log':
        return run.handlers.log(msg.message);
      case 'done':
        return run.finish({ kind: 'done', result: msg.result });
      case 'failed':
        return run.finish({ kind: 'failed', error: readable(msg.error), cancelled: msg.cancelled });
    }
  }

  /** Runs one job to its outcome (never rejects). */
  async run(spec: JobSpec, handlers: JobHandlers): Promise<JobOutcome> {
    if (this.running) throw new Error(`slot ${this.index} is busy`);
    try {
      await this.start();
    } catch (e) {
      this.ready = null;
      return { kind: 'died', error: (e as Error).message };
    }
    const worker = this.worker!;
    return new Promise<JobOutcome>((resolve) => {
      this.running = {
        handlers,
        finish: (o) => {
          if (this.running?.handlers !== handlers) return;
          this.running = null;
          resolve(o);
        },
      };
      this.send(worker, { type: 'run', spec });
    });
  }

  /** Asks the running job to stop (it throws JobCancelledError within one batch). */
  abort(reason: string): void {
    if (this.running && this.worker) this.send(this.worker, { type: 'abort', reason });
  }

  /** Kills the worker now; a running job ends as `died`. */
  async terminate(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }
}

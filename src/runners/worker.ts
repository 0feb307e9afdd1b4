/**
 * Entry of a runner worker thread: starts this thread's tfjs backend once, then runs the jobs the slot sends, one
 * at a time. JobIO is proxied to the main thread (./protocol.ts); the job's AbortSignal fires on an `abort`
 * message, which arrives between batches because the training loop yields to the event loop after each one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../ml/backend';
import { JobCancelledError, type Job, type JobIO, type JobSpec } from '../runs/job';
import { JOB_CALLS, movable, serializeError, type CallArgs, type FromWorker, type JobCall, type ToWorker, type WorkerOptions } from './protocol';

const port = parentPort!;
const options = (workerData ?? {}) as WorkerOptions;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextCall = 1;
let current: AbortController | null = null;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/** One JobIO call answered by the main thread; bytes in the arguments are moved (the job may keep using its own). */
function call<M extends JobCall>(method: M, args: CallArgs[M]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const id = nextCall++;
    pending.set(id, { resolve, reject });
    const moved = movable(args);
    post({ type: 'call', id, method, args: moved.value }, moved.transfer);
  });
}

/** The JobIO calls of JOB_CALLS, proxied to the main thread. */
const calls = Object.fromEntries(JOB_CALLS.map((method) => [method, (...args: CallArgs[typeof method]) => call(method, args)])) as Pick<JobIO, JobCall>;

function loadJob(): Job {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = (options.jobModule ? require(options.jobModule) : require('./jobs')) as { runJob?: Job };
  if (typeof mod.runJob !== 'function') throw new Error(`job module ${options.jobModule ?? './jobs'} exports no runJob`);
  return mod.runJob;
}

async function execute(job: Job, spec: JobSpec): Promise<void> {
  const controller = (current = new AbortController());
  const io: JobIO = {
    ...calls,
    phase: (name, epochs) => post({ type: 'phase', name, epochs }),
    signal: controller.signal,
    log: (message) => post({ type: 'log', message }),
  };
  try {
    const result = await job(spec, io);
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'failed', error: serializeError(e), cancelled: e instanceof JobCancelledError || controller.signal.aborted });
  } finally {
    current = null;
  }
}

void (async () => {
  let job: Job;
  try {
    const info = await initBackend({ threads: options.threads, adapter: options.adapter });
    job = loadJob();
    port.on('message', (msg: ToWorker) => {
      if (msg.type === 'reply') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
        else p?.resolve(msg.value);
      } else if (msg.type === 'abort') {
        current?.abort(new JobCancelledError(msg.reason));
      } else if (msg.type === 'run') {
        void execute(job, msg.spec);
      }
    });
    post({ type: 'ready', device: info.device, backend: info.name, adapters: info.adapters ?? null });
  } catch (e) {
    post({ type: 'fatal', error: serializeError(e) });
  }
})();

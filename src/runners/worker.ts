/**
 * Entry of a runner worker thread: starts this thread's tfjs backend once, then runs the jobs the slot sends, one
 * at a time. JobIO is proxied to the main thread (./protocol.ts); the job's AbortSignal fires on an `abort`
 * message, which arrives between batches because the training loop yields to the event loop after each one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../ml/backend';
import { JobCancelledError, type Job, type JobIO, type JobSpec } from '../runs/job';
import { ownedCopy, serializeError, type CallArgs, type CallMethod, type FromWorker, type ToWorker, type WorkerOptions } from './protocol';

const port = parentPort!;
const options = (workerData ?? {}) as WorkerOptions;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextCall = 1;
let current: AbortController | null = null;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function call<M extends CallMethod>(method: M, arg: CallArgs[M], transfer: ArrayBuffer[] = []): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const id = nextCall++;
    pending.set(id, { resolve, reject });
    post({ type: 'call', id, method, arg }, transfer);
  });
}

function loadJob(): Job {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = (options.jobModule ? require(options.jobModule) : require('./jobs')) as { runJob?: Job };
  if (typeof mod.runJob !== 'function') throw new Error(`job module ${options.jobModule ?? './jobs'} exports no runJob`);
  return mod.runJob;
}

async function execute(job: Job, spec: JobSpec): Promise<void> {
  const controller = (current = new AbortController());
  const io: JobIO = {
    getBlob: async (key) => (await call('getBlob', key)) as Uint8Array,
    putBlob: async (bytes) => {
      const copy = ownedCopy(bytes); // the job may keep using its bytes: move a copy
      return (await call('putBlob', copy, [copy.buffer as ArrayBuffer])) as string;
    },
    findNamed: async (name) => (await call('findNamed', name)) as string | null,
    putNamed: async (name, bytes) => {
      const copy = ownedCopy(bytes);
      return (await call('putNamed', { name, bytes: copy }, [copy.buffer as ArrayBuffer])) as string;
    },
    phase: (name, epochs) => post({ type: 'phase', name, epochs }),
    epochEnd: async (report) => void (await call('epochEnd', report)),
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

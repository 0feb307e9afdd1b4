/**
 * The segmentation worker thread (./segment.worker.ts), owned by the SegmentationService: fine-tuned networks run
 * here, never on the event loop and never in the data pool (a forward pass over a whole scan would hold a data
 * worker for seconds and keep the TensorFlow.js engine in every one of them). One thread, one scan at a time, in
 * arrival order; it starts on the first scan, is unref'd, ends after IDLE_MS without work (its networks go with
 * it) and is replaced when it dies.
 */
import { Worker } from 'node:worker_threads';
import type { Affine } from '../../data/nifti';
import type { BackendName } from '../../ml/backend';
import type { ModelConfig } from '../../ml/presets';
import { workerScript } from '../../runners/worker-script';
import { TaskError, transferOf } from './pool';

const IDLE_MS = 5 * 60_000;

export interface SegmentRequest {
  model: {
    /** The run's weights blob: the network's cache key, and what the worker asks for when it lacks it. */
    weightsKey: string;
    size: number;
    model: ModelConfig;
    seed: number;
    /** Images per forward pass, as in the run's evaluation (its fine-tuning batch size). */
    imagesPerBatch: number;
  };
  source:
    | { kind: 'nifti'; bytes: Uint8Array; file: string; contrast: string; channelNames: string[]; maxInflatedBytes: number }
    | { kind: 'volume'; bytes: Uint8Array; file: string; contrast: string; channelNames: string[]; spacingMm: [number, number, number]; affine: Affine };
}

export interface SegmentResult {
  width: number;
  height: number;
  slices: number;
  spacingMm: [number, number, number];
  affine: Affine;
  /** The labels as an encoded mask blob (src/data/encoding.ts). */
  maskBlob: Uint8Array;
  /** For a NIfTI source: the mask as .nii.gz with the source's grid and affine. */
  nifti: Uint8Array | null;
  volumesMl: { right: number; left: number };
  /** Backend the network ran on, e.g. "wasm-simd-2t". */
  device: string;
  /** Wall time in the worker: reading, preprocessing, network (building it on a cache miss), writing. */
  ms: number;
}

export type SegmentReply =
  | { type: 'weights'; key: string }
  | { type: 'done'; result: SegmentResult }
  | { type: 'failed'; error: { name: string; message: string; file?: string; reason?: string } };

export class Segmenter {
  private worker: Worker | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    /** Reads a weights blob when the worker asks for one. */
    private readonly readWeights: (key: string) => Promise<Uint8Array>,
    private readonly backend?: BackendName,
  ) {}

  /** Segments one scan after the ones before it; a bad scan rejects with a TaskError carrying `file` and `reason`. */
  segment(request: SegmentRequest): Promise<SegmentResult> {
    if (this.closed) return Promise.reject(new Error('segmenter is closed'));
    const run = this.tail.then(() => this.run(request));
    this.tail = run.catch(() => {});
    return run;
  }

  private run(request: SegmentRequest): Promise<SegmentResult> {
    if (this.idle) clearTimeout(this.idle);
    const worker = (this.worker ??= this.spawn());
    return new Promise<SegmentResult>((resolve, reject) => {
      const finish = () => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        worker.off('error', onError);
        this.idle = setTimeout(() => this.stopWorker(), IDLE_MS).unref();
      };
      const onMessage = (msg: SegmentReply) => {
        if (msg.type === 'weights') {
          this.readWeights(msg.key).then(
            (bytes) => worker.postMessage({ type: 'weights', bytes }, transferOf(bytes)),
            (e: Error) => {
              finish();
              void this.stopWorker(); // it waits for weights that will not come
              reject(e);
            },
          );
        } else if (msg.type === 'done') {
          finish();
          resolve(msg.result);
        } else {
          finish();
          reject(new TaskError(msg.error.name, msg.error.message, msg.error.file, msg.error.reason));
        }
      };
      const onError = (e: Error) => {
        finish();
        reject(e);
      };
      const onExit = (code: number) => {
        finish();
        reject(new Error(`segmentation worker exited with code ${code}`));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'segment', request }, transferOf(request.source.bytes));
    });
  }

  private spawn(): Worker {
    const { file, execArgv } = workerScript(__filename, 'segment.worker');
    const worker = new Worker(file, { execArgv, workerData: { backend: this.backend } });
    worker.unref();
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
    });
    return worker;
  }

  private async stopWorker(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  /** Ends the worker; a scan in progress fails. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    await this.stopWorker();
  }
}

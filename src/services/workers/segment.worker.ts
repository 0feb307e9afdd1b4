/**
 * Entry of the segmentation worker thread (./segmenter.ts): reads the scan (an uploaded NIfTI or a stored series
 * blob), checks it, runs a fine-tuning run's network on it (./segment-scan.ts) and answers the labels, their
 * encoded blob, kidney volumes and, for uploads, the mask as .nii.gz on the upload's grid and affine.
 *
 * Networks are cached by weights key (the last two), so a second scan for the same run builds nothing. A missing
 * network is asked for with a `weights` message; the main thread answers with the checkpoint bytes.
 */
import buffer from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { decodeVolume, encodeMask } from '../../data/encoding';
import { NiftiError, readNiftiImage, writeNiftiMask, type Affine } from '../../data/nifti';
import { kidneyVolumesMl, type Volume } from '../../data/volume';
import { initBackend, type BackendName } from '../../ml/backend';
import { buildSegmentationModel } from '../../ml/unet';
import { loadWeights } from '../../ml/weights';
import { transferOf } from './pool';
import { checkChannels, segmentScan } from './segment-scan';
import type { SegmentReply, SegmentRequest, SegmentResult } from './segmenter';

const port = parentPort!;
const options = (workerData ?? {}) as { backend?: BackendName };
const models = new Map<string, tf.LayersModel>();
const MAX_MODELS = 2;
let weightsArrived: ((bytes: Uint8Array) => void) | null = null;

async function model(spec: SegmentRequest['model']): Promise<tf.LayersModel> {
  const cached = models.get(spec.weightsKey);
  if (cached) {
    models.delete(spec.weightsKey);
    models.set(spec.weightsKey, cached); // most recently used last
    return cached;
  }
  const bytes = await new Promise<Uint8Array>((resolve) => {
    weightsArrived = resolve;
    port.postMessage({ type: 'weights', key: spec.weightsKey } satisfies SegmentReply);
  });
  const m = buildSegmentationModel({ size: spec.size, model: spec.model, seed: spec.seed });
  try {
    loadWeights(m, bytes);
  } catch (e) {
    m.dispose();
    throw e;
  }
  models.set(spec.weightsKey, m);
  while (models.size > MAX_MODELS) {
    const [oldest, old] = models.entries().next().value!;
    models.delete(oldest);
    old.dispose();
  }
  return m;
}

/**
 * A gzip upload inflated here, at most `max` bytes: a small file that inflates to gigabytes (a gzip bomb) is refused
 * with a reason instead of taking the worker's memory. Anything else is returned as it is.
 */
function inflateBounded(bytes: Uint8Array, file: string, max: number): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const limit = Math.min(max, buffer.constants.MAX_LENGTH);
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: limit }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new NiftiError(file, `decompresses to more than ${Math.round(limit / 2 ** 20)} MiB (8 × NEPHRON_SEGMENT_MAX_MB): not a scan this server segments`);
    }
    throw new NiftiError(file, `corrupt gzip data (${err.message})`);
  }
}

async function segment(req: SegmentRequest): Promise<SegmentResult> {
  const t0 = performance.now();
  let scan: Volume;
  let spacingMm: [number, number, number];
  let affine: Affine;
  if (req.source.kind === 'nifti') {
    const img = await readNiftiImage(inflateBounded(req.source.bytes, req.source.file, req.source.maxInflatedBytes), req.source.file);
    checkChannels(img, req.source.file, req.source.contrast, req.source.channelNames);
    ({ spacingMm, affine } = img);
    scan = img;
  } else {
    scan = decodeVolume(req.source.bytes);
    ({ spacingMm, affine } = req.source);
    if (scan.channels !== req.source.channelNames.length) checkChannels(scan, req.source.file, req.source.contrast, req.source.channelNames);
  }
  // the backend after the checks: a refused upload is answered without starting it
  const { device } = await initBackend({ backend: options.backend });
  const labels = await segmentScan(await model(req.model), scan, req.model.size, req.model.imagesPerBatch);
  const grid = { width: scan.width, height: scan.height, slices: scan.slices };
  return {
    ...grid,
    spacingMm,
    affine,
    maskBlob: encodeMask(labels, grid),
    nifti: req.source.kind === 'nifti' ? writeNiftiMask(labels, { ...grid, spacingMm, protocol: { affine } }) : null,
    volumesMl: kidneyVolumesMl(labels, spacingMm),
    device,
    ms: performance.now() - t0,
  };
}

port.on('message', (msg: { type: 'segment'; request: SegmentRequest } | { type: 'weights'; bytes: Uint8Array }) => {
  if (msg.type === 'weights') {
    weightsArrived?.(msg.bytes);
    weightsArrived = null;
    return;
  }
  segment(msg.request).then(
    (result) => port.postMessage({ type: 'done', result } satisfies SegmentReply, transferOf(result.maskBlob, ...(result.nifti ? [result.nifti] : []))),
    (e: Error & { file?: string; reason?: string }) =>
      port.postMessage({
        type: 'failed',
        error: { name: e.name ?? 'Error', message: e.message ?? String(e), file: e.file, reason: e.reason },
      } satisfies SegmentReply),
  );
});

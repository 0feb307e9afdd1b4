/**
 * The "evaluate" phase of fine-tuning (method.md, "Evaluation"): the best checkpoint predicts every (slice, channel)
 * image of a TEST subject, the softmax is averaged over the slice's channels and argmax'ed, the label map goes back
 * to the series' own in-plane size (nearest neighbour), and is scored against the manual mask: per-kidney 3D Dice
 * (`kidneyDice`) at the series' own resolution and, beside it, at the training resolution (the map before it goes
 * back, against the mask resampled as for training), and kidney volumes in mL (voxel count × voxel volume from spacingMm, `kidneyVolumesMl`). Each
 * prediction is stored (encodeMask) for the NIfTI export and overlays.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeMask } from '../../data/encoding';
import { kidneyVolumesMl, type Volume } from '../../data/volume';
import { kidneyDice } from '../../ml/metrics';
import type { JobIO, JobSubject, SubjectEvaluation } from '../../runs/job';
import { resampleLabelsTo } from '../../data/resample';
import { imageOffset, type SubjectLoader } from './dataset';
import { throwIfCancelled, yieldToEventLoop } from './phase';

/** Evaluate `model` on the subjects (each must have a mask); `imagesPerBatch` bounds one forward pass. */
export async function evaluateSubjects(
  model: tf.LayersModel,
  loader: SubjectLoader,
  subjects: JobSubject[],
  io: JobIO,
  imagesPerBatch: number,
): Promise<SubjectEvaluation[]> {
  const out: SubjectEvaluation[] = [];
  for (const subject of subjects) {
    throwIfCancelled(io);
    if (!subject.maskBlobKey) {
      io.log(`evaluate: TEST subject ${subject.code} has no manual mask, skipped`);
      continue;
    }
    const { volume, labels } = await loader.load(subject);
    const truth = await loader.nativeMask(subject);
    const atSize = await predictLabels(model, volume, imagesPerBatch, io);
    const pred = resampleLabelsTo(atSize, volume.width, volume.height, volume.slices, subject.width, subject.height);
    const predictionBlobKey = await io.putBlob(encodeMask(pred, { width: subject.width, height: subject.height, slices: subject.slices }));
    out.push({
      subjectId: subject.id,
      dice: kidneyDice(pred, truth),
      ...(labels ? { trainingSizeDice: kidneyDice(atSize, labels) } : {}),
      volumeMl: kidneyVolumesMl(pred, subject.spacingMm),
      trueVolumeMl: kidneyVolumesMl(truth, subject.spacingMm),
      predictionBlobKey,
    });
  }
  return out;
}

/** Label map [slices][size][size] of a normalised, resampled volume: argmax of the channel-averaged softmax. */
export async function predictLabels(model: tf.LayersModel, volume: Volume, imagesPerBatch: number, io: Pick<JobIO, 'signal'>): Promise<Uint8Array> {
  const { width, height, slices, channels } = volume;
  const plane = width * height;
  const perChunk = Math.max(1, Math.floor(imagesPerBatch / channels));
  const labels = new Uint8Array(slices * plane);
  for (let z0 = 0; z0 < slices; z0 += perChunk) {
    throwIfCancelled(io);
    const n = Math.min(perChunk, slices - z0);
    // Slice-major, channel-minor, so a reshape to [n, channels, …] groups each slice's channels.
    const images = new Float32Array(n * channels * plane);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) {
        const off = imageOffset(volume, z0 + i, c);
        images.set(volume.data.subarray(off, off + plane), (i * channels + c) * plane);
      }
    }
    const argmax = tf.tidy(() => {
      const probs = model.apply(tf.tensor4d(images, [n * channels, height, width, 1]), { training: false }) as tf.Tensor;
      const mean = tf.mean(tf.reshape(probs, [n, channels, height, width, probs.shape[3] as number]), 1);
      return tf.argMax(mean, -1);
    });
    // an asynchronous read: WebGPU has no other (and on wasm it costs the same)
    labels.set(await argmax.data(), z0 * plane);
    argmax.dispose();
    await yieldToEventLoop();
  }
  return labels;
}

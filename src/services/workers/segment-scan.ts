/**
 * One scan through a fine-tuning run's network, with the run's own preprocessing, exactly as its evaluation
 * (src/runners/jobs/evaluate.ts, src/runners/jobs/dataset.ts SubjectLoader) does it: each channel normalised (clip at
 * the 0.01/99.9 percentiles, min-max to [0, 1]), the volume resampled in-plane to the run's `image.size`, every
 * (slice, channel) image predicted, the softmax averaged over the slice's channels and argmax'ed, and the label map
 * taken back to the scan's own in-plane grid with nearest neighbour. So a stored TEST series segmented here gives
 * the very labels the evaluation stored for it.
 *
 * Also the checks of an uploaded image against what the run was trained on (channel count, 3D vs 4D), each a
 * NiftiError naming the upload and the reason.
 */
import type * as tf from '@tensorflow/tfjs';
import { NiftiError, type NiftiImage } from '../../data/nifti';
import { normalizeChannels } from '../../data/normalize';
import { resampleLabelsTo, resampleVolume } from '../../data/resample';
import type { Volume } from '../../data/volume';
import { predictLabels } from '../../runners/jobs/evaluate';

/** Labels [slices][height][width] (0 background, 1 right kidney, 2 left kidney) on the grid of `scan`. */
export async function segmentScan(model: tf.LayersModel, scan: Volume, size: number, imagesPerBatch: number): Promise<Uint8Array> {
  const volume = resampleVolume(normalizeChannels(scan), size);
  const never = new AbortController().signal;
  const atSize = await predictLabels(model, volume, imagesPerBatch, { signal: never });
  return resampleLabelsTo(atSize, volume.width, volume.height, volume.slices, scan.width, scan.height);
}

/** Throws a NiftiError unless `img` has the channels of the run's contrast, as the 4th dimension. */
export function checkChannels(img: Pick<NiftiImage, 'channels' | 'width' | 'height' | 'slices'>, file: string, contrast: string, channelNames: string[]): void {
  const want = channelNames.length;
  if (img.channels === want) return;
  const expected = `${want} channel${want === 1 ? '' : 's'} (${channelNames.join(', ')}) as the 4th dimension`;
  if (img.channels === 1) {
    throw new NiftiError(file, `a 3D image (${img.width}×${img.height}×${img.slices}); this run segments ${contrast}, which needs a 4D image with ${expected}`);
  }
  throw new NiftiError(file, `${img.channels} channels; this run segments ${contrast}, which has ${expected}`);
}

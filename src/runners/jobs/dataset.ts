/**
 * The data a job trains on, read through JobIO (method.md "Data", "Fine-tuning"):
 * - a subject's series is decoded, normalised per channel (clip at the 0.01/99.9 percentiles, min-max to [0, 1]:
 *   stored series are raw) and then resampled in-plane to the run's `image.size`; its manual mask (if any) is
 *   resampled with nearest neighbour. Normalising before resampling keeps the percentiles those of the real voxels.
 * - a training sample is one (slice, channel) image with its slice's labels: the network has one input channel.
 * - labelled subsets are nested: the TRAIN subjects with a mask, sorted by code, are shuffled with the run's seed and
 *   the first N are taken, so for one seed the N = 2 subset is a prefix of the N = 4 one and N is all that changes.
 * Decoded subjects are cached per job (a SubjectLoader lives as long as one job), since every epoch reads them all.
 */
import { decodeMask, decodeVolume } from '../../data/encoding';
import { normalizeChannels } from '../../data/normalize';
import { resampleLabels, resampleVolume } from '../../data/resample';
import type { Volume } from '../../data/volume';
import { createRng, deriveSeed, shuffle } from '../../ml/random';
import { segmentationBatch, type DataSource, type SegmentationBatch } from '../../ml/train';
import type { JobIO, JobSplit, JobSubject } from '../../runs/job';

export interface LoadedSubject {
  subject: JobSubject;
  /** Normalised series at size × size; layout of src/data/volume.ts (channel-major, then slice). */
  volume: Volume;
  /** Labels [slices][size][size] (0/1/2), null when the series has no manual mask. */
  labels: Uint8Array | null;
}

/** Loads subjects at the run's size once per job. */
export class SubjectLoader {
  private readonly subjects = new Map<string, Promise<LoadedSubject>>();
  private readonly masks = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly io: Pick<JobIO, 'getBlob'>,
    readonly size: number,
  ) {}

  load(subject: JobSubject): Promise<LoadedSubject> {
    let p = this.subjects.get(subject.id);
    if (!p) {
      p = this.read(subject);
      this.subjects.set(subject.id, p);
      p.catch(() => this.subjects.delete(subject.id));
    }
    return p;
  }

  loadAll(subjects: JobSubject[]): Promise<LoadedSubject[]> {
    return Promise.all(subjects.map((s) => this.load(s)));
  }

  /** The manual mask at the series' own size (for evaluation against the prediction). */
  nativeMask(subject: JobSubject): Promise<Uint8Array> {
    let p = this.masks.get(subject.id);
    if (!p) {
      p = this.readMask(subject);
      this.masks.set(subject.id, p);
    }
    return p;
  }

  private async read(subject: JobSubject): Promise<LoadedSubject> {
    const raw = decodeVolume(await this.io.getBlob(subject.dataBlobKey));
    const { width, height, slices, channels } = raw;
    if (width !== subject.width || height !== subject.height || slices !== subject.slices || channels !== subject.channels) {
      throw new Error(
        `subject ${subject.code}: series blob is ${width}×${height}×${slices}×${channels}, the run lists ${subject.width}×${subject.height}×${subject.slices}×${subject.channels}`,
      );
    }
    const volume = resampleVolume(normalizeChannels(raw), this.size);
    const labels = subject.maskBlobKey ? resampleLabels(await this.nativeMask(subject), width, height, slices, this.size) : null;
    return { subject, volume, labels };
  }

  private async readMask(subject: JobSubject): Promise<Uint8Array> {
    if (!subject.maskBlobKey) throw new Error(`subject ${subject.code} has no manual mask`);
    const m = decodeMask(await this.io.getBlob(subject.maskBlobKey));
    if (m.width !== subject.width || m.height !== subject.height || m.slices !== subject.slices) {
      throw new Error(`subject ${subject.code}: mask is ${m.width}×${m.height}×${m.slices}, series ${subject.width}×${subject.height}×${subject.slices}`);
    }
    return m.mask;
  }
}

/** Subjects of one split, sorted by code (the stable order every draw starts from). */
export function splitSubjects(subjects: JobSubject[], split: JobSplit): JobSubject[] {
  return subjects.filter((s) => s.split === split).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/**
 * The N labelled training subjects of a fine-tuning run: TRAIN subjects with a mask, sorted by code, shuffled with
 * a stream derived from the seed, first N. Nested in N for a fixed seed.
 */
export function labelledSubset(subjects: JobSubject[], n: number, seed: number): JobSubject[] {
  const pool = splitSubjects(subjects, 'TRAIN').filter((s) => s.maskBlobKey);
  if (!Number.isInteger(n) || n < 1) throw new Error(`nLabeled must be a positive integer, got ${n}`);
  if (n > pool.length) throw new Error(`nLabeled = ${n}, but the cohort has only ${pool.length} labelled TRAIN subjects`);
  return shuffle(createRng(deriveSeed(seed, 'labelled-subset')), pool).slice(0, n);
}

/** One training sample: image (slice, channel) of subject `subject` (an index into a LoadedSubject list). */
export interface SampleRef {
  subject: number;
  slice: number;
  channel: number;
}

/** Every (slice, channel) image of the subjects, subject by subject, channel-major (the storage order). */
export function imageSamples(subjects: LoadedSubject[]): SampleRef[] {
  const out: SampleRef[] = [];
  subjects.forEach((s, i) => {
    for (let c = 0; c < s.volume.channels; c++) for (let z = 0; z < s.volume.slices; z++) out.push({ subject: i, slice: z, channel: c });
  });
  return out;
}

/**
 * At most `max` samples spread evenly over the list (every subject, slice range and channel keeps its share), the
 * same ones every epoch; 0 keeps all. A validation loss on a fixed subset still ranks epochs, at a fraction of the cost.
 */
export function spreadSubset<T>(samples: T[], max: number): T[] {
  if (!max || samples.length <= max) return samples;
  return Array.from({ length: max }, (_, i) => samples[Math.floor((i * samples.length) / max)]);
}

/** Offset of image (slice, channel) in a volume's data (one contiguous size² run). */
export function imageOffset(v: Volume, slice: number, channel: number): number {
  return (channel * v.slices + slice) * v.width * v.height;
}

/** Images of the samples back to back: [n][size][size] float32 (the [n, S, S, 1] tensor layout). */
export function gatherImages(subjects: LoadedSubject[], refs: SampleRef[]): Float32Array {
  const plane = subjects[0].volume.width * subjects[0].volume.height;
  const out = new Float32Array(refs.length * plane);
  refs.forEach((r, i) => {
    const v = subjects[r.subject].volume;
    const off = imageOffset(v, r.slice, r.channel);
    out.set(v.data.subarray(off, off + plane), i * plane);
  });
  return out;
}

/** Label maps of the samples' slices back to back: [n][size][size] int32. */
export function gatherLabels(subjects: LoadedSubject[], refs: SampleRef[]): Int32Array {
  const plane = subjects[0].volume.width * subjects[0].volume.height;
  const out = new Int32Array(refs.length * plane);
  refs.forEach((r, i) => {
    const labels = subjects[r.subject].labels;
    if (!labels) throw new Error(`subject ${subjects[r.subject].subject.code} has no mask to train on`);
    const src = labels.subarray(r.slice * plane, (r.slice + 1) * plane);
    for (let k = 0; k < plane; k++) out[i * plane + k] = src[k];
  });
  return out;
}

/**
 * (image, labels) batches of every (slice, channel) image. Training: shuffled with the epoch's Rng, and with a cap
 * exactly `limit` full batches (`trainingBatches`: every N gets the same steps). Validation: a fixed spread of at
 * most `limit` images (0 = all), in order.
 */
export function segmentationSource(subjects: LoadedSubject[], batchSize: number, shuffled: boolean, limit = 0): DataSource<SegmentationBatch> {
  const samples = shuffled ? imageSamples(subjects) : spreadSubset(imageSamples(subjects), limit);
  const size = subjects[0]?.volume.width ?? 0;
  return function* ({ rng }) {
    const batches = shuffled ? trainingBatches(samples, batchSize, rng, limit) : chunks(samples, batchSize);
    for (const refs of batches) yield segmentationBatch(gatherImages(subjects, refs), gatherLabels(subjects, refs), refs.length, size);
  };
}

/**
 * Training batches of one epoch. Uncapped (maxBatches 0): one shuffled pass, in chunks of `batchSize` (the last may
 * be shorter). Capped: exactly `maxBatches` full batches cut from a stream of passes, each pass reshuffled, so every
 * N trains for the same number of steps of the same size (a small N sees its images more often, not fewer steps).
 */
export function* trainingBatches<T>(items: T[], batchSize: number, rng: () => number, maxBatches: number): Generator<T[]> {
  if (items.length === 0) return;
  if (!maxBatches) {
    yield* chunks(shuffle(rng, [...items]), batchSize);
    return;
  }
  let pass: T[] = [];
  let at = 0;
  for (let b = 0; b < maxBatches; b++) {
    const batch: T[] = [];
    while (batch.length < batchSize) {
      if (at === pass.length) {
        pass = shuffle(rng, [...items]);
        at = 0;
      }
      batch.push(pass[at++]);
    }
    yield batch;
  }
}

/** Consecutive chunks of at most `size` items (the last one may be shorter). */
export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * What the data workers do (./data.worker.ts runs these; ./pool.ts calls them by name). Everything here is pure
 * CPU work on src/data and src/ml: generate + encode + hash a phantom subject, read + validate + encode one NIfTI
 * series, build constraint maps, render a slice. Results carry encoded blob bytes; the main thread stores them.
 */
import { readFileSync } from 'node:fs';
import { decodeMask, decodeVolume, encodeMask } from '../../data/encoding';
import { affineFor, readNiftiImage, readNiftiMask, writeNiftiImage, writeNiftiMask, NiftiError, type Affine } from '../../data/nifti';
import { generateSubject, type SubjectSpec } from '../../data/phantom';
import { renderSlicePng } from '../../data/render';
import type { ContrastKindName, SeriesVolume, SubjectGroupName } from '../../data/volume';
import { buildConstraintMaps, type ConstraintMapOptions, type ConstraintMapParams } from '../../ml/constraint-maps';
import { encodeSeries, type EncodedSeries } from './encode-series';
import { readNnunetSeries } from './nnunet-tasks';

export { axisCodes, encodeSeries, type EncodedSeries } from './encode-series';

/**
 * One phantom subject, stored with 'noise' quantisation (step ≤ σ/2: < 2% more noise variance, ~3× fewer bytes;
 * bench/phantom.ts) so the default cohort fits the disk target.
 */
function synthSubject(spec: SubjectSpec): { code: string; group: SubjectGroupName; series: EncodedSeries[] } {
  const s = generateSubject(spec);
  const series = s.series.map((v) => {
    const orientation = v.protocol.orientation === 'axial' ? 'axial' : 'coronal';
    return encodeSeries(v, affineFor(orientation, [v.width, v.height, v.slices], v.spacingMm), 'noise');
  });
  return { code: s.code, group: s.group, series };
}

export interface ReadSeriesInput {
  contrast: ContrastKindName;
  imagePath: string;
  maskPath: string | null;
  /** Names used in error messages (relative to the import root). */
  imageName: string;
  maskName: string | null;
  channelNames: string[] | null;
  channelNamesFile: string | null;
  protocol: Record<string, unknown> | null;
}

/** Reads, checks and encodes one imported series; a problem is a NiftiError naming the file. */
async function readSeries(input: ReadSeriesInput): Promise<EncodedSeries> {
  const read = (p: string, name: string) => {
    try {
      return new Uint8Array(readFileSync(p));
    } catch (e) {
      throw new NiftiError(name, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const img = await readNiftiImage(read(input.imagePath, input.imageName), input.imageName);
  if (input.channelNames && input.channelNames.length !== img.channels) {
    throw new NiftiError(
      input.channelNamesFile ?? input.imageName,
      `${input.channelNames.length} channel names for an image with ${img.channels} channels (${input.imageName})`,
    );
  }
  let mask: Uint8Array | null = null;
  if (input.maskPath && input.maskName) {
    const m = await readNiftiMask(read(input.maskPath, input.maskName), input.maskName);
    if (m.width !== img.width || m.height !== img.height || m.slices !== img.slices) {
      throw new NiftiError(
        input.maskName,
        `mask shape ${m.width}×${m.height}×${m.slices} differs from the image's ${img.width}×${img.height}×${img.slices} (${input.imageName})`,
      );
    }
    mask = m.mask;
  }
  const names = input.channelNames ?? Array.from({ length: img.channels }, (_, i) => `channel ${i + 1}`);
  const protocol = { ...(input.protocol ?? {}), matrix: [img.width, img.height], slices: img.slices, spacingMm: img.spacingMm, orientation: img.orientation };
  const v: SeriesVolume = { ...img, contrast: input.contrast, channelNames: names, protocol, mask };
  // range16 keeps 16 bits over each channel's range: lossless for integer scanner data and for our own exports
  return encodeSeries(v, img.affine, 'range16');
}

/** Constraint maps of one stored series; cluster ids are stored +1 as a mask blob (0 = outside, ids < 255). */
function constraintMaps(input: { data: Uint8Array; options: ConstraintMapOptions }): { bytes: Uint8Array; params: ConstraintMapParams } {
  const volume = decodeVolume(input.data);
  const result = buildConstraintMaps(volume, input.options);
  const ids = new Uint8Array(result.maps.length);
  for (let i = 0; i < ids.length; i++) ids[i] = result.maps[i] + 1;
  return { bytes: encodeMask(ids, result), params: result.params };
}

export interface RenderInput {
  data: Uint8Array;
  slice: number;
  channel: number;
  /** Encoded mask blob (labels) or constraint-map blob (ids + 1). */
  overlay: Uint8Array | null;
  overlayKind: 'mask' | 'constraints' | null;
}

function renderSlice(input: RenderInput): Uint8Array {
  const volume = decodeVolume(input.data);
  let overlay: Uint8Array | Int32Array | undefined;
  if (input.overlay) {
    const m = decodeMask(input.overlay).mask;
    overlay = input.overlayKind === 'constraints' ? Int32Array.from(m, (v) => v - 1) : m;
  }
  const png = renderSlicePng(volume, { slice: input.slice, channel: input.channel, overlay, overlayKind: input.overlayKind ?? undefined });
  return new Uint8Array(png);
}

export interface WriteNiftiInput {
  /** An encoded volume blob, or an encoded mask blob with `isMask`. */
  bytes: Uint8Array;
  isMask: boolean;
  spacingMm: [number, number, number];
  affine: Affine | null;
  orientation: 'coronal' | 'axial';
  contrast: string;
}

/** A .nii.gz of a stored series or mask (float32 4D image / uint8 3D labels) with the series' geometry. */
function writeNifti(input: WriteNiftiInput): Uint8Array {
  const protocol: Record<string, unknown> = { orientation: input.orientation, ...(input.affine ? { affine: input.affine } : {}) };
  if (input.isMask) {
    const m = decodeMask(input.bytes);
    return writeNiftiMask(m.mask, { ...m, spacingMm: input.spacingMm, protocol });
  }
  return writeNiftiImage({ ...decodeVolume(input.bytes), spacingMm: input.spacingMm, protocol, contrast: input.contrast });
}

export const TASKS = { synthSubject, readSeries, readNnunetSeries, constraintMaps, renderSlice, writeNifti };
export type TaskName = keyof typeof TASKS;
export type TaskInput<K extends TaskName> = Parameters<(typeof TASKS)[K]>[0];
export type TaskOutput<K extends TaskName> = Awaited<ReturnType<(typeof TASKS)[K]>>;

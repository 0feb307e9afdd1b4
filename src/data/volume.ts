/**
 * In-memory image data shared by the phantom, NIfTI I/O, the blob store and the runners.
 *
 * Layout is NIfTI's 4D order with x fastest: index = ((channel * slices + slice) * height + y) * width + x.
 * So one (slice, channel) image — a training sample — is a contiguous `width * height` run, and a NIfTI file maps
 * onto it without reordering. Masks are 3D (one per series): index = (slice * height + y) * width + x.
 */

export const CONTRAST_KINDS = ['DIXON', 'T1_MAP', 'T2_MAP', 'BOLD', 'DWI'] as const;
export type ContrastKindName = (typeof CONTRAST_KINDS)[number];

export const SUBJECT_GROUPS = ['HEALTHY', 'PROSTATE_CANCER', 'NEUROENDOCRINE_TUMOR', 'OTHER'] as const;
export type SubjectGroupName = (typeof SUBJECT_GROUPS)[number];

/** Mask labels. Right/left are the patient's right and left (radiological convention: patient right = image left). */
export const LABEL_BACKGROUND = 0;
export const LABEL_RIGHT_KIDNEY = 1;
export const LABEL_LEFT_KIDNEY = 2;

export interface Volume {
  width: number;
  height: number;
  slices: number;
  channels: number;
  /** Float32 intensities, length width * height * slices * channels. */
  data: Float32Array;
}

export interface SeriesVolume extends Volume {
  contrast: ContrastKindName;
  /** Human-readable channel names, e.g. "TE=10ms", "b=800". */
  channelNames: string[];
  /** Voxel size in mm: [x, y, slice]. */
  spacingMm: [number, number, number];
  /** Acquisition parameters (TE, TI, b-values, matrix, spacing, orientation). */
  protocol: Record<string, unknown>;
  /** Labels 0/1/2, length width * height * slices; null when the series has no manual mask. */
  mask: Uint8Array | null;
}

export function voxelIndex(v: Pick<Volume, 'width' | 'height' | 'slices'>, x: number, y: number, slice: number, channel = 0): number {
  return ((channel * v.slices + slice) * v.height + y) * v.width + x;
}

/** Kidney volumes in mL from a mask: voxel count × voxel volume (mm³ → mL). */
export function kidneyVolumesMl(mask: Uint8Array, spacingMm: [number, number, number]): { right: number; left: number } {
  let right = 0;
  let left = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === LABEL_RIGHT_KIDNEY) right++;
    else if (mask[i] === LABEL_LEFT_KIDNEY) left++;
  }
  const voxelMl = (spacingMm[0] * spacingMm[1] * spacingMm[2]) / 1000;
  return { right: right * voxelMl, left: left * voxelMl };
}

/** A series as the data workers hand it to the main thread (./tasks.ts, ./nnunet-tasks.ts): encoded blob bytes, keys and hashes. */
import { encodeMask, encodeVolume, maskHash, sha256Hex, type Quantization } from '../../data/encoding';
import type { Affine } from '../../data/nifti';
import { kidneyVolumesMl, type ContrastKindName, type SeriesVolume } from '../../data/volume';

export interface EncodedSeries {
  contrast: ContrastKindName;
  channelNames: string[];
  width: number;
  height: number;
  slices: number;
  channels: number;
  spacingMm: [number, number, number];
  protocol: Record<string, unknown>;
  affine: Affine;
  /** Axis codes of the voxel axes, e.g. "LIP". */
  orientation: string;
  /** Encoded volume (blob bytes) and its blob key (sha256 of the bytes). */
  data: Uint8Array;
  dataKey: string;
  /** sha256 of the decoded values (encoding.ts volumeHash): what the cohort fingerprint is made of. */
  dataHash: string;
  mask: Uint8Array | null;
  maskKey: string | null;
  maskHash: string | null;
  kidneyVolumesMl: { right: number; left: number } | null;
}

/** nibabel's aff2axcodes: the RAS+ direction each voxel axis points to (largest component of its column). */
export function axisCodes(affine: Affine): string {
  const letters = [
    ['L', 'R'],
    ['P', 'A'],
    ['I', 'S'],
  ];
  let out = '';
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2].map((r) => affine[r][c]);
    const r = col.reduce((best, v, i) => (Math.abs(v) > Math.abs(col[best]) ? i : best), 0);
    out += letters[r][col[r] >= 0 ? 1 : 0];
  }
  return out;
}

export function encodeSeries(v: SeriesVolume, affine: Affine, quantization: Quantization): EncodedSeries {
  const enc = encodeVolume(v, { quantization });
  const mask = v.mask ? encodeMask(v.mask, v) : null;
  return {
    contrast: v.contrast,
    channelNames: v.channelNames,
    width: v.width,
    height: v.height,
    slices: v.slices,
    channels: v.channels,
    spacingMm: v.spacingMm,
    protocol: v.protocol,
    affine,
    orientation: axisCodes(affine),
    data: enc.bytes,
    dataKey: sha256Hex(enc.bytes),
    dataHash: enc.hash,
    mask,
    maskKey: mask ? sha256Hex(mask) : null,
    maskHash: v.mask ? maskHash(v.mask, v) : null,
    kidneyVolumesMl: v.mask ? kidneyVolumesMl(v.mask, v.spacingMm) : null,
  };
}

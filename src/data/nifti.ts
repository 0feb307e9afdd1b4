/**
 * NIfTI-1 input and output for series and masks.
 *
 * Reading goes through nifti-reader-js (header, gzip, image bytes): 3D or 4D (x, y, slice, channel) images of
 * uint8, int16, uint16, int32, float32 or float64, scaled by scl_slope/scl_inter when slope ≠ 0, spacing from
 * pixdim[1..3], masks as 3D label images with labels in {0, 1, 2}. Every failure is a `NiftiError` naming the file
 * and the reason.
 *
 * Writing produces .nii.gz: the 348-byte NIfTI-1 header (sizeof_hdr 348, dim, pixdim, datatype float32 for images /
 * uint8 for masks, scl_slope 1, vox_offset 352, xyzt_units mm, qform and sform codes 1 (scanner) with the same
 * affine, magic "n+1"), four zero extension bytes, then the voxels little-endian in NIfTI order (x fastest) — the
 * in-memory order of volume.ts, so no reordering. The affine is RAS+ mm:
 * - coronal (the phantom): i → patient left (−x), j → feet (−z), k → posterior (−y);
 * - axial: i → patient left (−x), j → posterior (−y), k → head (+z);
 * centred on the volume. A series whose protocol carries `affine` (4×4 rows, e.g. from an imported file) keeps it.
 */
import { gzipSync } from 'node:zlib';
import { affineFor, affineToQuatern, orientationOf, type Affine, type Orientation } from './nifti-affine';
import type { ContrastKindName, SeriesVolume, Volume } from './volume';

export { affineFor, affineToQuatern, orientationOf, type Affine, type Orientation };

export class NiftiError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'NiftiError';
  }
}


export interface NiftiImage extends Volume {
  spacingMm: [number, number, number];
  /** 4×4 voxel → RAS mm (rows), from sform, else qform, else pixdim. */
  affine: Affine;
  orientation: Orientation;
  datatype: string;
}

type NiftiModule = typeof import('nifti-reader-js', { with: { 'resolution-mode': 'import' } });
let niftiModule: Promise<NiftiModule> | null = null;
/** nifti-reader-js is ESM-only (exports only "import"), so it is loaded with a dynamic import. */
function nifti(): Promise<NiftiModule> {
  niftiModule ??= import('nifti-reader-js');
  return niftiModule;
}

const DATATYPES: Record<number, { name: string; bytes: number; read: (dv: DataView, off: number, le: boolean) => number }> = {
  2: { name: 'uint8', bytes: 1, read: (dv, o) => dv.getUint8(o) },
  4: { name: 'int16', bytes: 2, read: (dv, o, le) => dv.getInt16(o, le) },
  512: { name: 'uint16', bytes: 2, read: (dv, o, le) => dv.getUint16(o, le) },
  8: { name: 'int32', bytes: 4, read: (dv, o, le) => dv.getInt32(o, le) },
  16: { name: 'float32', bytes: 4, read: (dv, o, le) => dv.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, read: (dv, o, le) => dv.getFloat64(o, le) },
};

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Reads a .nii or .nii.gz image (3D or 4D). `file` only names the file in errors. */
export async function readNiftiImage(bytes: Uint8Array, file: string): Promise<NiftiImage> {
  const nr = await nifti();
  let buf = toArrayBuffer(bytes);
  if (buf.byteLength === 0) throw new NiftiError(file, 'empty file');
  if (nr.isCompressed(buf)) {
    try {
      buf = nr.decompress(buf) as ArrayBuffer;
    } catch (e) {
      throw new NiftiError(file, `corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (buf.byteLength < 348) throw new NiftiError(file, `corrupt: ${buf.byteLength} bytes is shorter than a NIfTI-1 header (348)`);
  if (!nr.isNIFTI1(buf)) {
    if (nr.isNIFTI2(buf)) throw new NiftiError(file, 'NIfTI-2 is not supported (write NIfTI-1)');
    throw new NiftiError(file, 'not a NIfTI-1 file (bad sizeof_hdr or magic)');
  }
  let header;
  try {
    header = nr.readHeader(buf);
  } catch (e) {
    throw new NiftiError(file, `corrupt header (${(e as Error).message})`);
  }
  if (!header) throw new NiftiError(file, 'corrupt header');
  const dims = header.dims;
  const ndim = dims[0];
  if (!(ndim >= 2 && ndim <= 7)) throw new NiftiError(file, `wrong dims: dim[0] = ${ndim}, expected 3 or 4`);
  for (let d = 5; d <= ndim; d++) {
    if (dims[d] > 1) throw new NiftiError(file, `wrong dims: dimension ${d} has size ${dims[d]}; only x, y, slice, channel are supported`);
  }
  const width = dims[1];
  const height = dims[2];
  const slices = ndim >= 3 ? dims[3] : 1;
  const channels = ndim >= 4 ? dims[4] : 1;
  for (const [name, v] of [['x', width], ['y', height], ['slice', slices], ['channel', channels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NiftiError(file, `wrong dims: ${name} size ${v}`);
  }
  const dt = DATATYPES[header.datatypeCode];
  if (!dt) throw new NiftiError(file, `unsupported datatype ${header.datatypeCode} (${header.getDatatypeCodeString(header.datatypeCode)}); use uint8, int16, uint16, int32, float32 or float64`);
  const n = width * height * slices * channels;
  const offset = header.vox_offset;
  if (!(offset >= 348)) throw new NiftiError(file, `corrupt header: vox_offset ${offset}`);
  if (offset + n * dt.bytes > buf.byteLength) {
    throw new NiftiError(file, `corrupt or truncated: ${n} voxels of ${dt.name} need ${n * dt.bytes} bytes after offset ${offset}, file has ${buf.byteLength - offset}`);
  }
  const image = nr.readImage(header, buf);
  const dv = new DataView(image);
  const le = header.littleEndian;
  const slope = Number.isFinite(header.scl_slope) && header.scl_slope !== 0 ? header.scl_slope : 1;
  const inter = Number.isFinite(header.scl_inter) && header.scl_slope !== 0 ? header.scl_inter : 0;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = dt.read(dv, i * dt.bytes, le) * slope + inter;
    if (!Number.isFinite(v)) throw new NiftiError(file, `voxel ${i} is not finite (${v})`);
    data[i] = v;
  }
  const pix = header.pixDims;
  const spacingMm: [number, number, number] = [Math.abs(pix[1]), Math.abs(pix[2]), ndim >= 3 ? Math.abs(pix[3]) : 1];
  if (spacingMm.some((s) => !Number.isFinite(s) || s <= 0)) throw new NiftiError(file, `invalid pixdim ${pix.slice(1, 4).join(', ')}`);
  let affine: Affine;
  if (header.sform_code > 0 || header.qform_code > 0) affine = header.affine.map((r) => [...r]);
  else affine = [[-spacingMm[0], 0, 0, 0], [0, 0, -spacingMm[1], 0], [0, -spacingMm[2], 0, 0], [0, 0, 0, 1]];
  return { width, height, slices, channels, data, spacingMm, affine, orientation: orientationOf(affine), datatype: dt.name };
}

/** Reads a 3D label mask; labels must be integers in {0, 1, 2}. */
export async function readNiftiMask(bytes: Uint8Array, file: string): Promise<NiftiImage & { mask: Uint8Array }> {
  const img = await readNiftiImage(bytes, file);
  if (img.channels !== 1) throw new NiftiError(file, `wrong dims: a mask must be 3D, got ${img.channels} channels`);
  const mask = new Uint8Array(img.data.length);
  for (let i = 0; i < mask.length; i++) {
    const v = img.data[i];
    if (v !== 0 && v !== 1 && v !== 2) throw new NiftiError(file, `label ${v} at voxel ${i} is outside {0, 1, 2}`);
    mask[i] = v;
  }
  return { ...img, mask };
}

/** A series from an image read with `readNiftiImage` (channel names default to "channel 1", ...). */
export function niftiToSeries(img: NiftiImage, contrast: ContrastKindName, channelNames?: string[], mask: Uint8Array | null = null): SeriesVolume {
  const names = channelNames ?? Array.from({ length: img.channels }, (_, i) => `channel ${i + 1}`);
  if (names.length !== img.channels) throw new RangeError(`${names.length} channel names for ${img.channels} channels`);
  return {
    contrast,
    width: img.width,
    height: img.height,
    slices: img.slices,
    channels: img.channels,
    data: img.data,
    channelNames: names,
    spacingMm: img.spacingMm,
    protocol: { matrix: [img.width, img.height], slices: img.slices, spacingMm: img.spacingMm, orientation: img.orientation, affine: img.affine },
    mask,
  };
}

interface WriteSpec {
  dims: number[];
  datatype: 2 | 16;
  spacingMm: [number, number, number];
  affine: Affine;
  description: string;
  payload: Uint8Array;
}

function buildNifti(spec: WriteSpec): Uint8Array {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0); // sizeof_hdr
  h.write('r', 38, 'latin1'); // regular
  const dim = [spec.dims.length, ...spec.dims, 1, 1, 1, 1, 1, 1, 1].slice(0, 8);
  dim.forEach((v, i) => h.writeInt16LE(v, 40 + 2 * i));
  h.writeInt16LE(spec.datatype, 70);
  h.writeInt16LE(spec.datatype === 16 ? 32 : 8, 72); // bitpix
  const q = affineToQuatern(spec.affine);
  const pixdim = [q.qfac, ...spec.spacingMm, 1, 1, 1, 1];
  pixdim.forEach((v, i) => h.writeFloatLE(v, 76 + 4 * i));
  h.writeFloatLE(352, 108); // vox_offset
  h.writeFloatLE(1, 112); // scl_slope
  h.writeFloatLE(0, 116); // scl_inter
  h.writeUInt8(2, 123); // xyzt_units: mm
  h.write(spec.description.slice(0, 79), 148, 'latin1');
  h.writeInt16LE(1, 252); // qform_code: scanner anatomical
  h.writeInt16LE(1, 254); // sform_code
  [q.b, q.c, q.d, ...q.offset].forEach((v, i) => h.writeFloatLE(v, 256 + 4 * i));
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.writeFloatLE(spec.affine[r][c], 280 + 16 * r + 4 * c);
  h.write('n+1\0', 344, 'latin1');
  // bytes 348..351: extension flag, all zero
  return new Uint8Array(gzipSync(Buffer.concat([h, spec.payload]), { level: 6 }));
}

function affineOf(volume: { width: number; height: number; slices: number; spacingMm: [number, number, number]; protocol?: Record<string, unknown> }): Affine {
  const a = volume.protocol?.affine;
  if (Array.isArray(a) && a.length >= 3 && a.every((r) => Array.isArray(r) && r.length === 4 && r.every((v) => typeof v === 'number'))) {
    const rows = (a as number[][]).slice(0, 3).map((r) => [...r]);
    rows.push([0, 0, 0, 1]);
    return rows;
  }
  const orientation = volume.protocol?.orientation === 'axial' ? 'axial' : 'coronal';
  return affineFor(orientation, [volume.width, volume.height, volume.slices], volume.spacingMm);
}

/** A float32 4D .nii.gz (x, y, slice, channel) of a series. */
export function writeNiftiImage(volume: Volume & { spacingMm: [number, number, number]; protocol?: Record<string, unknown>; contrast?: string }): Uint8Array {
  const { width, height, slices, channels, data } = volume;
  if (data.length !== width * height * slices * channels) throw new RangeError(`data has ${data.length} values, expected ${width}×${height}×${slices}×${channels}`);
  const payload = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) payload.writeFloatLE(data[i], i * 4);
  return buildNifti({
    dims: [width, height, slices, channels],
    datatype: 16,
    spacingMm: volume.spacingMm,
    affine: affineOf(volume),
    description: `nephron ${volume.contrast ?? 'series'}`,
    payload,
  });
}

/** A float32 3D .nii.gz of one channel (nnU-Net keeps one channel per file); `data` is x, y, slice. */
export function writeNiftiChannel(
  data: Float32Array,
  geometry: { width: number; height: number; slices: number; spacingMm: [number, number, number]; protocol?: Record<string, unknown>; description?: string },
): Uint8Array {
  const { width, height, slices } = geometry;
  if (data.length !== width * height * slices) throw new RangeError(`data has ${data.length} values, expected ${width}×${height}×${slices}`);
  const payload = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) payload.writeFloatLE(data[i], i * 4);
  return buildNifti({ dims: [width, height, slices], datatype: 16, spacingMm: geometry.spacingMm, affine: affineOf(geometry), description: geometry.description ?? 'nephron channel', payload });
}

/** A uint8 3D .nii.gz label mask (0 background, 1 right kidney, 2 left kidney). */
export function writeNiftiMask(
  mask: Uint8Array,
  geometry: { width: number; height: number; slices: number; spacingMm: [number, number, number]; protocol?: Record<string, unknown> },
): Uint8Array {
  const { width, height, slices } = geometry;
  if (mask.length !== width * height * slices) throw new RangeError(`mask has ${mask.length} values, expected ${width}×${height}×${slices}`);
  return buildNifti({ dims: [width, height, slices], datatype: 2, spacingMm: geometry.spacingMm, affine: affineOf(geometry), description: 'nephron mask', payload: mask });
}

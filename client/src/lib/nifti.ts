// NIfTI-1 in the browser, for showing a scan the user dropped and the mask the server answered: header, gzip and
// voxels through nifti-reader-js, values as float32 (scl_slope applied). Checking the file is the server's job
// (src/data/nifti.ts); this only needs to draw it.
import * as nifti from 'nifti-reader-js';

export interface BrowserVolume {
  width: number;
  height: number;
  slices: number;
  channels: number;
  /** x fastest, then y, slice, channel (the layout of src/data/volume.ts). */
  data: Float32Array;
}

const READERS: Record<number, (b: ArrayBuffer) => ArrayLike<number>> = {
  2: (b) => new Uint8Array(b),
  4: (b) => new Int16Array(b),
  8: (b) => new Int32Array(b),
  16: (b) => new Float32Array(b),
  64: (b) => new Float64Array(b),
  256: (b) => new Int8Array(b),
  512: (b) => new Uint16Array(b),
};

export function readNifti(bytes: ArrayBuffer): BrowserVolume {
  let buf = bytes;
  if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  if (!nifti.isNIFTI1(buf)) throw new Error('not a NIfTI-1 file');
  const header = nifti.readHeader(buf);
  if (!header) throw new Error('corrupt NIfTI header');
  const [ndim, width, height, z, c] = header.dims;
  const slices = ndim >= 3 ? z : 1;
  const channels = ndim >= 4 ? c : 1;
  const read = READERS[header.datatypeCode];
  if (!read) throw new Error(`datatype ${header.datatypeCode} cannot be shown`);
  const image = nifti.readImage(header, buf);
  // typed arrays need their own aligned buffer and the platform's byte order (little-endian everywhere we run)
  const raw = read(image.slice(0));
  const n = width * height * slices * channels;
  const slope = header.scl_slope || 1;
  const inter = header.scl_slope ? header.scl_inter || 0 : 0;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = raw[i] * slope + inter;
  return { width, height, slices, channels, data };
}

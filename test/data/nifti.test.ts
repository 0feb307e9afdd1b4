import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { affineFor, NiftiError, niftiToSeries, readNiftiImage, readNiftiMask, writeNiftiImage, writeNiftiMask } from '../../src/data/nifti';
import { generateSubject } from '../../src/data/phantom';

const subject = generateSubject({ seed: 12, code: 'N', group: 'HEALTHY', size: 40, slices: 12 });
const series = subject.series[1];

async function header(bytes: Uint8Array) {
  const nr = await import('nifti-reader-js');
  const buf = nr.decompress(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) as ArrayBuffer;
  return { nr, buf, h: nr.readHeader(buf) as import('nifti-reader-js', { with: { 'resolution-mode': 'import' } }).NIFTI1 };
}

describe('NIfTI-1 write → read back through nifti-reader-js', () => {
  it('image: voxels, spacing, header fields', async () => {
    const bytes = writeNiftiImage(series);
    expect(bytes[0]).toBe(0x1f); // gzip
    const { h, buf, nr } = await header(bytes);
    expect(nr.isNIFTI1(buf)).toBe(true);
    expect(h.dims.slice(0, 5)).toEqual([4, 40, 40, 12, 8]);
    expect(h.datatypeCode).toBe(16);
    expect(h.numBitsPerVoxel).toBe(32);
    expect(h.vox_offset).toBe(352);
    expect(h.scl_slope).toBe(1);
    expect(h.scl_inter).toBe(0);
    expect(h.magic).toBe('n+1');
    expect(h.qform_code).toBe(1);
    expect(h.sform_code).toBe(1);
    expect(h.xyzt_units & 7).toBe(2);
    expect(h.pixDims[1]).toBeCloseTo(series.spacingMm[0], 5);
    expect(h.pixDims[3]).toBe(5);
    // qform (quaternion) and sform describe the same coronal affine
    const expected = affineFor('coronal', [40, 40, 12], series.spacingMm);
    // nifti-reader-js builds `affine` from the qform (quaternion) when qform_code > 0
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(h.affine[r][c]).toBeCloseTo(expected[r][c], 3);
    expect(h.quatern_b).toBeCloseTo(0, 6);
    expect(h.quatern_c).toBeCloseTo(Math.SQRT1_2, 6);
    expect(h.quatern_d).toBeCloseTo(-Math.SQRT1_2, 6);
    // the sform rows hold the same affine
    const dv = new DataView(buf);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(dv.getFloat32(280 + 16 * r + 4 * c, true)).toBeCloseTo(expected[r][c], 3);
    const img = await readNiftiImage(bytes, 'T1_MAP.nii.gz');
    expect([img.width, img.height, img.slices, img.channels]).toEqual([40, 40, 12, 8]);
    expect(Buffer.from(img.data.buffer).equals(Buffer.from(series.data.buffer))).toBe(true);
    expect(img.spacingMm[0]).toBeCloseTo(series.spacingMm[0], 5);
    expect(img.spacingMm[2]).toBe(5);
    expect(img.orientation).toBe('coronal');
    const s = niftiToSeries(img, 'T1_MAP', series.channelNames);
    expect(s.channelNames).toEqual(series.channelNames);
  });

  it('mask: uint8, 3D, labels preserved; an axial affine is recognised', async () => {
    const bytes = writeNiftiMask(series.mask!, series);
    const { h } = await header(bytes);
    expect(h.dims.slice(0, 4)).toEqual([3, 40, 40, 12]);
    expect(h.datatypeCode).toBe(2);
    const m = await readNiftiMask(bytes, 'T1_MAP_mask.nii.gz');
    expect(Buffer.from(m.mask).equals(Buffer.from(series.mask!))).toBe(true);
    const axial = writeNiftiMask(series.mask!, { ...series, protocol: { orientation: 'axial' } });
    expect((await readNiftiMask(axial, 'a.nii.gz')).orientation).toBe('axial');
  });

  it('keeps an imported affine when writing again', async () => {
    const img = await readNiftiImage(writeNiftiImage(series), 'x.nii.gz');
    const again = await readNiftiImage(writeNiftiImage(niftiToSeries(img, 'T1_MAP')), 'y.nii.gz');
    expect(again.affine).toEqual(img.affine);
  });
});

/** A minimal uncompressed NIfTI-1 file for the reader's datatype/scaling/error paths. */
function rawNifti(dims: number[], datatype: number, bitpix: number, payload: Buffer, opts: { slope?: number; inter?: number } = {}): Uint8Array {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  [dims.length, ...dims, 1, 1, 1, 1, 1, 1, 1].slice(0, 8).forEach((v, i) => h.writeInt16LE(v, 40 + 2 * i));
  h.writeInt16LE(datatype, 70);
  h.writeInt16LE(bitpix, 72);
  [1, 2, 3, 4, 1, 1, 1, 1].forEach((v, i) => h.writeFloatLE(v, 76 + 4 * i));
  h.writeFloatLE(352, 108);
  h.writeFloatLE(opts.slope ?? 0, 112);
  h.writeFloatLE(opts.inter ?? 0, 116);
  h.write('n+1\0', 344, 'latin1');
  return new Uint8Array(Buffer.concat([h, payload]));
}

describe('NIfTI-1 reader', () => {
  it('reads uint8/int16/uint16/int32/float64 and applies scl_slope/scl_inter; .nii and .nii.gz', async () => {
    const vals = [0, 1, 2, 3, 4, 5, 6, 7];
    const cases: Array<[number, number, (b: Buffer, v: number, i: number) => void]> = [
      [2, 8, (b, v, i) => b.writeUInt8(v, i)],
      [4, 16, (b, v, i) => b.writeInt16LE(v - 3, i * 2)],
      [512, 16, (b, v, i) => b.writeUInt16LE(v * 1000, i * 2)],
      [8, 32, (b, v, i) => b.writeInt32LE(v * -7, i * 4)],
      [64, 64, (b, v, i) => b.writeDoubleLE(v / 3, i * 8)],
    ];
    for (const [code, bitpix, put] of cases) {
      const payload = Buffer.alloc((vals.length * bitpix) / 8);
      vals.forEach((v, i) => put(payload, v, i));
      const raw = rawNifti([2, 2, 2], code, bitpix, payload, { slope: 2, inter: 1 });
      const img = await readNiftiImage(raw, `t${code}.nii`);
      const gz = await readNiftiImage(new Uint8Array(gzipSync(raw)), `t${code}.nii.gz`);
      expect(Array.from(gz.data)).toEqual(Array.from(img.data));
      const back = Array.from(img.data).map((x) => (x - 1) / 2);
      const expected = vals.map((v) => (code === 2 ? v : code === 4 ? v - 3 : code === 512 ? v * 1000 : code === 8 ? v * -7 : v / 3));
      back.forEach((b, i) => expect(b).toBeCloseTo(expected[i], 5));
      expect(img.spacingMm).toEqual([2, 3, 4]);
    }
  });

  it('fails with NiftiError naming the file and the reason', async () => {
    const ok = rawNifti([2, 2, 2], 2, 8, Buffer.alloc(8));
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /empty/],
      [new Uint8Array(100), /shorter than a NIfTI-1 header/],
      [new Uint8Array(400), /not a NIfTI-1/],
      [rawNifti([2, 2, 2], 32, 64, Buffer.alloc(64)), /unsupported datatype 32/],
      [rawNifti([2, 2, 2], 2, 8, Buffer.alloc(3)), /truncated/],
      [rawNifti([2, 2, 2, 1, 3], 2, 8, Buffer.alloc(24)), /wrong dims/],
      [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), /corrupt gzip|not a NIfTI|shorter/],
      [ok.subarray(0, 352), /truncated/],
    ];
    for (const [bytes, reason] of cases) {
      const err = await readNiftiImage(bytes, 'bad/DWI.nii').catch((e) => e);
      expect(err).toBeInstanceOf(NiftiError);
      expect(err.message).toMatch(/^bad\/DWI\.nii: /);
      expect(err.message).toMatch(reason);
    }
    const labels = rawNifti([2, 2, 2], 2, 8, Buffer.from([0, 1, 2, 3, 0, 0, 0, 0]));
    await expect(readNiftiMask(labels, 'DWI_mask.nii')).rejects.toThrow(/DWI_mask\.nii: label 3 .* outside \{0, 1, 2\}/);
    const fourD = rawNifti([2, 2, 2, 2], 2, 8, Buffer.alloc(16));
    await expect(readNiftiMask(fourD, 'm.nii')).rejects.toThrow(/must be 3D/);
  });
});

import { describe, expect, it } from 'vitest';
import { cohortFingerprint, decodeMask, decodeVolume, encodeMask, encodeVolume, EncodingError, maskHash, sha256Hex, volumeHash } from '../../src/data/encoding';
import { generateSubject } from '../../src/data/phantom';

const subject = generateSubject({ seed: 31, code: 'E', group: 'HEALTHY', size: 48, slices: 12 });

describe('volume encoding', () => {
  for (const quantization of ['range16', 'noise'] as const) {
    it(`${quantization}: round trip within half a quantisation step, deterministic bytes and hash`, () => {
      for (const v of subject.series) {
        const enc = encodeVolume(v, { quantization });
        const dec = decodeVolume(enc.bytes);
        expect([dec.width, dec.height, dec.slices, dec.channels]).toEqual([v.width, v.height, v.slices, v.channels]);
        const n = v.width * v.height * v.slices;
        for (let c = 0; c < v.channels; c++) {
          const { step } = enc.quant[c];
          expect(Number.isInteger(Math.log2(step))).toBe(true);
          let maxErr = 0;
          for (let i = c * n; i < (c + 1) * n; i++) maxErr = Math.max(maxErr, Math.abs(dec.data[i] - v.data[i]));
          expect(maxErr).toBeLessThanOrEqual(step / 2 + 1e-3 * step);
        }
        expect(volumeHash(dec)).toBe(enc.hash);
        const again = encodeVolume(v, { quantization });
        expect(Buffer.from(again.bytes).equals(Buffer.from(enc.bytes))).toBe(true);
        // Re-encoding decoded data (e.g. after a NIfTI export/import) gives back the same values.
        const re = encodeVolume(dec);
        expect(re.hash).toBe(enc.hash);
      }
    });
  }

  it('noise quantisation is much smaller and its error small against the noise', () => {
    const v = subject.series[4];
    const a = encodeVolume(v).bytes.length;
    const b = encodeVolume(v, { quantization: 'noise' });
    expect(b.bytes.length).toBeLessThan(a * 0.7);
    const sigma = subject.truth.noiseSigma.DWI;
    // step ≤ noiseFraction (0.5) × estimated σ, and the estimate is close to the true σ
    for (const q of b.quant) expect(q.step).toBeLessThanOrEqual(0.75 * sigma);
  });

  it('hashes change with the data', () => {
    const v = subject.series[0];
    const copy = { ...v, data: Float32Array.from(v.data) };
    copy.data[100] += 50;
    expect(encodeVolume(copy).hash).not.toBe(encodeVolume(v).hash);
  });

  it('rejects bad input and corrupt bytes with EncodingError', () => {
    const v = subject.series[0];
    expect(() => encodeVolume({ ...v, data: new Float32Array(3) })).toThrow(EncodingError);
    const nan = Float32Array.from(v.data);
    nan[5] = NaN;
    expect(() => encodeVolume({ ...v, data: nan })).toThrow(/non-finite/);
    const bytes = encodeVolume(v).bytes;
    expect(() => decodeVolume(bytes.subarray(0, 30))).toThrow(EncodingError);
    const broken = Uint8Array.from(bytes);
    broken[broken.length - 20] ^= 0xff;
    expect(() => decodeVolume(broken)).toThrow(EncodingError);
    expect(() => decodeVolume(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/magic/);
  });
});

describe('mask encoding and fingerprints', () => {
  it('round-trips masks exactly', () => {
    const v = subject.series[2];
    const bytes = encodeMask(v.mask!, v);
    const back = decodeMask(bytes);
    expect(Buffer.from(back.mask).equals(Buffer.from(v.mask!))).toBe(true);
    expect(maskHash(back.mask, back)).toBe(maskHash(v.mask!, v));
    expect(Buffer.from(encodeMask(v.mask!, v)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('cohortFingerprint is order-independent and sensitive to every hash', () => {
    const entries = subject.series.map((v) => ({ subject: 'E', contrast: v.contrast, dataHash: encodeVolume(v).hash, maskHash: maskHash(v.mask!, v) }));
    const fp = cohortFingerprint(entries);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(cohortFingerprint([...entries].reverse())).toBe(fp);
    expect(cohortFingerprint([{ ...entries[0], maskHash: null }, ...entries.slice(1)])).not.toBe(fp);
    expect(cohortFingerprint(entries.slice(1))).not.toBe(fp);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

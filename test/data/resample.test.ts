import { describe, expect, it } from 'vitest';
import { resampleLabels, resampleVolume } from '../../src/data/resample';

describe('resampleVolume', () => {
  it('averages 2×2 blocks when halving', () => {
    // 4×4 image, one slice, one channel: the top-left block (0, 1, 4, 5) averages to 2.5.
    const data = Float32Array.from({ length: 16 }, (_, i) => i);
    const out = resampleVolume({ width: 4, height: 4, slices: 1, channels: 1, data }, 2);
    expect(Array.from(out.data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('keeps each (slice, channel) plane separate and the layout intact', () => {
    const w = 4;
    const data = new Float32Array(w * w * 3 * 2);
    for (let p = 0; p < 6; p++) data.fill(p, p * 16, (p + 1) * 16);
    const out = resampleVolume({ width: w, height: w, slices: 3, channels: 2, data }, 2);
    expect(out.slices).toBe(3);
    expect(out.channels).toBe(2);
    for (let p = 0; p < 6; p++) expect(Array.from(out.data.subarray(p * 4, p * 4 + 4))).toEqual([p, p, p, p]);
  });

  it('interpolates a linear ramp exactly inside the image when enlarging', () => {
    // f(x) = x on a 4-wide image; upsampling to 8 maps output x to source (x + 0.5)/2 − 0.5.
    const data = Float32Array.from({ length: 16 }, (_, i) => i % 4);
    const out = resampleVolume({ width: 4, height: 4, slices: 1, channels: 1, data }, 8);
    expect(out.data[0 * 8 + 3]).toBeCloseTo(1.25, 6);
    expect(out.data[5 * 8 + 4]).toBeCloseTo(1.75, 6);
  });

  it('returns the same volume when already at size', () => {
    const v = { width: 2, height: 2, slices: 1, channels: 1, data: new Float32Array(4) };
    expect(resampleVolume(v, 2)).toBe(v);
  });
});

describe('resampleLabels', () => {
  it('keeps labels as labels (nearest neighbour)', () => {
    const labels = Uint8Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 0, 0]);
    const out = resampleLabels(labels, 4, 4, 1, 2);
    expect(Array.from(out)).toEqual([0, 1, 2, 0]);
    const up = resampleLabels(Uint8Array.from([1, 2]), 2, 1, 1, 4);
    expect(up.length).toBe(16);
    expect(new Set(up)).toEqual(new Set([1, 2]));
  });
});

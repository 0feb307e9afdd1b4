import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { generateSubject } from '../../src/data/phantom';
import { CLUSTER_PALETTE, LABEL_COLORS, renderSlicePng } from '../../src/data/render';

const v = generateSubject({ seed: 3, code: 'R', group: 'HEALTHY', size: 64, slices: 12 }).series[0];
const slice = 6;
const n = v.width * v.height;

describe('renderSlicePng', () => {
  it('renders a windowed grey slice of the right size', () => {
    const png = PNG.sync.read(renderSlicePng(v, { slice, channel: 0 }));
    expect([png.width, png.height]).toEqual([64, 64]);
    let min = 255;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = png.data.subarray(i * 4, i * 4 + 3);
      expect(r).toBe(g);
      expect(g).toBe(b);
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    expect(min).toBe(0);
    expect(max).toBe(255);
  });

  it('colours the right and left kidney distinctly and leaves background grey', () => {
    const mask = v.mask!;
    const png = PNG.sync.read(renderSlicePng(v, { slice, channel: 0, overlay: mask, overlayKind: 'mask' }));
    const at = (i: number) => Array.from(png.data.subarray(i * 4, i * 4 + 3));
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const label = mask[slice * n + i];
      const [r, g, b] = at(i);
      if (label === 1) {
        expect(r).toBeGreaterThan(b + 40); // red-orange
        seen |= 1;
      } else if (label === 2) {
        expect(b).toBeGreaterThan(r + 40); // blue
        seen |= 2;
      } else {
        expect(r === g && g === b).toBe(true);
      }
    }
    expect(seen).toBe(3);
    // with full opacity the colours are exact
    const opaque = PNG.sync.read(renderSlicePng(v, { slice, channel: 1, overlay: mask.subarray(slice * n, (slice + 1) * n), alpha: 1 }));
    const i1 = mask.subarray(slice * n, (slice + 1) * n).indexOf(1);
    expect(Array.from(opaque.data.subarray(i1 * 4, i1 * 4 + 3))).toEqual(LABEL_COLORS[1]);
  });

  it('colours constraint clusters with the categorical palette', () => {
    const clusters = new Int32Array(n).map((_, i) => (i < n / 2 ? 3 : -1));
    const png = PNG.sync.read(renderSlicePng(v, { slice, channel: 0, overlay: clusters, overlayKind: 'constraints', alpha: 1 }));
    expect(Array.from(png.data.subarray(0, 3))).toEqual(CLUSTER_PALETTE[3]);
    const last = (n - 1) * 4;
    expect(png.data[last]).toBe(png.data[last + 1]);
  });

  it('rejects out-of-range slices, channels and overlays', () => {
    expect(() => renderSlicePng(v, { slice: 99, channel: 0 })).toThrow(RangeError);
    expect(() => renderSlicePng(v, { slice: 0, channel: 4 })).toThrow(RangeError);
    expect(() => renderSlicePng(v, { slice: 0, channel: 0, overlay: new Uint8Array(7) })).toThrow(/overlay/);
  });
});

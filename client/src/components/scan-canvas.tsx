// A scan held in the browser (not stored on the server) with its predicted mask: one (slice, channel) drawn on a
// canvas as src/data/render.ts draws slice PNGs (1st–99th percentile window, right kidney red-orange, left blue,
// 45% opacity), with slice and channel sliders.
import { useEffect, useRef, useState } from 'react';
import type { BrowserVolume } from '../lib/nifti';
import { SliceSliders } from './slice-viewer';

const COLORS: Record<number, [number, number, number]> = { 1: [255, 80, 40], 2: [40, 150, 255] };
const ALPHA = 0.45;

function quantile(sorted: Float32Array, q: number): number {
  if (!sorted.length) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function ScanCanvas({
  scan,
  mask,
  channelNames,
  width = 320,
}: {
  scan: BrowserVolume;
  mask: Uint8Array | null;
  channelNames?: string[];
  width?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [slice, setSlice] = useState(Math.floor(scan.slices / 2));
  const [channel, setChannel] = useState(0);
  const [showMask, setShowMask] = useState(true);
  const names = Array.from({ length: scan.channels }, (_, c) => channelNames?.[c] ?? `channel ${c + 1}`);
  useEffect(() => {
    const { width: w, height: h, slices } = scan;
    const n = w * h;
    const img = scan.data.subarray((channel * slices + slice) * n, (channel * slices + slice + 1) * n);
    const sorted = Float32Array.from(img).sort();
    const lo = quantile(sorted, 0.01);
    const hi = quantile(sorted, 0.99);
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const labels = mask && showMask ? mask.subarray(slice * n, (slice + 1) * n) : null;
    const ctx = canvas.current!.getContext('2d')!;
    const out = ctx.createImageData(w, h);
    let tinted = 0;
    for (let i = 0; i < n; i++) {
      const g = Math.max(0, Math.min(255, (img[i] - lo) * scale));
      const c = labels ? COLORS[labels[i]] : undefined;
      if (c) tinted++;
      out.data[4 * i] = c ? g * (1 - ALPHA) + c[0] * ALPHA : g;
      out.data[4 * i + 1] = c ? g * (1 - ALPHA) + c[1] * ALPHA : g;
      out.data[4 * i + 2] = c ? g * (1 - ALPHA) + c[2] * ALPHA : g;
      out.data[4 * i + 3] = 255;
    }
    ctx.putImageData(out, 0, 0);
    canvas.current!.dataset.tinted = String(tinted);
  }, [scan, mask, slice, channel, showMask]);
  return (
    <div className="slice-viewer">
      <canvas
        ref={canvas}
        width={scan.width}
        height={scan.height}
        className="slice"
        style={{ width, imageRendering: 'pixelated' }}
        data-testid="scan-canvas"
        data-slice={slice}
      />
      <div className="slice-controls">
        <SliceSliders prefix="scan-" slice={slice} slices={scan.slices} onSlice={setSlice} channel={channel} channelNames={names} onChannel={setChannel} />
        <label>
          <input type="checkbox" checked={showMask} disabled={!mask} onChange={(e) => setShowMask(e.target.checked)} /> show the predicted mask
        </label>
      </div>
    </div>
  );
}

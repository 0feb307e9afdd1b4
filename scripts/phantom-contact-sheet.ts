/**
 * Contact sheet of the default synthetic cohort (phantom generation 2): 8 subjects (rows) × 5 contrasts (columns),
 * each the coronal slice with the most kidney voxels, one representative channel, windowed to its 1st–99th
 * percentile, with the mask outline (right kidney orange, left blue; image left is the patient's right).
 *   npx tsx scripts/phantom-contact-sheet.ts [out=docs/phantom/contact-sheet.png]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { svgToPng } from '../src/cli/charts';
import { generateSubject, planCohort } from '../src/data/phantom';
import { LABEL_COLORS } from '../src/data/render';
import type { SeriesVolume } from '../src/data/volume';

const out = process.argv[2] ?? 'docs/phantom/contact-sheet.png';
const SCALE = 2;
/** The channel shown per contrast: the one where a radiologist would look at the kidneys. */
const CHANNEL: Record<string, string> = { DIXON: 'water', T1_MAP: 'TI=400ms', T2_MAP: 'TE=76ms', BOLD: 'TE=13.0ms', DWI: 'b=0' };
const ROWS = ['SYN-001', 'SYN-009', 'SYN-017', 'SYN-024', 'SYN-035', 'SYN-046', 'SYN-058', 'SYN-071'];

function midKidneySlice(v: SeriesVolume): number {
  const n = v.width * v.height;
  let best = 0;
  let bestCount = -1;
  for (let s = 0; s < v.slices; s++) {
    let c = 0;
    for (let i = 0; i < n; i++) if (v.mask![s * n + i]) c++;
    if (c > bestCount) [best, bestCount] = [s, c];
  }
  return best;
}

function tile(v: SeriesVolume): Buffer {
  const { width: w, height: h, slices } = v;
  const s = midKidneySlice(v);
  const c = v.channelNames.indexOf(CHANNEL[v.contrast]);
  const img = v.data.subarray((c * slices + s) * w * h, (c * slices + s + 1) * w * h);
  const sorted = Float32Array.from(img).sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))];
  const hi = sorted[Math.floor(0.99 * (sorted.length - 1))];
  const mask = v.mask!.subarray(s * w * h, (s + 1) * w * h);
  const png = new PNG({ width: w * SCALE, height: h * SCALE });
  for (let y = 0; y < h * SCALE; y++) {
    for (let x = 0; x < w * SCALE; x++) {
      const i = Math.floor(y / SCALE) * w + Math.floor(x / SCALE);
      const g = Math.max(0, Math.min(255, Math.round(((img[i] - lo) / (hi - lo || 1)) * 255)));
      // outline: a sub-pixel at the border of a mask pixel whose neighbour on that side has another label
      const px = x % SCALE;
      const py = y % SCALE;
      const ix = Math.floor(x / SCALE);
      const iy = Math.floor(y / SCALE);
      const l = mask[i];
      const differs = (dx: number, dy: number) => {
        const nx = ix + dx;
        const ny = iy + dy;
        return nx < 0 || ny < 0 || nx >= w || ny >= h || mask[ny * w + nx] !== l;
      };
      const edge =
        l > 0 && ((px === 0 && differs(-1, 0)) || (px === SCALE - 1 && differs(1, 0)) || (py === 0 && differs(0, -1)) || (py === SCALE - 1 && differs(0, 1)));
      const rgb = edge ? LABEL_COLORS[l] : [g, g, g];
      const o = (y * w * SCALE + x) * 4;
      png.data[o] = rgb[0];
      png.data[o + 1] = rgb[1];
      png.data[o + 2] = rgb[2];
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const plan = planCohort({ seed: 2093 });
const contrasts = ['DIXON', 'T1_MAP', 'T2_MAP', 'BOLD', 'DWI'];
const T = 128 * SCALE;
const LEFT = 190;
const TOP = 56;
const parts: string[] = [];
ROWS.forEach((code, r) => {
  const p = plan.find((x) => x.code === code)!;
  const s = generateSubject({ seed: p.seed, code: p.code, group: p.group });
  const a = s.truth.anatomy;
  const notes = [p.group.toLowerCase().replace(/_/g, ' '), `${p.split.toLowerCase()}, ${s.series[0].slices} slices`, `SNR ${s.truth.snr.DWI.toFixed(0)} (DWI)`];
  if (a.slabCutMm > 0) notes.push(`slab cuts ${a.slabCutMm.toFixed(0)} mm`);
  if (s.truth.acquisition.DIXON.dixon?.swap) notes.push('Dixon W/F swap');
  if (s.truth.acquisition.DIXON.dixon?.leak) notes.push('Dixon W/F leak');
  if (s.truth.subjectAcquisition.dwiFatSuppressionFailed) notes.push('DWI fat-sat failed');
  const y = TOP + r * (T + 6);
  parts.push(`<text x="8" y="${y + 22}" font-size="17" font-weight="bold">${code}</text>`);
  notes.forEach((t, i) => parts.push(`<text x="8" y="${y + 46 + i * 19}" font-size="13">${t}</text>`));
  contrasts.forEach((contrast, col) => {
    const v = s.series.find((x) => x.contrast === contrast)!;
    parts.push(`<image x="${LEFT + col * (T + 6)}" y="${y}" width="${T}" height="${T}" href="data:image/png;base64,${tile(v).toString('base64')}"/>`);
  });
});
contrasts.forEach((c, col) =>
  parts.push(`<text x="${LEFT + col * (T + 6) + T / 2}" y="${TOP - 14}" font-size="16" text-anchor="middle">${c} · ${CHANNEL[c]}</text>`),
);
const W = LEFT + contrasts.length * (T + 6);
const H = TOP + ROWS.length * (T + 6) + 30;
parts.push(
  `<text x="8" y="${H - 10}" font-size="13">nephron phantom generation 2, synthetic-79 (seed 2093): coronal slice with the most kidney voxels; outline = mask (orange right, blue left kidney; image left = patient right)</text>`,
);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans">${parts.join('')}</svg>`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, svgToPng(svg));
console.log(`wrote ${out} (${W}×${H})`);

/**
 * Constraint-map benchmark (by hand): `npx tsx bench/constraints.ts [repeats]`.
 * One synthetic subject of 16 slices × 128² × 8 channels (6 planted tissues with multi-echo decay curves + noise),
 * the PAPER constraint settings (4 components, TV denoising 50 iterations, K = 20, ≤ 50 k-means iterations).
 * Target (issue 3): ≤ 2 s per subject. Prints the per-stage times of each repeat and the median total.
 */
import { buildConstraintMaps } from '../src/ml/constraint-maps';
import { seededRng } from '../src/ml/random';

const width = 128;
const height = 128;
const slices = 16;
const channels = 8;
const repeats = Number(process.argv[2] ?? 3);

const tissues = [
  { rho: 0.05, t2: 15 },
  { rho: 1.0, t2: 45 },
  { rho: 0.8, t2: 120 },
  { rho: 0.5, t2: 250 },
  { rho: 0.9, t2: 80 },
  { rho: 0.3, t2: 60 },
];
const rng = seededRng(1);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const plane = width * height;
const truth = new Int32Array(slices * plane);
for (let s = 0; s < slices; s++) {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - 64, y - 64 + s);
      truth[s * plane + y * width + x] = Math.min(tissues.length - 1, Math.floor(r / 12));
    }
  }
}
const data = new Float32Array(channels * truth.length);
for (let c = 0; c < channels; c++) {
  const te = 8 + 20 * c;
  for (let i = 0; i < truth.length; i++) {
    const t = tissues[truth[i]];
    data[c * truth.length + i] = 1000 * (t.rho * Math.exp(-te / t.t2) + 0.03 * gauss());
  }
}

const totals: number[] = [];
for (let r = 0; r < repeats; r++) {
  const result = buildConstraintMaps({ width, height, slices, channels, data }, { seed: 0 });
  const t = result.timingsMs;
  totals.push(t.total);
  console.log(
    `run ${r + 1}: total ${t.total.toFixed(0)} ms (normalise ${t.normalize.toFixed(0)}, PCA ${t.pca.toFixed(0)}, ` +
      `TV ${t.denoise.toFixed(0)}, k-means ${t.kmeans.toFixed(0)} in ${result.params.kmeans.iterations} iterations, ` +
      `converged ${result.params.kmeans.converged})`,
  );
}
totals.sort((a, b) => a - b);
console.log(`median ${totals[Math.floor(totals.length / 2)].toFixed(0)} ms for ${slices} × ${width}² × ${channels} (node ${process.version})`);

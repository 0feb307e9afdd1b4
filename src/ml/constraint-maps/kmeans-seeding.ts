/**
 * Greedy k-means++ seeding for ./kmeans.ts (Arthur & Vassilvitskii, SODA 2007; the greedy variant, 2 + ⌊ln K⌋
 * candidates per step keeping the one that lowers the potential most, is scikit-learn's default), on a seeded
 * uniform subsample of at most SEED_SAMPLE points.
 */
import type { SeededRng } from '../random';

/** min(closest[i], ‖x_i − x_cand‖²) for all i into `out`; returns their sum (the potential with cand added). */
function potentialWith(points: Float32Array, n: number, d: number, cand: number, closest: Float64Array, out: Float64Array): number {
  let pot = 0;
  if (d === 4) {
    const q = cand * 4;
    const c0 = points[q];
    const c1 = points[q + 1];
    const c2 = points[q + 2];
    const c3 = points[q + 3];
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const a = points[o] - c0;
      const b = points[o + 1] - c1;
      const e = points[o + 2] - c2;
      const f = points[o + 3] - c3;
      const dd = a * a + b * b + e * e + f * f;
      const m = dd < closest[i] ? dd : closest[i];
      out[i] = m;
      pot += m;
    }
    return pot;
  }
  for (let i = 0; i < n; i++) {
    let dd = 0;
    for (let j = 0; j < d; j++) {
      const t = points[i * d + j] - points[cand * d + j];
      dd += t * t;
    }
    const m = dd < closest[i] ? dd : closest[i];
    out[i] = m;
    pot += m;
  }
  return pot;
}

/** Points the k-means++ seeding looks at, at most (a seeded uniform subsample beyond that). */
export const SEED_SAMPLE = 32768;

/** Greedy k-means++ seeding (on at most SEED_SAMPLE points); returns k × d centroids. */
export function seedPlusPlus(allPoints: Float32Array, allN: number, d: number, k: number, rng: SeededRng): Float64Array {
  // Seed on a uniform subsample (without replacement, seeded) of at most SEED_SAMPLE points when n is larger.
  let points = allPoints;
  let n = allN;
  if (allN > SEED_SAMPLE) {
    const idx = new Int32Array(allN);
    for (let i = 0; i < allN; i++) idx[i] = i;
    for (let i = 0; i < SEED_SAMPLE; i++) {
      const j = i + rng.int(allN - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    n = SEED_SAMPLE;
    points = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) points[i * d + j] = allPoints[idx[i] * d + j];
  }
  const centroids = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.int(n);
  for (let j = 0; j < d; j++) centroids[j] = points[first * d + j];
  const closest = new Float64Array(n).fill(Infinity);
  potentialWith(points, n, d, first, closest, closest);
  const cumulative = new Float64Array(n);
  let candidateDist = new Float64Array(n);
  let bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += closest[i];
      cumulative[i] = acc;
    }
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      // Draw a point with probability ∝ its squared distance to the closest chosen centre (uniform if all are 0).
      let cand: number;
      if (acc > 0) {
        const r = rng.next() * acc;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cumulative[mid] <= r) lo = mid + 1;
          else hi = mid;
        }
        cand = lo;
      } else {
        cand = rng.int(n);
      }
      const pot = potentialWith(points, n, d, cand, closest, candidateDist);
      if (pot < bestPotential) {
        bestPotential = pot;
        bestCandidate = cand;
        const swap = bestDist;
        bestDist = candidateDist;
        candidateDist = swap;
      }
    }
    for (let j = 0; j < d; j++) centroids[c * d + j] = points[bestCandidate * d + j];
    closest.set(bestDist);
  }
  return centroids;
}

/**
 * K-means clustering (Lloyd's algorithm) with greedy k-means++ seeding — Arthur & Vassilvitskii, "k-means++: the
 * advantages of careful seeding", SODA 2007; the greedy variant (2 + ⌊ln K⌋ candidates per step, keep the one that
 * lowers the potential most) is scikit-learn's default.
 *
 * Points are n rows of d values, interleaved (point i at [i·d, (i+1)·d)). Lloyd iterations alternate
 *   assign:  a_i = argmin_k ‖x_i − c_k‖²       update: c_k = mean of { x_i : a_i = k }
 * and stop after `maxIterations`, when no assignment changes, or when Σ_k ‖Δc_k‖² ≤ tol · (mean per-dimension
 * variance) (scikit-learn's relative tolerance, tol = 1e-4). The assignment step uses Hamerly's exact bounds
 * (G. Hamerly, "Making k-means even faster", SDM 2010): a point whose distance upper bound to its centre is below
 * max(its lower bound to every other centre, half the distance from its centre to the nearest other centre) keeps
 * its cluster without computing distances — same result as plain Lloyd's, fewer distance evaluations. An empty
 * cluster is re-seeded with the point farthest from its centre. A final exact assignment makes labels and centroids
 * agree. All random draws come from the seeded generator, so a seed fixes the result.
 *
 * The seeding looks at a seeded uniform subsample of at most `SEED_SAMPLE` (32768) points — scikit-learn's
 * MiniBatchKMeans, which the reference code uses, also seeds on a subsample; Lloyd's iterations use every point.
 *
 * Speed: points of d < 4 are zero-padded to 4 dimensions (distances unchanged) so the hot loops run an unrolled
 * 4-D kernel; d > 4 runs a generic loop.
 */
import { seededRng } from '../random';
import { SEED_SAMPLE, seedPlusPlus } from './kmeans-seeding';

export { SEED_SAMPLE };

export interface KMeansResult {
  labels: Int32Array;
  /** k × d centroids, row-major. */
  centroids: Float64Array;
  iterations: number;
  /** Σ_i ‖x_i − c_{a_i}‖². */
  inertia: number;
  converged: boolean;
}

export interface KMeansOptions {
  k: number;
  maxIterations: number;
  seed: number;
  tol?: number;
}

export function kmeans(points: Float32Array, d: number, options: KMeansOptions): KMeansResult {
  const n = points.length / d;
  const { k, maxIterations, seed } = options;
  if (!(Number.isInteger(d) && d > 0)) throw new RangeError(`kmeans: d must be a positive integer, got ${d}`);
  if (!Number.isInteger(n)) throw new RangeError(`kmeans: ${points.length} values is not a multiple of d = ${d}`);
  if (!(Number.isInteger(k) && k > 0 && k <= n)) throw new RangeError(`kmeans: k = ${k} must be in [1, ${n}] points`);
  if (d < 4) {
    const padded = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) padded[i * 4 + j] = points[i * d + j];
    const r = lloyd(padded, n, 4, k, maxIterations, seed, options.tol ?? 1e-4);
    const centroids = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centroids[c * d + j] = r.centroids[c * 4 + j];
    return { ...r, centroids };
  }
  return lloyd(points, n, d, k, maxIterations, seed, options.tol ?? 1e-4);
}

function lloyd(points: Float32Array, n: number, d: number, k: number, maxIterations: number, seed: number, tol: number): KMeansResult {
  const rng = seededRng(seed);
  const centroids = seedPlusPlus(points, n, d, k, rng);

  // Relative tolerance as in scikit-learn: tol × mean variance over dimensions.
  let varSum = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = points[i * d + j];
      s += v;
      s2 += v * v;
    }
    varSum += s2 / n - (s / n) ** 2;
  }
  const shiftTol = (tol * varSum) / d;

  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const nearest = { best: 0, bestD: 0, secondD: 0 };
  for (let i = 0; i < n; i++) {
    nearestTwo(points, i, d, centroids, k, nearest);
    labels[i] = nearest.best;
    upper[i] = Math.sqrt(nearest.bestD);
    lower[i] = Math.sqrt(nearest.secondD);
  }
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  const half = new Float64Array(k);
  const moved = new Float64Array(k);
  let iterations = 0;
  let converged = false;
  for (let it = 0; it < maxIterations; it++) {
    iterations = it + 1;
    let changed = it === 0 ? n : 0;
    if (it > 0) {
      for (let c = 0; c < k; c++) {
        let m = Infinity;
        for (let o = 0; o < k; o++) if (o !== c) m = Math.min(m, centreSqDist(centroids, c, o, d));
        half[c] = Math.sqrt(m) / 2;
      }
      for (let i = 0; i < n; i++) {
        const a = labels[i];
        const bound = half[a] > lower[i] ? half[a] : lower[i];
        if (upper[i] <= bound) continue;
        upper[i] = Math.sqrt(pointCentreSqDist(points, i, d, centroids, a));
        if (upper[i] <= bound) continue;
        nearestTwo(points, i, d, centroids, k, nearest);
        if (nearest.best !== a) changed++;
        labels[i] = nearest.best;
        upper[i] = Math.sqrt(nearest.bestD);
        lower[i] = Math.sqrt(nearest.secondD);
      }
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      counts[l]++;
      for (let j = 0; j < d; j++) sums[l * d + j] += points[i * d + j];
    }
    // Re-seed empty clusters with the points farthest from their centres (by the upper bounds).
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) continue;
      let far = 0;
      for (let i = 1; i < n; i++) if (upper[i] > upper[far]) far = i;
      const from = labels[far];
      counts[from]--;
      for (let j = 0; j < d; j++) sums[from * d + j] -= points[far * d + j];
      labels[far] = c;
      upper[far] = 0;
      counts[c] = 1;
      for (let j = 0; j < d; j++) sums[c * d + j] = points[far * d + j];
      changed++;
    }
    let shift = 0;
    let maxMove = 0;
    let secondMove = 0;
    let maxMover = -1;
    for (let c = 0; c < k; c++) {
      let m2 = 0;
      for (let j = 0; j < d; j++) {
        const next = counts[c] > 0 ? sums[c * d + j] / counts[c] : centroids[c * d + j];
        m2 += (next - centroids[c * d + j]) ** 2;
        centroids[c * d + j] = next;
      }
      shift += m2;
      moved[c] = Math.sqrt(m2);
      if (moved[c] > maxMove) {
        secondMove = maxMove;
        maxMove = moved[c];
        maxMover = c;
      } else if (moved[c] > secondMove) secondMove = moved[c];
    }
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      upper[i] += moved[a];
      lower[i] -= a === maxMover ? secondMove : maxMove;
    }
    if (changed === 0 || shift <= shiftTol) {
      converged = true;
      break;
    }
  }
  // Final exact assignment to the final centroids, and the inertia.
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    nearestTwo(points, i, d, centroids, k, nearest);
    labels[i] = nearest.best;
    inertia += nearest.bestD;
  }
  return { labels, centroids, iterations, inertia, converged };
}

/** Nearest and second-nearest centre of point i (squared distances), written into `out`. */
function nearestTwo(
  points: Float32Array,
  i: number,
  d: number,
  centroids: Float64Array,
  k: number,
  out: { best: number; bestD: number; secondD: number },
): void {
  let best = 0;
  let bestD = Infinity;
  let second = Infinity;
  if (d === 4) {
    const o = i * 4;
    const x0 = points[o];
    const x1 = points[o + 1];
    const x2 = points[o + 2];
    const x3 = points[o + 3];
    for (let c = 0, q = 0; c < k; c++, q += 4) {
      const a = x0 - centroids[q];
      const b = x1 - centroids[q + 1];
      const e = x2 - centroids[q + 2];
      const f = x3 - centroids[q + 3];
      const dd = a * a + b * b + e * e + f * f;
      if (dd < bestD) {
        second = bestD;
        bestD = dd;
        best = c;
      } else if (dd < second) second = dd;
    }
  } else {
    for (let c = 0; c < k; c++) {
      const dd = pointCentreSqDist(points, i, d, centroids, c);
      if (dd < bestD) {
        second = bestD;
        bestD = dd;
        best = c;
      } else if (dd < second) second = dd;
    }
  }
  out.best = best;
  out.bestD = bestD;
  out.secondD = second;
}

function pointCentreSqDist(points: Float32Array, i: number, d: number, centroids: Float64Array, c: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = points[i * d + j] - centroids[c * d + j];
    s += t * t;
  }
  return s;
}

function centreSqDist(centroids: Float64Array, a: number, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = centroids[a * d + j] - centroids[b * d + j];
    s += t * t;
  }
  return s;
}

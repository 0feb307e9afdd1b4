/**
 * Per-channel intensity normalisation of method.md ("Data"): clip every channel of a subject at its `low` and
 * `high` percentiles (default 0.01 and 99.9, `PRESETS.PAPER.constraints`), then min-max rescale to [0, 1]:
 *   x' = (min(max(x, q_low), q_high) − q_low) / (q_high − q_low)      (0 where q_high = q_low).
 * Percentiles use linear interpolation between order statistics (NumPy's default):
 *   rank r = q/100 · (n − 1), value = v_(⌊r⌋) + (r − ⌊r⌋)(v_(⌊r⌋+1) − v_(⌊r⌋)) on the sorted values v.
 * Order statistics are found by quickselect (O(n) per channel), not by sorting.
 */

/** Linear-interpolated q-th percentile (q in [0, 100]) of `values`; `values` is left in an arbitrary order. */
export function percentileInPlace(values: Float32Array, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('percentile of an empty array');
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile q must be in [0, 100], got ${q}`);
  const rank = (q / 100) * (n - 1);
  const lo = Math.floor(rank);
  const vLo = select(values, lo);
  if (lo + 1 >= n || rank === lo) return vLo;
  // After select, everything right of lo is ≥ v_(lo); the next order statistic is their minimum.
  let vHi = Infinity;
  for (let i = lo + 1; i < n; i++) if (values[i] < vHi) vHi = values[i];
  return vLo + (rank - lo) * (vHi - vLo);
}

/** Hoare quickselect with median-of-three pivots: returns the k-th smallest, partitioning `a` around it. */
function select(a: Float32Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // median of three into a[mid]
    if (a[mid] < a[left]) swap(a, mid, left);
    if (a[right] < a[left]) swap(a, right, left);
    if (a[right] < a[mid]) swap(a, right, mid);
    const pivot = a[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

export interface ChannelClip {
  low: number;
  high: number;
}

/**
 * Normalise each of `channels` contiguous runs of `perChannel` values (the volume layout of src/data/volume.ts,
 * channel outermost) in a new array. Returns the array and the clip values used per channel.
 */
export function clipAndRescaleChannels(
  data: Float32Array,
  channels: number,
  perChannel: number,
  lowPercentile: number,
  highPercentile: number,
): { data: Float32Array; clips: ChannelClip[] } {
  if (data.length !== channels * perChannel) {
    throw new RangeError(`clipAndRescaleChannels: ${data.length} values, expected ${channels} channels × ${perChannel}`);
  }
  if (!(lowPercentile < highPercentile)) {
    throw new RangeError(`clipAndRescaleChannels: low percentile ${lowPercentile} must be below high ${highPercentile}`);
  }
  const out = new Float32Array(data.length);
  const clips: ChannelClip[] = [];
  const scratch = new Float32Array(perChannel);
  for (let c = 0; c < channels; c++) {
    const src = data.subarray(c * perChannel, (c + 1) * perChannel);
    scratch.set(src);
    const low = percentileInPlace(scratch, lowPercentile);
    const high = percentileInPlace(scratch, highPercentile);
    clips.push({ low, high });
    const range = high - low;
    const dst = out.subarray(c * perChannel, (c + 1) * perChannel);
    if (!(range > 0)) continue; // constant channel → 0
    const inv = 1 / range;
    for (let i = 0; i < perChannel; i++) {
      const v = src[i];
      dst[i] = v <= low ? 0 : v >= high ? 1 : (v - low) * inv;
    }
  }
  return { data: out, clips };
}

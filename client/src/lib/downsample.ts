// Client-side twin of the API's `maxPoints`: live charts append points as epochs finish, so a long run would
// grow past what the query downsampled. Bucketed min/max keeps spikes (a loss blow-up must stay visible).

export interface XY {
  x: number[];
  y: number[];
}

/**
 * Reduces to at most maxPoints points: the first and last points are kept, the rest is split into buckets and
 * each bucket contributes its minimum and its maximum (in x order). Input must be sorted by x.
 */
export function downsampleMinMax(x: number[], y: number[], maxPoints: number): XY {
  const n = x.length;
  if (maxPoints < 4) throw new Error(`maxPoints must be at least 4, got ${maxPoints}`);
  if (n !== y.length) throw new Error(`x and y differ in length: ${n} vs ${y.length}`);
  if (n <= maxPoints) return { x: [...x], y: [...y] };
  const buckets = Math.floor((maxPoints - 2) / 2);
  const ox = [x[0]];
  const oy = [y[0]];
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  ox.push(x[n - 1]);
  oy.push(y[n - 1]);
  return { x: ox, y: oy };
}

/**
 * Appends (or replaces, for a repeated epoch after a resume) a point and downsamples again once the series holds
 * twice maxPoints, so a live chart does O(1) work per epoch on average.
 */
export function appendPoint(s: XY, x: number, y: number, maxPoints: number): XY {
  const last = s.x.length - 1;
  let next: XY;
  if (last >= 0 && s.x[last] === x) next = { x: s.x, y: [...s.y.slice(0, last), y] };
  else if (last >= 0 && s.x[last] > x) {
    // an epoch from before the end (a resumed attempt): drop everything after it
    const keep = s.x.findIndex((v) => v >= x);
    next = { x: [...s.x.slice(0, keep), x], y: [...s.y.slice(0, keep), y] };
  } else next = { x: [...s.x, x], y: [...s.y, y] };
  return next.x.length > 2 * maxPoints ? downsampleMinMax(next.x, next.y, maxPoints) : next;
}

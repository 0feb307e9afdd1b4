// Small statistics for the figures: quantiles and a Gaussian kernel density for the violins (Fig. 1).

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Silverman's rule of thumb: h = 0.9 · min(sd, IQR/1.34) · n^(-1/5) (floored so a constant sample still draws). */
export function bandwidth(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0.01;
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const iqr = quantile(s, 0.75) - quantile(s, 0.25);
  const spread = Math.min(sd, iqr / 1.34) || sd || 0.01;
  return Math.max(0.9 * spread * n ** -0.2, 0.005);
}

/** Density at `steps` points over [lo, hi]. */
export function kde(values: number[], lo: number, hi: number, steps = 60): { y: number; d: number }[] {
  const h = bandwidth(values);
  const out: { y: number; d: number }[] = [];
  for (let i = 0; i <= steps; i++) {
    const y = lo + ((hi - lo) * i) / steps;
    let d = 0;
    for (const v of values) d += Math.exp(-0.5 * ((y - v) / h) ** 2);
    out.push({ y, d: d / (values.length * h * Math.sqrt(2 * Math.PI)) });
  }
  return out;
}

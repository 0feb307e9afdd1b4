// Round axis ticks (1, 2, 5 × 10^k) and as many decimals as their step needs, for the hand-drawn SVG figures.
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; decimals: number } {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { ticks, decimals: Math.max(0, -Math.floor(Math.log10(step))) };
}

/** Moves label positions (sorted or not) apart so no two are closer than `gap`; keeps their order. */
export function spreadLabels(ys: number[], gap: number): number[] {
  const order = ys.map((y, i) => [y, i] as const).sort((a, b) => a[0] - b[0]);
  const out = [...ys];
  let prev = -Infinity;
  for (const [y, i] of order) {
    out[i] = Math.max(y, prev + gap);
    prev = out[i];
  }
  return out;
}

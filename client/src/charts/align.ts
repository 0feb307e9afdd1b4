// uPlot wants one shared x array: series measured at different epochs (validation only every few) are joined
// on the union of their x values with nulls where a series has no point.
export interface NamedSeries {
  name: string;
  x: number[];
  y: number[];
  /** canvas dash pattern, e.g. [6, 4] */
  dash?: number[];
  color?: string;
  /** Error bars, parallel to x: the interval [lo[i], hi[i]] at x[i]. */
  errors?: { lo: number[]; hi: number[] };
}

export function alignSeries(series: NamedSeries[]): (number | null)[][] {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => (col[index.get(x)!] = s.y[i]));
    return col;
  });
  return [xs, ...cols];
}

// A uPlot line chart of metric series against epoch. The plot is created once per set of series names and
// fed new data with setData, so live updates redraw without rebuilding the canvas.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { alignSeries, type NamedSeries } from './align';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export function UPlotChart({
  title,
  series,
  log = false,
  height = 220,
  yLabel,
  xLabel = 'epoch',
  points = false,
  showLast = false,
}: {
  title: string;
  series: NamedSeries[];
  log?: boolean;
  height?: number;
  yLabel?: string;
  xLabel?: string;
  points?: boolean;
  showLast?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesRef = useRef(series);
  seriesRef.current = series;
  const names = series.map((s) => s.name).join('|');
  const data = alignSeries(series) as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10, range: (_u, min, max) => uPlot.rangeLog(min, max, 10, true) } : {} },
      // epochs and N are whole numbers: no 1.5 ticks
      axes: [
        { label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
        {
          label: yLabel,
          size: 60,
          ...(log ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? '' : String(Number(v.toPrecision(2))))) } : {}),
        },
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.name,
          stroke: s.color ?? COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
          dash: s.dash,
          points: { show: points },
        })),
      ],
      legend: { live: false }, // names only; hover shows values on the cursor
      hooks: { draw: [(u: uPlot) => drawErrorBars(u, seriesRef.current)] },
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // data is pushed by the effect below; the plot is rebuilt only when its series change
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [names, title, log, height, xLabel, points]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const count = series.reduce((n, s) => Math.max(n, s.x.length), 0);
  return (
    <div className="chart-box">
      <div className="chart" ref={box} data-chart={title} data-points={count} />
      {showLast && (
        <p className="chart-last">
          {series
            .filter((s) => s.y.length)
            .map((s) => (
              <span key={s.name}>
                {s.name} <strong>{String(Number(s.y[s.y.length - 1].toPrecision(4)))}</strong>{' '}
                <span className="muted">
                  at {xLabel} {s.x[s.x.length - 1]}
                </span>
              </span>
            ))}
        </p>
      )}
    </div>
  );
}

/** Vertical bars with caps from lo to hi at each x of the series that carry `errors`, in the series' colour. */
function drawErrorBars(u: uPlot, series: NamedSeries[]): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  series.forEach((s, i) => {
    if (!s.errors) return;
    ctx.strokeStyle = s.color ?? COLORS[i % COLORS.length];
    const cap = 4 * devicePixelRatio;
    s.x.forEach((x, j) => {
      const px = u.valToPos(x, 'x', true);
      const lo = u.valToPos(s.errors!.lo[j], 'y', true);
      const hi = u.valToPos(s.errors!.hi[j], 'y', true);
      ctx.beginPath();
      ctx.moveTo(px, lo);
      ctx.lineTo(px, hi);
      ctx.moveTo(px - cap, lo);
      ctx.lineTo(px + cap, lo);
      ctx.moveTo(px - cap, hi);
      ctx.lineTo(px + cap, hi);
      ctx.stroke();
    });
  });
  ctx.restore();
}

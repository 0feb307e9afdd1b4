// Fig. 2: Bland–Altman of kidney volumes (predicted − manual against their mean) with the bias and the 95%
// limits of agreement (bias ± 1.96 SD) as computed by the API.
import { niceTicks, spreadLabels } from './ticks';

export interface BlandAltmanData {
  bias: number;
  lower: number;
  upper: number;
  points: { subject: { code: string }; mean: number; difference: number }[];
}

const W = 440;
const H = 280;
const PAD = { l: 52, r: 108, t: 14, b: 42 };

export function BlandAltmanPlot({ data, title, color = '#2563eb' }: { data: BlandAltmanData; title: string; color?: string }) {
  if (!data.points.length) return <p className="muted empty">No test subjects evaluated for {title}.</p>;
  const xs = data.points.map((p) => p.mean);
  const ys = [...data.points.map((p) => p.difference), data.lower, data.upper, 0];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const xPad = (x1 - x0) * 0.08 || 5;
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const yPad = (y1 - y0) * 0.1 || 5;
  const sx = (v: number) => PAD.l + ((v - (x0 - xPad)) / (x1 - x0 + 2 * xPad)) * (W - PAD.l - PAD.r);
  const sy = (v: number) => PAD.t + ((y1 + yPad - v) / (y1 - y0 + 2 * yPad)) * (H - PAD.t - PAD.b);
  const lines: [number, string, string][] = [
    [data.upper, 'loa', `+1.96 SD ${data.upper.toFixed(1)}`],
    [data.bias, 'bias', `bias ${data.bias.toFixed(1)}`],
    [data.lower, 'loa', `−1.96 SD ${data.lower.toFixed(1)}`],
  ];
  // labels at the right margin, pushed apart where the lines are close
  const labelY = spreadLabels(
    lines.map(([v]) => sy(v) + 4),
    12,
  );
  const yt = niceTicks(y0 - yPad, y1 + yPad, 5);
  const xt = niceTicks(x0 - xPad, x1 + xPad, 4);
  return (
    <figure className="figure">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} className="svg-chart">
        {yt.ticks.map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.l} x2={W - PAD.r} y1={sy(t)} y2={sy(t)} className="grid" />
            <text x={PAD.l - 6} y={sy(t) + 4} textAnchor="end" className="tick">
              {t.toFixed(yt.decimals)}
            </text>
          </g>
        ))}
        {xt.ticks.map((t) => (
          <text key={`x${t}`} x={sx(t)} y={H - PAD.b + 16} textAnchor="middle" className="tick">
            {t.toFixed(xt.decimals)}
          </text>
        ))}
        <rect x={PAD.l} y={PAD.t} width={W - PAD.l - PAD.r} height={H - PAD.t - PAD.b} className="frame" />
        <line x1={PAD.l} x2={W - PAD.r} y1={sy(0)} y2={sy(0)} className="zero" />
        {lines.map(([v, cls, text], i) => (
          <g key={cls + i}>
            <line x1={PAD.l} x2={W - PAD.r} y1={sy(v)} y2={sy(v)} className={cls} />
            <text x={W - PAD.r + 4} y={labelY[i]} className="tick">
              {text}
            </text>
          </g>
        ))}
        {data.points.map((p) => (
          <circle key={p.subject.code} cx={sx(p.mean)} cy={sy(p.difference)} r={3.5} fill={color} fillOpacity={0.75}>
            <title>{`${p.subject.code}: mean ${p.mean.toFixed(1)} mL, difference ${p.difference.toFixed(1)} mL`}</title>
          </circle>
        ))}
        <text x={(W + PAD.l - PAD.r) / 2} y={H - 6} textAnchor="middle" className="axis-label">
          mean of predicted and manual volume (mL)
        </text>
        <text transform={`translate(12 ${(H - PAD.b + PAD.t) / 2}) rotate(-90)`} textAnchor="middle" className="axis-label">
          predicted − manual (mL)
        </text>
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

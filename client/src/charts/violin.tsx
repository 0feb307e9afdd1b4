// Fig. 1: violins of per-kidney test Dice, RANDOM beside CLC for each group (hand-drawn SVG: a handful of
// shapes, no chart library needed). Each violin: kernel density, median line, interquartile box, the points.
import { bandwidth, kde, quantile } from '../lib/stats';

export interface ViolinGroup {
  label: string;
  random: number[];
  clc: number[];
}

const W = 720;
const H = 300;
const PAD = { l: 48, r: 12, t: 16, b: 44 };
export const INIT_COLORS = { RANDOM: '#6b7280', CLC: '#2563eb' } as const;

export function Violins({ groups, title }: { groups: ViolinGroup[]; title: string }) {
  const all = groups.flatMap((g) => [...g.random, ...g.clc]);
  if (!all.length) return <p className="muted empty">No per-subject Dice yet for {title}.</p>;
  const lo = Math.max(0, Math.min(...all) - 0.05);
  const hi = Math.min(1, Math.max(...all) + 0.02);
  const y = (v: number) => PAD.t + ((hi - v) / (hi - lo || 1)) * (H - PAD.t - PAD.b);
  const slot = (W - PAD.l - PAD.r) / groups.length;
  const ticks = Array.from({ length: 6 }, (_, i) => lo + ((hi - lo) * i) / 5);

  const violin = (values: number[], cx: number, half: number, color: string, key: string) => {
    if (!values.length)
      return (
        <text key={key} x={cx} y={y((lo + hi) / 2)} textAnchor="middle" className="svg-muted">
          none
        </text>
      );
    // the density only over the data and a little beyond (three bandwidths), not down to the axis ends
    const h = bandwidth(values);
    const dens = kde(values, Math.max(lo, Math.min(...values) - 3 * h), Math.min(hi, Math.max(...values) + 3 * h), 50);
    const peak = Math.max(...dens.map((d) => d.d)) || 1;
    const right = dens.map((d) => `${cx + (d.d / peak) * half},${y(d.y)}`);
    const left = dens.map((d) => `${cx - (d.d / peak) * half},${y(d.y)}`).reverse();
    const s = [...values].sort((a, b) => a - b);
    const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => quantile(s, q));
    return (
      <g key={key}>
        <polygon points={[...right, ...left].join(' ')} fill={color} fillOpacity={0.25} stroke={color} />
        <rect x={cx - 4} y={y(q3)} width={8} height={Math.max(1, y(q1) - y(q3))} fill={color} />
        <line x1={cx - 10} x2={cx + 10} y1={y(med)} y2={y(med)} stroke="#111" strokeWidth={2} />
        {values.map((v, i) => (
          <circle key={i} cx={cx + (((i * 7919) % 13) / 13 - 0.5) * half * 0.5} cy={y(v)} r={1.8} fill={color} fillOpacity={0.7} />
        ))}
      </g>
    );
  };

  return (
    <figure className="figure">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} className="svg-chart">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(t)} y2={y(t)} className="grid" />
            <text x={PAD.l - 6} y={y(t) + 4} textAnchor="end" className="tick">
              {t.toFixed(2)}
            </text>
          </g>
        ))}
        <text transform={`translate(12 ${(H - PAD.b + PAD.t) / 2}) rotate(-90)`} textAnchor="middle" className="axis-label">
          Dice
        </text>
        {groups.map((g, i) => {
          const cx = PAD.l + slot * (i + 0.5);
          const half = Math.min(40, slot / 5);
          return (
            <g key={g.label}>
              {violin(g.random, cx - half * 1.2, half, INIT_COLORS.RANDOM, 'r')}
              {violin(g.clc, cx + half * 1.2, half, INIT_COLORS.CLC, 'c')}
              <text x={cx} y={H - PAD.b + 18} textAnchor="middle" className="tick">
                {g.label}
              </text>
            </g>
          );
        })}
        <g transform={`translate(${W - PAD.r - 170} ${H - 14})`}>
          <rect width={10} height={10} y={-9} fill={INIT_COLORS.RANDOM} fillOpacity={0.5} />
          <text x={14} className="tick">
            RANDOM
          </text>
          <rect x={80} width={10} height={10} y={-9} fill={INIT_COLORS.CLC} fillOpacity={0.5} />
          <text x={94} className="tick">
            CLC
          </text>
        </g>
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

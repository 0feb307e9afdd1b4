/**
 * Charts rendered in Node without a browser or a native canvas: ECharts' server-side SVG renderer, then resvg
 * (Rust, shipped as an npm platform package) from SVG to PNG with the DejaVu Sans TTF from npm, so text looks the
 * same on every machine whatever fonts it has.
 */
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';

export const FONT = 'DejaVu Sans';
export const COLORS = { RANDOM: '#d95f02', CLC: '#1b9e77' } as const;
let fontFile: string | undefined;

/** SVG (ECharts' or hand-written) → PNG bytes on a white background. */
export function svgToPng(svg: string): Buffer {
  fontFile ??= require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return Buffer.from(resvg.render().asPng());
}

/** An ECharts option rendered to PNG (animation off, our font). */
export function chartPng(option: echarts.EChartsCoreOption, width: number, height: number): Buffer {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, backgroundColor: '#ffffff', ...option });
    return svgToPng(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/**
 * Gaussian kernel density estimate on [lo, hi] (Silverman's rule of thumb for the bandwidth, Silverman 1986,
 * eq. 3.31: h = 0.9 · min(SD, IQR/1.34) · n^(−1/5)); a tiny bandwidth where the values do not spread.
 */
export function kde(values: number[], lo: number, hi: number, steps = 48): { y: number; density: number }[] {
  const n = values.length;
  if (!n) return [];
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * (n - 1)))];
  const spread = Math.min(sd, (q(0.75) - q(0.25)) / 1.34) || sd;
  const h = Math.max(0.9 * spread * n ** -0.2, 0.01);
  const a = Math.max(lo, sorted[0] - 2 * h);
  const b = Math.min(hi, sorted[n - 1] + 2 * h);
  return Array.from({ length: steps + 1 }, (_, i) => {
    const y = a + ((b - a) * i) / steps;
    const density = sorted.reduce((s, v) => s + Math.exp(-0.5 * ((y - v) / h) ** 2), 0) / (n * h * Math.sqrt(2 * Math.PI));
    return { y, density };
  });
}

export interface ViolinGroup {
  label: string;
  byInit: Record<'RANDOM' | 'CLC', number[]>;
}

/** Violins (KDE outline + the values as dots) of RANDOM and CLC side by side for each group, on a 0–1 Dice axis. */
export function violinPng(title: string, groups: ViolinGroup[], width = 760, height = 420): Buffer {
  const inits = ['RANDOM', 'CLC'] as const;
  const offset = { RANDOM: -0.2, CLC: 0.2 };
  const shapes = groups.flatMap((g, gi) =>
    inits.map((init) => {
      const curve = kde(g.byInit[init], 0, 1);
      const peak = Math.max(...curve.map((c) => c.density), 1e-9);
      return { init, x: gi + offset[init], curve: curve.map((c) => ({ y: c.y, w: (0.17 * c.density) / peak })) };
    }),
  );
  const series = inits.flatMap((init) => [
    {
      type: 'custom',
      name: init,
      color: COLORS[init],
      data: shapes.map((s, i) => (s.init === init && s.curve.length ? [i] : null)).filter(Boolean),
      renderItem: (params: unknown, api: any) => {
        const shape = shapes[api.value(0)];
        const left = shape.curve.map((c) => api.coord([shape.x - c.w, c.y]));
        const right = shape.curve.map((c) => api.coord([shape.x + c.w, c.y])).reverse();
        return { type: 'polygon', shape: { points: [...left, ...right] }, style: { fill: COLORS[init], opacity: 0.35, stroke: COLORS[init], lineWidth: 1.5 } };
      },
    },
    {
      type: 'scatter',
      name: init,
      color: COLORS[init],
      symbolSize: 5,
      data: groups.flatMap((g, gi) => g.byInit[init].map((v) => [gi + offset[init], v])),
    },
  ]);
  return chartPng(
    {
      title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
      legend: { top: 34, data: [...inits] },
      grid: { left: 60, right: 20, top: 72, bottom: 40 },
      xAxis: {
        type: 'value',
        min: -0.5,
        max: groups.length - 0.5,
        splitLine: { show: false },
        axisLine: { onZero: false },
        axisTick: { customValues: groups.map((_, i) => i) },
        axisLabel: { customValues: groups.map((_, i) => i), formatter: (v: number) => groups[Math.round(v)]?.label ?? '' },
      },
      yAxis: { type: 'value', min: 0, max: 1, name: 'Dice', nameLocation: 'middle', nameGap: 40, axisLine: { onZero: false } },
      series,
    },
    width,
    height,
  );
}

export interface ScatterPanel {
  title: string;
  series: { name: 'RANDOM' | 'CLC'; points: [number, number][]; bias: number; lower: number; upper: number }[];
}

/** Axis bounds around all `values`, 8% padding, rounded outward to 2 significant steps. */
function span(values: number[]): { min: number; max: number } {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return { min: -1, max: 1 };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
  const step = 10 ** Math.floor(Math.log10((hi - lo || Math.abs(hi) || 1) / 2));
  return { min: Math.floor((lo - pad) / step) * step, max: Math.ceil((hi + pad) / step) * step };
}

/** Bland–Altman panels side by side: difference vs mean volume, with each model's bias and 95% limits. */
export function blandAltmanPng(title: string, panels: ScatterPanel[], width = 900, height = 420): Buffer {
  const w = 100 / panels.length;
  return chartPng(
    {
      title: [
        { text: title, left: 'center', textStyle: { fontSize: 15 } },
        ...panels.map((p, i) => ({ text: p.title, left: `${w * i + w / 2}%`, top: 34, textAlign: 'center', textStyle: { fontSize: 12 } })),
      ],
      legend: { bottom: 4, data: ['RANDOM', 'CLC'] },
      grid: panels.map((_, i) => ({ left: `${w * i + 8}%`, width: `${w - 12}%`, top: 70, bottom: 70 })),
      xAxis: panels.map((_, i) => ({
        type: 'value',
        gridIndex: i,
        scale: true,
        axisLine: { onZero: false },
        name: 'mean volume (mL)',
        nameLocation: 'middle',
        nameGap: 26,
      })),
      // the limits of agreement lie outside the points when there are few: the axis spans both
      yAxis: panels.map((p, i) => ({
        type: 'value',
        gridIndex: i,
        ...span(p.series.flatMap((s) => [s.lower, s.upper, ...s.points.map((q) => q[1])])),
        name: i === 0 ? 'predicted − manual (mL)' : '',
        nameLocation: 'middle',
        nameGap: 44,
        axisLine: { onZero: false },
      })),
      series: panels.flatMap((p, i) =>
        p.series.map((s) => ({
          type: 'scatter',
          name: s.name,
          color: COLORS[s.name],
          xAxisIndex: i,
          yAxisIndex: i,
          symbolSize: 7,
          data: s.points,
          markLine: {
            symbol: 'none',
            silent: true,
            label: { show: false },
            lineStyle: { color: COLORS[s.name] },
            data: [
              { yAxis: s.bias, lineStyle: { type: 'solid' } },
              { yAxis: s.lower, lineStyle: { type: 'dashed' } },
              { yAxis: s.upper, lineStyle: { type: 'dashed' } },
            ],
          },
        })),
      ),
    },
    width,
    height,
  );
}

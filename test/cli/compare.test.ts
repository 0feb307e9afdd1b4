/** The run comparison shared by the dashboard and `nephron report --runs` (src/api/compare.ts, src/cli/compare.ts). */
import { describe, expect, it } from 'vitest';
import { configDifferences, flattenConfig, metricNames, parseRunIds } from '../../src/api/compare';
import { formatComparison, sparkline } from '../../src/cli/compare';
import { runCommand } from '../../src/cli';

const run = (id: string, seed: number, lr: number, losses: number[]) => ({
  id,
  kind: 'FINETUNE',
  status: 'SUCCEEDED',
  contrast: 'DIXON',
  initialization: 'RANDOM',
  nLabeled: 2,
  seed,
  preset: 'SMOKE',
  epoch: losses.length,
  epochs: losses.length,
  device: 'wasm-simd-1t',
  config: { image: { size: 32 }, finetune: { lr, alpha: [0.5, 0.7, 0.7] } },
  metrics: [
    { name: 'val_loss', last: losses.at(-1)!, min: Math.min(...losses), max: Math.max(...losses), points: losses.map((value, i) => ({ epoch: i + 1, value })) },
  ],
  evaluation: { meanDice: { right: 0.9, left: 0.8 } },
});

describe('run comparison', () => {
  it('flattens configs to dotted keys (arrays as one value) and keeps only the keys that differ', () => {
    expect(flattenConfig({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual({ 'a.b': '1', 'a.c': '[1,2]', d: '"x"' });
    const diffs = configDifferences([{ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1, 2] } }, { a: { b: 1, c: [1, 2], e: true } }]);
    expect(diffs).toEqual([
      { key: 'a.b', values: ['1', '2', '1'] },
      { key: 'a.e', values: [undefined, undefined, 'true'] },
    ]);
    expect(configDifferences([{ x: 1 }, { x: 1 }])).toEqual([]);
  });

  it('lists every metric once and parses run id lists', () => {
    expect(metricNames([{ metrics: [{ name: 'b' }, { name: 'a' }] }, { metrics: [{ name: 'a' }, { name: 'c' }] }])).toEqual(['a', 'b', 'c']);
    expect(parseRunIds(' a, b,,a ,c')).toEqual(['a', 'b', 'c']);
  });

  it('draws curves on a scale shared by the runs', () => {
    expect(sparkline([0, 0.5, 1], 0, 1)).toBe('▁▅█');
    expect(sparkline([0.5], 0, 2)).toBe('▃'); // the same value sits lower on a wider shared scale
    expect(
      sparkline(
        Array.from({ length: 100 }, (_, i) => i),
        0,
        99,
        10,
      ),
    ).toHaveLength(10);
  });

  it('prints the runs, a curve per run and metric, and the differing config keys', () => {
    const text = formatComparison([run('aaaaaaaa-1', 1, 0.001, [2, 1.5, 1]), run('bbbbbbbb-2', 2, 0.002, [2, 1.9, 1.8])]);
    expect(text).toMatch(/aaaaaaaa\s+FINETUNE\s+DIXON\s+RANDOM\s+2\s+1\s+SMOKE\s+SUCCEEDED\s+3\/3\s+0\.9\s+0\.8/);
    expect(text).toContain('val_loss (scale 1 … 2, shared by the runs)');
    expect(text).toMatch(/aaaaaaaa\s+█▅▁\s+1\s+1\s+2/);
    expect(text).toMatch(/bbbbbbbb\s+█▇▇\s+1\.8\s+1\.8\s+2/);
    expect(text).toContain('config: 1 key differ');
    expect(text).toMatch(/finetune\.lr\s+0\.001\s+0\.002/);
    expect(text).not.toContain('image.size');
  });

  it('refuses fewer than two runs and a sweep id together with --runs', async () => {
    const out: string[] = [];
    const io = {
      out: { write: (s: string) => out.push(s) },
      err: { write: (s: string) => out.push(s) },
      isTTY: false,
      env: { NEPHRON_URL: 'http://127.0.0.1:9/graphql' },
    } as any;
    expect(await runCommand(['report', '--runs', 'only-one'], io)).toBe(2);
    expect(out.join('')).toMatch(/--runs needs two or more run ids/);
    expect(await runCommand(['report', 'sweep-id', '--runs', 'a,b'], io)).toBe(2);
    expect(out.join('')).toMatch(/report takes no arguments, got sweep-id/);
  });
});

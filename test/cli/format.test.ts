/**
 * The CLI without a server: Table 2 cells and ∗ (the dashboard's rule), CSV, the charts rendered to PNG (decoded,
 * sized, not blank), `--help` on every command, usage errors, and the dev entry point as a child process.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { blandAltmanPng, kde, violinPng } from '../../src/cli/charts';
import { COMMANDS } from '../../src/cli';
import { curvesPng } from '../../src/cli/figures';
import type { ReportData, Table2Row } from '../../src/cli/report-data';
import { table2Cells, table2Csv } from '../../src/cli/table2';
import { csvTable } from '../../src/cli/text';
import { runCli } from './run';

const row = (over: Partial<Table2Row>): Table2Row => ({
  contrast: 'DIXON',
  nLabeled: 8,
  random: { right: 0.8, left: 0.7 },
  clc: { right: 0.85, left: 0.65 },
  pValue: { right: 0.01, left: 0.04 },
  significant: true,
  ...over,
});

describe('Table 2 cells', () => {
  it('∗ after the better initialisation of each kidney whose corrected p ≤ 0.05, p to 3 decimals', () => {
    expect(table2Cells(row({}))).toEqual(['DIXON', '8', '0.800', '0.700∗', '0.850∗', '0.650', '0.010', '0.040']);
    expect(table2Cells(row({ pValue: { right: 0.05, left: 0.0501 } }))).toEqual(['DIXON', '8', '0.800', '0.700', '0.850∗', '0.650', '0.050', '0.050']);
    expect(table2Cells(row({ pValue: { right: 0.2, left: 0.00012 }, significant: true }))).toEqual([
      'DIXON',
      '8',
      '0.800',
      '0.700∗',
      '0.850',
      '0.650',
      '0.200',
      '1.2e-4',
    ]);
  });
  it('without p-values the row flag decides; a missing side is a dash and stars nothing', () => {
    expect(table2Cells(row({ pValue: null, significant: true })).slice(2, 6)).toEqual(['0.800', '0.700∗', '0.850∗', '0.650']);
    expect(table2Cells(row({ pValue: null, significant: false })).slice(2, 6)).toEqual(['0.800', '0.700', '0.850', '0.650']);
    expect(table2Cells(row({ clc: null, pValue: null })).slice(2, 8)).toEqual(['0.800', '0.700', '—', '—', '—', '—']);
  });
  it('CSV keeps full precision and names the starred side; cells with commas or quotes are quoted', () => {
    const csv = table2Csv([row({ nLabeled: 20 }), row({ nLabeled: 2, random: { right: 1 / 3, left: 0.5 } })])
      .trim()
      .split('\n');
    // rows without CIs and counts (older answers) leave those 12 columns empty
    expect(csv[1]).toBe('DIXON,2,0.3333333333333333,0.5,0.85,0.65,0.01,0.04,true,clc,clc,,,,,,,,,,,,');
    expect(csv[2]).toBe('DIXON,20,0.8,0.7,0.85,0.65,0.01,0.04,true,clc,random,,,,,,,,,,,,');
    const ci = { right: [0.75, 0.85], left: [0.6, 0.8] };
    const withCi = row({ ci95: { random: ci, clc: null }, seeds: { random: 5, clc: 3 }, subjects: { random: 15, clc: 15 } });
    expect(table2Csv([withCi]).trim().split('\n')[1]).toBe('DIXON,8,0.8,0.7,0.85,0.65,0.01,0.04,true,clc,random,0.75,0.85,0.6,0.8,,,,,5,3,15,15');
    expect(table2Cells(withCi).slice(2, 4)).toEqual(['0.800 [0.750, 0.850]', '0.700∗ [0.600, 0.800]']);
    expect(csvTable(['a', 'b'], [['x,y', 'say "hi"']])).toBe('a,b\n"x,y","say ""hi"""\n');
  });
});

function expectPicture(bytes: Buffer, width: number, height: number): void {
  const png = PNG.sync.read(bytes);
  expect([png.width, png.height]).toEqual([width, height]);
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  expect(colours.size).toBeGreaterThan(20); // text, axes, coloured marks: not blank
  // both initialisation colours are drawn (anti-aliasing aside, the exact colours appear on markers)
  expect(colours.has(0xd95f02) || colours.has(0xd95f03)).toBe(true);
  expect(colours.has(0x1b9e77)).toBe(true);
}

describe('charts', () => {
  it('Table 2 curves, violins and Bland–Altman render to PNGs of the asked size, with both models drawn', () => {
    const rows = [2, 4, 8].map((n, i) =>
      row({ nLabeled: n, random: { right: 0.5 + i / 10, left: 0.4 + i / 10 }, clc: { right: 0.6 + i / 10, left: 0.55 + i / 10 } }),
    );
    expectPicture(curvesPng({ rows } as ReportData, 'DIXON'), 720, 420);
    const groups = [
      { label: 'DIXON', byInit: { RANDOM: [0.7, 0.75, 0.8, 0.9], CLC: [0.85, 0.86, 0.9, 0.91] } },
      { label: 'T1_MAP', byInit: { RANDOM: [0.6], CLC: [] } }, // one value, and none: still renders
    ];
    expectPicture(violinPng('violins', groups), 760, 420);
    const series = (name: 'RANDOM' | 'CLC', d: number) => ({
      name,
      points: [
        [100, d],
        [140, d + 8],
        [120, d - 5],
      ] as [number, number][],
      bias: d,
      lower: d - 12,
      upper: d + 12,
    });
    expectPicture(
      blandAltmanPng('BA', [
        { title: 'right', series: [series('RANDOM', 5), series('CLC', -3)] },
        { title: 'left', series: [series('RANDOM', 1), series('CLC', 2)] },
      ]),
      900,
      420,
    );
  });
  it('the kernel density integrates to about 1 (tails cut 2 bandwidths past the data) and stays inside its bounds', () => {
    const curve = kde([0.2, 0.4, 0.45, 0.5, 0.8], -1, 2, 400);
    const area = curve.slice(1).reduce((a, c, i) => a + ((c.density + curve[i].density) / 2) * (c.y - curve[i].y), 0);
    expect(area).toBeGreaterThan(0.97);
    expect(area).toBeLessThanOrEqual(1);
    const clipped = kde([0.99, 1], 0, 1);
    expect(Math.max(...clipped.map((c) => c.y))).toBeLessThanOrEqual(1);
  });
});

describe('command line', () => {
  const url = 'http://127.0.0.1:9/graphql'; // nothing listens there
  it('--help on every command prints its usage and exits 0', async () => {
    for (const c of COMMANDS) {
      const r = await runCli(url, [...c.name.split(' '), '--help']);
      expect(r.code, c.name).toBe(0);
      expect(r.out, c.name).toMatch(new RegExp(`^usage: nephron ${c.name} `));
      expect(r.out, c.name).toContain('--url URL');
    }
    expect((await runCli(url, ['--help'])).out).toMatch(/nephron reproduce\s+Reproduce the study/);
  });
  it('usage errors exit 2, an unreachable server 1, each as one line with a code', async () => {
    expect(await runCli(url, ['sweep', 'start', '--cohort', 'x', '--contrasts', 'DIXON', '--n', 'two'])).toMatchObject({
      code: 2,
      err: 'error USAGE: --n must be an integer, got "two"\n',
    });
    expect(await runCli(url, ['report'])).toMatchObject({ code: 2, err: 'error USAGE: report takes <sweepId>, got none (nephron report --help)\n' });
    expect((await runCli(url, ['frobnicate'])).err).toBe('error USAGE: unknown command "frobnicate" (nephron --help)\n');
    expect((await runCli(url, ['cohort', 'list', '--bogus'])).code).toBe(2);
    expect(await runCli(url, ['cohort', 'list'])).toMatchObject({ code: 1, err: `error UNREACHABLE: cannot reach ${url}: ECONNREFUSED\n` });
    expect((await runCli(url, ['cohort', 'list', '--url', 'ftp://x'])).code).toBe(2);
  });
  it('runs as a child process from the sources (npx tsx src/cli/index.ts), with the exit code', async () => {
    const root = path.resolve(__dirname, '../..');
    const run = promisify(execFile);
    const ok = await run(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'watch', '--help'], { cwd: root });
    expect(ok.stdout).toMatch(/^usage: nephron watch <runId\|sweepId>/);
    const bad = await run(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'sweep', 'list'], {
      cwd: root,
      env: { ...process.env, NEPHRON_URL: url },
    }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`error UNREACHABLE: cannot reach ${url}: ECONNREFUSED\n`);
  });
});

/**
 * The nephron CLI against a real server with a runner (PGlite, SMOKE, a small synthetic cohort): a sweep over
 * 2 contrasts × N {2, 4} × both initialisations × 2 seeds runs to the end through `sweep start --watch` while a
 * second `watch` draws live bars on a pretend TTY; `report` prints Table 2 as the labelEfficiency query has it, in
 * every format; bad sweep inputs print the server's code and create nothing; `watch` exits non-zero on a failed run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server';
import { runCli } from './run';
import { autoCpuDevice } from '../ml/native-support';

const PAIR = 'right left';
const STAR = '∗';

describe('nephron CLI with a runner (pglite, SMOKE)', () => {
  let t: TestServer;
  let cohortId: string;
  let sweepId: string;
  const cli = (args: string[], options?: Parameters<typeof runCli>[2]) => runCli(t.url, args, options);
  const counts = async () => {
    const d = await t.ok(`{ sweeps { id } runs(first: 0) { totalCount } }`);
    return { sweeps: d.sweeps.length, runs: d.runs.totalCount };
  };

  beforeAll(async () => {
    t = await startTestServer('pglite', { NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '5' }, { runners: { pollMs: 200 } });
    const r = await cli(['cohort', 'create-synthetic', '--subjects', '8', '--seed', '5', '--size', '32', '--slices', '4', '--name', 'cli']);
    expect(r.code, r.err).toBe(0);
    cohortId = r.out.trim();
    expect(r.err).toMatch(/8 subjects \(train\/validation\/test \d+\/\d+\/\d+\)/);
  }, 120_000);
  afterAll(() => t?.stop());

  it('cohort list shows the cohort with its split', async () => {
    const r = await cli(['cohort', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`${cohortId}\\s+cli\\s+8\\s+\\d+/\\d+/\\d+\\s+DIXON,T1_MAP,T2_MAP,BOLD,DWI`));
  });

  it('bad sweep inputs print the server error code and create nothing', async () => {
    const before = await counts();
    const { train } = (await t.ok(`query($id: ID!) { cohort(id: $id) { train: subjects(split: TRAIN) { totalCount } } }`, { id: cohortId })).cohort;
    const base = ['sweep', 'start', '--cohort', cohortId, '--preset', 'SMOKE', '--seeds', '1'];
    const cases: [string, string[]][] = [
      ['N larger than the training split', ['--contrasts', 'DIXON', '--n', `2,${train.totalCount + 1}`]],
      ['an empty list', ['--contrasts', '', '--n', '2']],
      ['duplicates', ['--contrasts', 'DIXON', '--n', '2,2']],
      ['an unknown contrast', ['--contrasts', 'DIXON,FLAIR', '--n', '2']],
    ];
    for (const [what, args] of cases) {
      const r = await cli([...base, ...args]);
      expect(r.code, what).toBe(1);
      expect(r.out, what).toBe('');
      expect(r.err, what).toMatch(/^error BAD_USER_INPUT: .+\n$/);
    }
    expect(await counts()).toEqual(before);
    const missing = await cli(['report', '00000000-0000-4000-8000-000000000000']);
    expect(missing).toMatchObject({ code: 1, err: 'error NOT_FOUND: no sweep with id "00000000-0000-4000-8000-000000000000"\n' });
    expect((await cli(['watch', 'nope'])).err).toMatch(/^error (NOT_FOUND|BAD_USER_INPUT): /);
    expect((await cli(['sweep', 'start', '--cohort', cohortId])).code).toBe(2); // usage: no --contrasts
  });

  it('a SMOKE sweep runs to the end through `sweep start --watch`; a second watch draws live bars on a TTY', async () => {
    let idSeen!: (id: string) => void;
    const id = new Promise<string>((resolve) => (idSeen = resolve));
    const started = cli(
      [
        'sweep',
        'start',
        '--cohort',
        cohortId,
        '--contrasts',
        'DIXON,T1_MAP',
        '--n',
        '2,4',
        '--init',
        'RANDOM,CLC',
        '--seeds',
        '1,2',
        '--preset',
        'SMOKE',
        '--name',
        'cli smoke',
        '--watch',
      ],
      { onOut: (all) => /^[0-9a-f-]{36}\n/.test(all) && idSeen(all.slice(0, 36)) },
    );
    sweepId = await id;
    const tty = cli(['watch', sweepId], { tty: true });
    const [plain, live] = await Promise.all([started, tty]);
    expect(plain.code, plain.err + plain.out).toBe(0);
    expect(plain.err).toContain(`sweep ${sweepId}: 20 runs queued`);
    const lines = plain.out.split('\n');
    expect(lines[0]).toBe(sweepId);
    expect(plain.out).not.toContain('\x1b['); // not a TTY: plain lines
    expect(lines.filter((l) => l.startsWith('SUCCEEDED ')).length).toBe(20);
    expect(plain.out).toMatch(/RUNNING\s+DIXON CLC N=4 seed 2\s+finetune \d+\/\d+ loss [\d.]+ Dice [\d.]+ ETA /);
    expect(lines.at(-3)).toMatch(new RegExp(`^trained on: ${autoCpuDevice.source} \\(20 runs\\)$`));
    expect(lines.at(-2)).toBe(`sweep "cli smoke" ${sweepId}: 20 runs, 20 succeeded`);
    expect(plain.out).toMatch(new RegExp(`RUNNING .* {2}on ${autoCpuDevice.source}$`, 'm'));
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/\x1b\[\d+A\x1b\[J/); // redrawn in place
    expect(live.out).toMatch(/\[█*░*\]\s+\d+\/\d+.* ETA /);
    const sweep = (await t.ok(`query($id: ID!) { sweep(id: $id) { status done total } }`, { id: sweepId })).sweep;
    expect(sweep).toEqual({ status: 'SUCCEEDED', done: 20, total: 20 });
  }, 600_000);

  it('report prints Table 2 as labelEfficiency has it, with ∗ exactly where the corrected p ≤ 0.05', async () => {
    expect(sweepId).toBeDefined();
    const { labelEfficiency } = await t.ok(
      `query($id: ID!) { labelEfficiency(sweepId: $id, referenceN: 4) { rows { contrast nLabeled random { ${PAIR} } clc { ${PAIR} } pValue { ${PAIR} } significant
        ci95 { random { ${PAIR} } clc { ${PAIR} } } trainingSize { random { ${PAIR} } clc { ${PAIR} } } seeds { random clc } subjects { random clc } }
        reductions { contrast referenceN referenceDice matchingN reduction ci95 riRise riRiseCi95 refusal } baselines { contrast trainingSize ceilingDice locationPriorDice riSeedSd } } }`,
      { id: sweepId },
    );
    expect(labelEfficiency.rows).toHaveLength(4);
    const table = await cli(['report', sweepId, '--reference-n', '4']);
    expect(table.code, table.err).toBe(0);
    for (const row of labelEfficiency.rows) {
      const line = table.out.split('\n').find((l) => new RegExp(`^${row.contrast}\\s+${row.nLabeled}\\s`).test(l));
      expect(line, `${row.contrast} N=${row.nLabeled}`).toBeDefined();
      // each Dice cell: the mean, ∗ where starred, then its 95% CI as [lo, hi]
      const cells = [...line!.matchAll(/(\d\.\d{3}∗?) \[(\d\.\d{3}), (\d\.\d{3})\]/g)];
      expect(cells).toHaveLength(4);
      for (const [i, init, kidney] of [
        [0, 'random', 'right'],
        [1, 'random', 'left'],
        [2, 'clc', 'right'],
        [3, 'clc', 'left'],
      ] as const) {
        const other = init === 'random' ? 'clc' : 'random';
        const p = row.pValue?.[kidney];
        const significant = p === null || p === undefined ? row.significant : p <= 0.05;
        const starred = significant && row[init][kidney] >= row[other][kidney] && (init === 'clc' || row.random[kidney] > row.clc[kidney]);
        expect(cells[i][1]).toBe(row[init][kidney].toFixed(3) + (starred ? STAR : ''));
        expect([cells[i][2], cells[i][3]]).toEqual(row.ci95[init][kidney].map((v: number) => v.toFixed(3)));
      }
    }
    for (const red of labelEfficiency.reductions) {
      // contrast, reference N, RANDOM's Dice there, RANDOM's rise [CI], CLC's matching N; "refused" where RANDOM is flat
      const rise = red.riRise === null ? '—' : '[-+]\\d\\.\\d{3} \\[[-+]\\d\\.\\d{3}, [-+]\\d\\.\\d{3}\\]';
      const matched = red.matchingN === null ? 'not reached' : red.matchingN.toFixed(1);
      expect(table.out).toMatch(new RegExp(`^${red.contrast}\\s+4\\s+\\S+\\s+${rise}\\s+${matched}\\s`, 'm'));
      if (red.refusal) expect(table.out).toMatch(new RegExp(`^${red.contrast}\\s.*refused: RANDOM flat$`, 'm'));
    }
    expect(table.out).toMatch(/^Baselines$/m);
    expect(table.out).toMatch(/^Dice at the training resolution$/m);
    expect(table.out).toMatch(/Label use: label-free/);
    expect(table.out).toMatch(/Bland–Altman of kidney volumes at N = 4/);
    expect(
      table.out.split('\n').filter((l) => /^(DIXON|T1_MAP)\s+(RANDOM|CLC)\s+4\s+[12]\s+(right|left)\s+-?[\d.]+\s+-?[\d.]+\s+-?[\d.]+\s+\d+$/.test(l)),
    ).toHaveLength(16);

    const csv = await cli(['report', sweepId, '--format', 'csv']);
    const [header, ...rows] = csv.out
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(header.slice(0, 11)).toEqual([
      'contrast',
      'n_labeled',
      'random_right',
      'random_left',
      'clc_right',
      'clc_left',
      'p_right',
      'p_left',
      'significant',
      'star_right',
      'star_left',
    ]);
    expect(header.slice(11, 13)).toEqual(['random_right_lo', 'random_right_hi']);
    expect(header.slice(-4)).toEqual(['seeds_random', 'seeds_clc', 'subjects_random', 'subjects_clc']);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      const row = labelEfficiency.rows.find((x: any) => x.contrast === r[0] && x.nLabeled === Number(r[1]));
      expect(r.slice(2, 8).map(Number)).toEqual([row.random.right, row.random.left, row.clc.right, row.clc.left, row.pValue.right, row.pValue.left]);
      expect(r[8]).toBe(String(row.significant));
    }
    const json = JSON.parse((await cli(['report', sweepId, '--format', 'json', '--reference-n', '4'])).out);
    expect(json.table2.map(({ star, ...r }: any) => r)).toEqual(expect.arrayContaining(labelEfficiency.rows));
    expect(json.reductions).toEqual(labelEfficiency.reductions);
    for (const c of json.contrasts) {
      const red = labelEfficiency.reductions.find((r: any) => r.contrast === c.contrast);
      expect(c.annotationReduction).toEqual({
        reduction: red.reduction,
        matchingN: red.matchingN,
        referenceN: 4,
        ci95: red.ci95,
        riRise: red.riRise,
        riRiseCi95: red.riRiseCi95,
        refusal: red.refusal,
      });
      expect(Object.keys(c.baselines).sort()).toEqual(['ceilingDice', 'locationPriorDice', 'riSeedSd', 'trainingSize']);
      expect(c.baselines.ceilingDice).toBeGreaterThan(0.5); // real phantom masks through SMOKE's 32² and back
    }
    expect(json.blandAltman).toHaveLength(8);
    const ba = await t.ok(`query($id: ID!) { blandAltman(runId: $id, kidney: "left") { bias lower upper } }`, { id: json.blandAltman[0].runId });
    expect(json.blandAltman[0].left).toMatchObject(ba.blandAltman);
    const md = await cli(['report', sweepId, '--format', 'markdown']);
    expect(md.out).toContain('| contrast | N | RANDOM right | RANDOM left | CLC right | CLC left | p right | p left |');
    expect(md.out).toMatch(/^\| DIXON \| 2 \| \d\.\d{3}∗? \|/m);
  });

  it('watch exits non-zero when a run fails (a pretraining that diverges, and the CLC run that needed it)', async () => {
    const r = await cli([
      'sweep',
      'start',
      '--cohort',
      cohortId,
      '--contrasts',
      'DIXON',
      '--n',
      '2',
      '--init',
      'CLC',
      '--seeds',
      '3',
      '--preset',
      'SMOKE',
      '--name',
      'diverges',
      '--pretrain-overrides',
      '{"global":{"lr":1e30},"clc":{"lr":1e30}}',
      '--watch',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAILED [0-9a-f-]{36}: .*(NaN|Infinity|diverg)/m);
    expect(r.out).toMatch(/: 2 runs, 2 failed\n$/);
    const failed = (await t.ok(`{ runs(filter: { status: FAILED, kind: PRETRAIN }) { edges { node { id } } } }`)).runs.edges[0].node.id;
    const again = await cli(['watch', failed]);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`run ${failed}: 1 run, 1 failed`);
  }, 300_000);

  // last: once a token exists every request needs one
  it('--token / NEPHRON_TOKEN authenticate HTTP and websocket; a missing or weak token is one line with the code', async () => {
    const viewer = (await t.ok(`mutation { createApiToken(role: VIEWER, name: "cli") { token } }`)).createApiToken.token;
    expect((await cli(['sweep', 'list'])).err).toMatch(/^error UNAUTHENTICATED: /);
    const listed = await cli(['sweep', 'list', '--token', viewer]);
    expect(listed.out).toMatch(new RegExp(`^${sweepId}\\s+cli smoke\\s+SUCCEEDED\\s+20/20\\s+${autoCpuDevice.source}$`, 'm'));
    const watched = await cli(['watch', sweepId], { env: { NEPHRON_TOKEN: viewer } });
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('20 runs, 20 succeeded');
    const forbidden = await cli(['sweep', 'start', '--cohort', cohortId, '--contrasts', 'DIXON', '--n', '2', '--preset', 'SMOKE', '--token', viewer]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.err).toMatch(/^error FORBIDDEN: /);
  });
});

describe('nephron reproduce --preset SMOKE on a small cohort (pglite)', () => {
  let t: TestServer;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-reports-'));
  beforeAll(async () => {
    t = await startTestServer('pglite', { NEPHRON_RUNNERS: '1' }, { runners: { pollMs: 200 } });
    await t.ok(`mutation { createSyntheticCohort(input: { name: "tiny", subjects: 8, seed: 6, size: 32, slices: 4 }) { id } }`);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('runs the sweep, then writes report.md, table2.csv and valid, non-blank PNG figures', async () => {
    const r = await runCli(t.url, ['reproduce', '--preset', 'SMOKE', '--cohort', 'tiny', '--contrasts', 'DIXON,T2_MAP', '--n', '2', '--out', out]);
    expect(r.code, r.err + r.out).toBe(0);
    const sweepId = /^sweep ([0-9a-f-]{36}) on cohort tiny: 6 runs/m.exec(r.err)?.[1];
    expect(sweepId).toBeDefined();
    expect(r.out).toMatch(/^Table 2: test Dice by N, RANDOM vs CLC$/m);
    expect(r.out).toMatch(/^wall time \d+s$/m);
    const dir = path.join(out, sweepId!);
    const files = fs.readdirSync(dir).sort();
    const figures = [
      'fig1-violins-left.png',
      'fig1-violins-right.png',
      'fig2-bland-altman-DIXON.png',
      'fig2-bland-altman-T2_MAP.png',
      'fig3-overlays-DIXON.png',
      'fig3-overlays-T2_MAP.png',
      'table2-DIXON.png',
      'table2-T2_MAP.png',
    ];
    expect(files).toEqual([...figures, 'report.json', 'report.md', 'table2.csv'].sort());
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    for (const f of figures) expect(md).toContain(`](${f})`);
    expect(md).toMatch(/^\| T2_MAP \| 2 \| /m);
    expect(fs.readFileSync(path.join(dir, 'table2.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    for (const f of figures) {
      const png = PNG.sync.read(fs.readFileSync(path.join(dir, f)));
      expect(png.width, f).toBeGreaterThanOrEqual(400);
      expect(png.height, f).toBeGreaterThanOrEqual(300);
      expect(distinctColours(png), f).toBeGreaterThan(8);
    }
  }, 300_000);
});

/** Number of distinct RGB colours in an image (capped): a blank or single-colour render has 1. */
function distinctColours(png: PNG, cap = 1000): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.data.length && seen.size < cap; i += 4) seen.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  return seen.size;
}

/**
 * By hand, not in CI: `npx tsx bench/dashboard.ts` (needs /usr/bin/chromium and a built client: `npm run build:client`).
 * Seeds 1,000 runs (10 sweeps, 100 epochs × 4 metrics each) straight through the DataSource of an in-memory PGlite
 * server, then times in headless chromium, over BENCH_LOADS fresh page loads (default 5):
 *   - the runs view: navigation start → the first page of rows (50 of 1,000) rendered, in a fresh browser context
 *     (nothing cached) and again once the files are cached;
 *   - the next page of the runs table (click → rows replaced);
 *   - a run's detail: navigation start → its metric charts drawn.
 * Also prints the production bundle's size, raw and gzipped.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openNephron } from '../src/app';
import { createNephronServer } from '../src/server/server';

const RUNS = 1000;
const EPOCHS = 100;
const METRICS = ['train_loss', 'val_loss', 'lr', 'val_dice_right', 'val_dice_left'];
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const DIST = path.resolve(__dirname, '../client/dist');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function bundleSize(): string {
  const assets = path.join(DIST, 'assets');
  let raw = 0;
  let gz = 0;
  for (const f of fs.readdirSync(assets).filter((f) => /\.(js|css)$/.test(f))) {
    const bytes = fs.readFileSync(path.join(assets, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return `bundle (js + css): ${(raw / 1024).toFixed(1)} kB, gzipped ${(gz / 1024).toFixed(1)} kB`;
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('client/dist is missing: run `npm run build:client` first');
  console.log(bundleSize());
  const config = loadConfig({ DATABASE_URL: 'memory', PORT: '0', LOG_LEVEL: 'warn', NEPHRON_RUNNERS: '0', NEPHRON_DEFAULT_COHORT: 'off' });
  const server = await createNephronServer(await openNephron(config, { log: createLogger(config.logLevel) }));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  try {
    const ds = server.dataSource;
    const t = performance.now();
    const [cohort] = await ds.query(
      `INSERT INTO cohort (name, source, fingerprint, contrasts) VALUES ('bench', 'synthetic', 'f', '[{"kind":"DIXON","channels":[],"protocol":{}}]') RETURNING id`,
    );
    await ds.query(`INSERT INTO sweep (name, "cohortId", spec) SELECT 'sweep-' || g, $1, '{}' FROM generate_series(1, 10) g`, [cohort.id]);
    await ds.query(
      `INSERT INTO run (kind, status, "cohortId", "cohortFingerprint", contrast, initialization, "nLabeled", seed, preset, config, "sweepId", epoch, epochs)
       SELECT 'FINETUNE', (ARRAY['QUEUED','RUNNING','SUCCEEDED','FAILED'])[1 + g % 4], $1, 'f', 'DIXON', (ARRAY['RANDOM','CLC'])[1 + g % 2], 1 + g % 20, g, 'QUICK',
              '{"finetune":{"epochs":100}}', (SELECT id FROM sweep ORDER BY name OFFSET (g % 10) LIMIT 1), $2, $2
       FROM generate_series(1, $3) g`,
      [cohort.id, EPOCHS, RUNS],
    );
    await ds.query(
      `INSERT INTO metric_point ("runId", name, epoch, value, at) SELECT r.id, m, e, random(), now() FROM run r, unnest($1::text[]) m, generate_series(1, $2) e`,
      [METRICS, EPOCHS],
    );
    await ds.query(
      `INSERT INTO metric_summary ("runId", name, "lastEpoch", last, min, max, count)
       SELECT "runId", name, max(epoch), (array_agg(value ORDER BY epoch DESC))[1], min(value), max(value), count(*) FROM metric_point GROUP BY "runId", name`,
    );
    console.log(`seeded ${RUNS} runs × ${EPOCHS} epochs × ${METRICS.length} metrics in ${((performance.now() - t) / 1000).toFixed(1)} s (in-memory PGlite)`);
    const base = (await server.listen()).replace(/\/graphql$/, '');
    const [{ id: runId }] = await ds.query(`SELECT id FROM run ORDER BY "queuedAt" DESC, id LIMIT 1`);

    const api: number[] = [];
    const runsView: number[] = [];
    const runsWarm: number[] = [];
    const scriptsDone: number[] = [];
    const nextPage: number[] = [];
    const detail: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      const page = await ctx.newPage();
      // the API's share: the runs view's own query as the browser saw it (request sent → response complete)
      const onFinished = (r: import('playwright-core').Request) => {
        if (r.postData()?.includes('query DashboardRuns(')) api.push(r.timing().responseEnd - r.timing().requestStart);
      };
      page.on('requestfinished', onFinished);
      await page.goto(`${base}/runs`);
      await page.waitForFunction(() => document.querySelectorAll('tr[data-run-id]').length === 50);
      // ms since navigation start, measured in the page (window.: the node import of performance would be captured)
      runsView.push(await page.evaluate(() => window.performance.now()));
      // when the page's scripts had run (DOMContentLoaded end): the rest is the API calls and React's render
      scriptsDone.push(
        await page.evaluate(() => (window.performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd),
      );
      page.off('requestfinished', onFinished);
      const first = await page.locator('tr[data-run-id]').first().getAttribute('data-run-id');
      const t0 = performance.now();
      await page.click('text=Older →');
      await page.waitForFunction((id) => document.querySelector('tr[data-run-id]')?.getAttribute('data-run-id') !== id, first);
      nextPage.push(performance.now() - t0);
      await page.goto(`${base}/runs/${runId}`);
      await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 3);
      detail.push(await page.evaluate(() => window.performance.now()));
      // the runs view again in a browser that has the page's files cached (a lab member's second visit)
      await page.goto(`${base}/runs`);
      await page.waitForFunction(() => document.querySelectorAll('tr[data-run-id]').length === 50);
      runsWarm.push(await page.evaluate(() => window.performance.now()));
      await ctx.close();
    }
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}; ${xs.length} loads)`;
    console.log(`runs view, first render of 50 of ${RUNS} runs: ${fmt(runsView)}`);
    console.log(`  of which loading and running the scripts (DOMContentLoaded end): ${fmt(scriptsDone)}`);
    console.log(`  of which the runs query (50 runs, in the browser): ${fmt(api)}`);
    console.log(`runs view, again with the files cached: ${fmt(runsWarm)}`);
    console.log(`runs view, next page: ${fmt(nextPage)}`);
    console.log(`run detail with ${METRICS.length} × ${EPOCHS} points, charts drawn: ${fmt(detail)}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * The lab dashboard in a real browser (Debian's chromium driven by playwright-core) against a real nephron server
 * with one runner on a random port: a SMOKE sweep launched through the form, the runs table, a run-detail chart
 * that gains points while the run trains (graphql-ws in the browser, no reload, no polling), the sweep page with
 * Table 2 once the runs finish, the cohort slice viewer, and a VIEWER token that sees no launch or cancel.
 * A screenshot of each view goes to test-output/dashboard-*.png. Without /usr/bin/chromium the file is skipped
 * with a message, except under CI=true, where that fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, CHROMIUM, CHROMIUM_FLAGS as FLAGS, haveChromium, requireChromium, ROOT } from '../helpers/chromium';
import { startTestServer, type TestServer } from '../helpers/server';
import { autoCpuDevice } from '../ml/native-support';

const OUT = path.join(ROOT, 'test-output');
const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

requireChromium('dashboard e2e');

describe.skipIf(!haveChromium)('dashboard in a real browser', () => {
  let t: TestServer;
  let base: string;
  let browser: Browser;
  let operator: BrowserContext;
  let page: Page;
  let adminToken: string;
  let viewerToken: string;
  let cohortId: string;
  let sweepId: string;
  const pageErrors: string[] = [];

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(OUT, `dashboard-${name}.png`), fullPage: true });
  const api = <T = any>(query: string, variables?: Record<string, unknown>) => t.ok<T>(query, variables, adminToken);
  const contextFor = async (token: string) => {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await ctx.addInitScript((tk) => localStorage.setItem('nephron.token', tk), token);
    return ctx;
  };
  const watch = (p: Page) => p.on('pageerror', (e) => pageErrors.push(e.message));

  beforeAll(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    buildDashboard();
    t = await startTestServer('pglite', { NEPHRON_RUNNERS: '1' }, { runners: { pollMs: 200 } });
    base = t.url.replace(/\/graphql$/, '');
    // zero-setup: the local caller is ADMIN until the first token exists
    adminToken = (await t.ok(`mutation { createApiToken(role: ADMIN, name: "e2e admin") { token } }`)).createApiToken.token;
    viewerToken = (await api(`mutation { createApiToken(role: VIEWER, name: "e2e viewer") { token } }`)).createApiToken.token;
    cohortId = (await api(`mutation { createSyntheticCohort(input: { name: "e2e-dashboard", subjects: 8, seed: 5, size: 32, slices: 6 }) { id } }`))
      .createSyntheticCohort.id;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    operator = await contextFor(adminToken);
    page = await operator.newPage();
    watch(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('serves the dashboard at / and for client routes, but leaves the API paths alone', async () => {
    const index = await t.http().get('/runs/some-id').set('accept', 'text/html');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<div id="root">');
    expect((await t.http().get('/healthz')).body.status).toBe('ok');
    expect((await t.http().get('/files/series/nope.nii.gz').set('authorization', `Bearer ${adminToken}`)).status).toBe(404);
    expect((await t.http().get('/images/series/nope/slice/0.png').set('accept', 'text/html')).status).toBe(401);
  });

  it('launches a SMOKE sweep through the form, refusing an invalid one before sending it', async () => {
    await page.goto(`${base}/launch`);
    await page.waitForSelector('form.launch');
    await page.fill('input[name=nLabeled]', '1, x');
    await page.click('button[type=submit]');
    await page.waitForSelector('.field-error');
    const errors = await page.locator('.field-error').allTextContents();
    expect(errors).toEqual(expect.arrayContaining(['give the sweep a name', '"x" is not a whole number']));
    expect((await api(`{ sweeps { id } }`)).sweeps).toHaveLength(0); // nothing was sent
    await shot(page, 'launch-invalid');

    await page.fill('input[name=name]', 'e2e-smoke');
    await page.fill('input[name=nLabeled]', '1, 2');
    await page.fill('input[name=seeds]', '0');
    await page.selectOption('select[name=preset]', 'SMOKE');
    // more fine-tuning epochs than SMOKE's two, so a chart visibly grows while the run trains
    await page.fill('textarea[name=finetuneOverrides]', '{"finetune": {"epochs": 6}}');
    await expect.poll(() => page.locator('.launch-summary').textContent()).toContain('This queues 5 runs');
    await shot(page, 'launch');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/sweeps\/[^/]+$/);
    sweepId = page.url().split('/').pop()!;
    await page.waitForSelector('text=Sweep e2e-smoke');
  });

  it('shows the runs in the runs table with live status', async () => {
    await page.goto(`${base}/runs`);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-run-id]').length === 5, undefined, { timeout: 30_000 });
    const kinds = await page.locator('tr[data-run-id] td:nth-child(2)').allTextContents();
    expect(kinds.sort()).toEqual(['FINETUNE', 'FINETUNE', 'FINETUNE', 'FINETUNE', 'PRETRAIN']);
    expect(await page.locator('[data-testid=launch-button]').count()).toBe(1);
    await shot(page, 'runs');
  });

  it('run detail: a chart gains points as epochs finish, through the subscription (no reload, no polling)', async () => {
    // a CLC fine-tuning run waits for its pretraining, so it is still queued when its page opens
    const runs = (await api(`query($s: ID!) { sweep(id: $s) { runs { id kind status initialization nLabeled } } }`, { s: sweepId })).sweep.runs;
    const target = runs.find((r: any) => r.kind === 'FINETUNE' && r.initialization === 'CLC' && r.nLabeled === 2 && !FINISHED.includes(r.status));
    expect(target, 'a CLC fine-tuning run still waiting').toBeTruthy();
    let detailQueries = 0;
    const onRequest = (r: import('playwright-core').Request) => {
      if (r.method() === 'POST' && r.postData()?.includes('query DashboardRun(')) detailQueries++;
    };
    page.on('request', onRequest);
    await page.goto(`${base}/runs/${target.id}`);
    await page.waitForSelector('.facts');
    await page.evaluate(() => ((window as any).__sameDocument = true));
    const seen: number[] = [];
    let midShot = false;
    const points = () => page.evaluate(() => Number(document.querySelector('[data-chart="Losses"]')?.getAttribute('data-points') ?? 0));
    // sample the Losses chart until the run has finished
    for (let i = 0; i < 1200; i++) {
      const n = await points();
      if (seen.at(-1) !== n) seen.push(n);
      const status = await page.locator('.card-head .badge').first().textContent();
      if (status === 'SUCCEEDED' || status === 'FAILED') break;
      if (!midShot && n >= 2 && status === 'RUNNING') {
        midShot = true;
        await shot(page, 'run-detail-training');
      }
      await page.waitForTimeout(100);
    }
    expect(await page.locator('.card-head .badge').first().textContent()).toBe('SUCCEEDED');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    // it grew in steps while open: from nothing to all six epochs, with values in between
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(6);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    // one query at open and one refetch when the run finished (for its evaluation): no polling
    page.off('request', onRequest);
    expect(detailQueries).toBeLessThanOrEqual(2);
    await page.waitForSelector('text=Evaluation on');
    for (const title of ['Losses', 'Validation Dice', 'Learning rate']) expect(await page.locator(`[data-chart="${title}"] canvas`).count()).toBeGreaterThan(0);
    await shot(page, 'run-detail');
  }, 600_000);

  it('sweep page: Table 2 with both initialisations once every run has finished', async () => {
    await page.goto(`${base}/sweeps/${sweepId}`);
    await page.waitForFunction(() => /5 of 5 runs finished/.test(document.body.innerText), undefined, { timeout: 300_000 });
    await page.waitForSelector('[data-testid=table2] tbody tr');
    const rows = await page
      .locator('[data-testid=table2] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).innerText.split('\t').map((s) => s.trim())));
    expect(rows).toHaveLength(2);
    expect(rows[0][0]).toBe('DIXON');
    expect(rows.map((r) => r.at(-7))).toEqual(['1', '2']);
    // each Dice cell: the mean (∗ where starred) and its 95% bootstrap CI over the test subjects
    for (const r of rows) for (const cell of r.slice(-6, -2)) expect(cell).toMatch(/^[01]\.\d{3}∗? \[[01]\.\d{2}, [01]\.\d{2}\]$/);
    await page.waitForSelector('[data-testid=baselines] tbody tr');
    await page.waitForSelector('text=Fig. 1');
    await page.waitForSelector('.ba-row svg');
    await page.waitForFunction(() => document.querySelectorAll('.overlay-grid tbody tr').length > 0);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.overlay-grid img[data-loaded], .overlay-grid .img-error').length >=
        3 * document.querySelectorAll('.overlay-grid tbody tr').length,
    );
    await shot(page, 'sweep');
  }, 360_000);

  it('the runs table names the device each run trained on', async () => {
    await page.goto(`${base}/runs?sweep=${sweepId}`);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-run-id] td.device').length === 5, undefined, { timeout: 30_000 });
    const devices = await page.locator('tr[data-run-id] td.device').allTextContents();
    expect(devices.filter((d) => new RegExp(`^${autoCpuDevice.source}$`).test(d))).toHaveLength(5);
  });

  it('cohorts: subjects table and the slice viewer with a mask overlay', async () => {
    await page.goto(`${base}/cohorts/${cohortId}`);
    await page.waitForSelector('table.subjects tbody tr');
    await page.locator('table.subjects tbody tr a').first().click();
    await page.waitForSelector('.slice-viewer img[data-loaded]');
    const viewer = page.locator('.slice-viewer').first();
    await viewer.locator('input[value=mask]').check();
    const before = await viewer.locator('img').getAttribute('src');
    await viewer.locator('input[name=slice]').fill('2');
    await expect.poll(() => viewer.locator('img').getAttribute('src')).not.toBe(before);
    await shot(page, 'cohorts');
  });

  it('a VIEWER token sees no launch button and no cancel; errors are words', async () => {
    const ctx = await contextFor(viewerToken);
    const p = await ctx.newPage();
    watch(p);
    await p.goto(`${base}/runs`);
    await p.waitForSelector('.role-viewer');
    await p.waitForSelector('tr[data-run-id]');
    expect(await p.locator('[data-testid=launch-button]').count()).toBe(0);
    expect(await p.locator('button', { hasText: 'Cancel' }).count()).toBe(0);
    await shot(p, 'runs-viewer');
    await p.goto(`${base}/launch`);
    await p.waitForSelector('text=Launching needs an OPERATOR or ADMIN token.');
    await ctx.close();

    const bad = await contextFor('not-a-token');
    const q = await bad.newPage();
    watch(q);
    await q.goto(`${base}/runs`);
    await q.waitForSelector('.signin');
    expect(await q.locator('.signin').textContent()).toMatch(/Unknown or revoked API token\. Enter a valid API token/);
    await shot(q, 'bad-token');
    await bad.close();
    expect(pageErrors).toEqual([]);
  });
});
